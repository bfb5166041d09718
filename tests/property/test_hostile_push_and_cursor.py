"""The push parser and the cursor rule under hostile input: the parser answers any bytes with a
message or a named HTTP rejection, never another exception; paging sends every cursor back
exactly as received and always stops (short page, empty or repeated cursor, or the cap)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from etl.pospal.pagination import Page, PageCapExceeded, is_empty_cursor, paginate
from etl.pospal.push import PushRejected, authenticate, parse
from etl.pospal.settings import PospalAccount
from tests.property.conftest import hostile_values

ACCOUNT = PospalAccount("store-1", "http://127.0.0.1:9", "A" * 32, SecretStr("k" * 32))
GOOD = {
    "appId": ACCOUNT.app_id,
    "cmd": "ticket.new",
    "version": "1.0",
    "timestamp": 1762059600000,
    "bornTimeStamp": 1762059599000,
    "body": json.dumps({"sn": "202611021300001230001", "ticketType": 1}),
}


@given(raw=st.binary(max_size=400))
def test_any_bytes_are_a_push_or_a_named_rejection(raw: bytes) -> None:
    try:
        message = parse(raw, ACCOUNT)
    except PushRejected as exc:
        assert exc.status in (400, 403) and exc.reason.strip()
    else:
        assert message.account == "store-1"


@given(field=st.sampled_from(sorted(GOOD)), value=hostile_values)
def test_a_hostile_field_is_rejected_or_kept_exact(field: str, value: Any) -> None:
    push = dict(GOOD, **{field: value})
    try:
        raw = json.dumps(push, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raw = json.dumps(push).encode("ascii")
    try:
        message = parse(raw, ACCOUNT)
    except PushRejected as exc:
        assert exc.status in (400, 403) and exc.reason.strip()
        return
    assert message.pushed_ms == push["timestamp"]  # an accepted value is the one sent
    assert message.body == push["body"]


@given(signature=st.one_of(st.none(), st.text(max_size=80)), raw=st.binary(max_size=100))
def test_any_signature_is_accepted_only_when_it_is_the_keys(
    signature: str | None, raw: bytes
) -> None:
    with pytest.raises(PushRejected) as caught:
        authenticate(raw, signature, {ACCOUNT.app_id: ACCOUNT})
    assert caught.value.status in (401, 403)


cursors = st.one_of(
    st.none(),
    st.sampled_from(["", {}, [], {"parameterType": "LAST_RESULT_MAX_ID", "parameterValue": ""}]),
    st.integers(min_value=0, max_value=10**20),
    st.text(max_size=20),
    st.builds(
        lambda v: {"parameterType": "LAST_RESULT_MAX_ID", "parameterValue": v},
        st.one_of(st.integers(min_value=0, max_value=10**20), st.text(max_size=20)),
    ),
)


@given(
    script=st.lists(st.tuples(st.integers(min_value=0, max_value=3), cursors), max_size=30),
    max_pages=st.integers(min_value=1, max_value=12),
)
def test_paging_sends_cursors_verbatim_and_always_stops(
    script: list[tuple[int, Any]], max_pages: int
) -> None:
    sent: list[Any] = []
    answers = iter(script)

    def fetch(cursor: object | None) -> Page:
        sent.append(cursor)
        rows, next_cursor = next(answers, (0, None))
        return Page(b"{}", rows, 3, next_cursor)

    pages: list[Page] = []
    try:
        pages.extend(paginate(fetch, max_pages=max_pages))
    except PageCapExceeded:
        assert len(sent) == max_pages  # stopped at the cap, loudly
    assert len(sent) <= max_pages
    assert sent[0] is None  # the first request carries no cursor
    for previous, cursor in zip(pages, sent[1:], strict=False):
        assert cursor is previous.cursor  # the very object received, never rebuilt
        assert not is_empty_cursor(cursor)
    keys = [json.dumps(c, sort_keys=True) for c in sent[1:]]
    assert len(keys) == len(set(keys))  # never the same cursor twice
