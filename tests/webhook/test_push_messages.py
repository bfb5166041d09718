"""Authenticating, parsing and keying one push (no server)."""

from __future__ import annotations

import pytest

from etl.pospal.push import (
    REFRESH_NONE,
    REFRESH_ORDER,
    REFRESH_TICKET,
    PushRejected,
    authenticate,
    parse,
)
from tests.webhook.conftest import (
    APP_1,
    APP_2,
    BIG_UID,
    KEY_1,
    KEY_2,
    accounts,
    push,
    signed,
    ticket_body,
)


def test_signature_names_the_account_and_ids_stay_exact() -> None:
    raw = push("ticket.new", ticket_body())
    account = authenticate(raw, signed(KEY_1, raw), accounts())
    assert account.name == "store-1"
    message = parse(raw, account)
    assert message.value("uid") == BIG_UID  # an int beyond 2**53, not a float
    assert message.refresh == REFRESH_TICKET
    assert message.dedupe_key == f"{APP_1}|ticket.new|202611021300001230001|1"
    assert authenticate(raw, signed(KEY_1, raw).lower(), accounts()).name == "store-1"


@pytest.mark.parametrize(
    ("signature", "status"),
    [(None, 401), ("", 401), ("0" * 32, 403), ("不是签名", 403)],
)
def test_missing_or_wrong_signature_is_refused(signature: str | None, status: int) -> None:
    raw = push("ticket.new", ticket_body())
    with pytest.raises(PushRejected) as caught:
        authenticate(raw, signature, accounts())
    assert caught.value.status == status
    assert KEY_1 not in str(caught.value)


def test_signature_over_other_bytes_is_refused() -> None:
    raw = push("ticket.new", ticket_body())
    with pytest.raises(PushRejected) as caught:
        authenticate(raw + b" ", signed(KEY_1, raw), accounts())
    assert caught.value.status == 403


def test_a_key_signing_another_accounts_appid_is_refused() -> None:
    raw = push("ticket.new", ticket_body(), app_id=APP_1)
    account = authenticate(raw, signed(KEY_2, raw), accounts())
    assert account.app_id == APP_2
    with pytest.raises(PushRejected) as caught:
        parse(raw, account)
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not an object"),
        (push("ticket.new", ticket_body())[:-1] + b',"cmd": null}', "missing field(s): cmd"),
        (b'{"cmd": "ticket.new"}', "missing field(s): timestamp, bornTimeStamp"),
        (push("ticket.new", None, body_text="{oops"), "body is a string but not JSON"),
        (push("ticket.new", {"uid": 1, "ticketType": 1}), "ticket.new body lacks sn"),
        (push("productOrder.completePay", {"state": 4}), "lacks orderNo"),
        (push("ticket.new", "42"), "must hold a JSON object or array"),
    ],
)
def test_malformed_pushes_name_the_problem(raw: bytes, reason: str) -> None:
    with pytest.raises(PushRejected) as caught:
        parse(raw, accounts()[APP_1])
    assert caught.value.status == 400
    assert reason in caught.value.reason


def test_body_must_be_a_string_not_an_object() -> None:
    raw = (
        b'{"cmd":"ticket.new","timestamp":1,"bornTimeStamp":1,"version":"1.0",'
        b'"appId":"' + APP_1.encode() + b'","body":{"sn":"1","ticketType":1}}'
    )
    with pytest.raises(PushRejected) as caught:
        parse(raw, accounts()[APP_1])
    assert caught.value.reason == "body must be a non-empty JSON string"


def test_business_keys_ignore_delivery_but_not_the_event() -> None:
    account = accounts()[APP_1]
    first = parse(push("ticket.new", ticket_body(), sent=1), account)
    again = parse(push("ticket.new", ticket_body(), sent=2), account)
    reverse = parse(push("ticket.reverse", ticket_body(ticket_type=3)), account)
    assert first.dedupe_key == again.dedupe_key != reverse.dedupe_key
    order = parse(push("productOrder.updateProductOrder", {"orderNo": "X1", "state": 5}), account)
    assert order.refresh == REFRESH_ORDER and order.dedupe_key.endswith("|X1|5")
    recharge = parse(
        push(
            "customer.recharge",
            {"customerUid": BIG_UID, "datetime": "2026-11-02 13:00:00", "rechargeMoney": 20.00},
        ),
        account,
    )
    assert recharge.dedupe_key.endswith(f"|{BIG_UID}|2026-11-02 13:00:00")
    unknown = parse(push("giftCard.activate", {"card": "C1"}), account)
    other = parse(push("giftCard.activate", {"card": "C2"}), account)
    assert unknown.refresh == REFRESH_NONE
    assert unknown.dedupe_key != other.dedupe_key
    listed = parse(push("product.edit", [{"barcode": "0600002854215"}]), account)
    assert listed.dedupe_key.startswith(f"{APP_1}|product.edit|")
