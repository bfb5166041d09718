"""The receiver over real HTTP (uvicorn on 127.0.0.1): what is stored, what is answered."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from etl.pospal.push_store import PushStore
from etl.webhook.app import create_app
from etl.webhook.server import running
from tests.webhook.conftest import APP_1, KEY_1, KEY_2, accounts, push, signed, ticket_body


@pytest.fixture
def url(store: PushStore) -> Iterator[str]:
    with running(create_app(store, accounts(), max_body_bytes=64 * 1024)) as base:
        yield base + "/pospal/push"


def _post(url: str, raw: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Pospal-Api"}
    if signature is not None:
        headers["data-signature"] = signature
    return httpx.post(url, content=raw, headers=headers, timeout=5)


def test_good_push_is_stored_then_acknowledged(url: str, store: PushStore) -> None:
    raw = push("ticket.new", ticket_body())
    answer = _post(url, raw, signed(KEY_1, raw))
    assert (answer.status_code, answer.json()) == (200, {"status": "ok", "stored": "new"})
    (event,) = store.pending()
    assert (event.account, event.cmd, event.deliveries) == ("store-1", "ticket.new", 1)
    assert (
        event.body == '{"sn": "202611021300001230001", "uid": 1514196146215295712, '
        '"customerUid": 0, "ticketType": 1}'
    )


def test_bad_or_missing_signature_is_refused_and_nothing_stored(
    url: str, store: PushStore, caplog: pytest.LogCaptureFixture
) -> None:
    raw = push("ticket.new", ticket_body())
    with caplog.at_level(logging.WARNING, logger="etl.webhook.app"):
        assert _post(url, raw, None).status_code == 401
        assert _post(url, raw, signed(KEY_1, raw + b"x")).status_code == 403
        foreign = push("ticket.new", ticket_body(), app_id="UNKNOWNAPP")
        assert _post(url, foreign, signed("some-other-key", foreign)).status_code == 403
        # The right key for store-2 on a push claiming store-1's appId.
        assert _post(url, raw, signed(KEY_2, raw)).status_code == 403
    assert store.counts() == {"events": 0, "pending": 0, "rejects": 0, "change_no": 0}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4
    assert not [line for line in lines if KEY_1 in line or KEY_2 in line]


def test_duplicates_and_redeliveries_are_stored_once(url: str, store: PushStore) -> None:
    raw = push("ticket.new", ticket_body(), sent=1)
    producer_copy = push("ticket.new", ticket_body(), sent=2)  # same event, other send time
    for body in (raw, raw, producer_copy):
        assert _post(url, body, signed(KEY_1, body)).status_code == 200
    (event,) = store.pending()
    assert event.deliveries == 3
    assert store.counts()["events"] == 1


def test_malformed_push_is_400_with_reason_and_kept_raw(url: str, store: PushStore) -> None:
    raw = push("ticket.new", None, body_text="{not json")
    answer = _post(url, raw, signed(KEY_1, raw))
    assert answer.status_code == 400
    assert "body is a string but not JSON" in answer.json()["reason"]
    _, (reject,) = store.changes(0)
    assert reject.raw == raw and "not JSON" in reject.reason


def test_unknown_command_is_acknowledged_and_stored(url: str, store: PushStore) -> None:
    raw = push("giftCard.activate", {"card": "C1"})
    assert _post(url, raw, signed(KEY_1, raw)).status_code == 200
    (event,), _ = store.changes(0)
    assert (event.cmd, event.refresh_status) == ("giftCard.activate", "none")


def test_oversized_push_is_413_and_not_stored(url: str, store: PushStore) -> None:
    raw = push("ticket.new", {**ticket_body(), "padding": "x" * 70_000})
    assert _post(url, raw, signed(KEY_1, raw)).status_code == 413
    assert store.counts()["events"] == 0


def test_a_store_that_cannot_write_answers_503_so_the_vendor_retries(
    store: PushStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(message: object) -> bool:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "accept", broken)
    with running(create_app(store, accounts())) as base:
        raw = push("ticket.new", ticket_body())
        assert _post(base + "/pospal/push", raw, signed(KEY_1, raw)).status_code == 503
        assert httpx.get(base + "/healthz", timeout=5).json() == {"status": "ok", "accounts": 2}


def test_health_reports_a_closed_store(store: PushStore) -> None:
    with running(create_app(store, accounts())) as base:
        store.close()
        answer = httpx.get(base + "/healthz", timeout=5)
    assert answer.status_code == 503


def test_appid_routing_uses_each_accounts_key(url: str, store: PushStore) -> None:
    mine = push("ticket.new", ticket_body(), app_id=APP_1)
    theirs = push(
        "ticket.new",
        ticket_body(sn="202611021300009990001"),
        app_id="0F1E2D3C4B5A69788796A5B4C3D2E1F0",
    )
    assert _post(url, mine, signed(KEY_1, mine)).status_code == 200
    assert _post(url, theirs, signed(KEY_2, theirs)).status_code == 200
    assert sorted(e.account for e in store.pending()) == ["store-1", "store-2"]
