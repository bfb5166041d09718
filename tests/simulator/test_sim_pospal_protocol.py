"""The simulated Pospal API's protocol: MD5 signatures, error codes and HTTP statuses, the daily
quota (failed calls included), windows, paths and the envelope.

Requests are signed by a local helper (UPPER hex MD5 of appKey + the raw body), checked first
against the specs README's three vectors; the Pospal client under ``etl/pospal`` is not used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from etl.simulator import (
    POSPAL_HTTP_STATUS,
    POSPAL_QUOTA_CODE,
    FaultConfig,
    PospalSimulator,
    PospalWorld,
)

NOW = dt.datetime(2026, 11, 5, 12, 0)
PREFIX = "/pospal-api2/openapi/v1/"
ENCODER = msgspec.json.Encoder(decimal_format="number")
PAGES = "ticketOpenApi/queryTicketPages"
WINDOW = {"startTime": "2026-11-02 06:00:00", "endTime": "2026-11-03 06:00:00"}


def sign(app_key: str, body: bytes) -> str:
    return hashlib.md5(app_key.encode() + body).hexdigest().upper()


@pytest.mark.parametrize(
    ("key", "body", "signature"),
    [
        (
            "1234567890",
            b'{"appId":"abcdefghijklmn","sn":"201511121549168880001"}',
            "F6AA018FF7B01B2A5B1B1B4528914230",
        ),
        ("secret", b'{"appId":"shop","barcode":"123"}', "59C6243328E53DB5A6128CC572546D18"),
        (
            "1234567890",
            '{"appId":"abcdefghijklmn","remark":"收银测试"}'.encode(),
            "0F2E8BD872C306099E581876F483C874",
        ),
    ],
)
def test_the_local_signer_reproduces_the_readme_vectors(
    key: str, body: bytes, signature: str
) -> None:
    assert sign(key, body) == signature


@pytest.fixture
def world() -> PospalWorld:
    return PospalWorld(as_of=NOW)


@pytest.fixture
def simulator(world: PospalWorld) -> Iterator[PospalSimulator]:
    with PospalSimulator(world, accounts=world.accounts(), quota=5) as running:
        yield running


def send(
    simulator: PospalSimulator,
    method: str,
    body: bytes,
    signature: str | None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"Content-Type": "application/json; charset=utf-8", "time-stamp": "1762315200000"}
    if signature is not None:
        sent["data-signature"] = signature
    return httpx.post(
        simulator.url + PREFIX + method, content=body, headers={**sent, **(headers or {})}
    )


def call(simulator: PospalSimulator, app_id: str, method: str, **params: Any) -> httpx.Response:
    body = ENCODER.encode({"appId": app_id, **params})
    return send(simulator, method, body, sign(simulator.api.accounts[app_id], body))


def error_code(response: httpx.Response) -> int:
    answer = response.json()
    assert answer["status"] == "error"
    assert answer["messages"] and all(isinstance(m, str) for m in answer["messages"])
    code = answer["errorCode"]
    assert response.status_code == POSPAL_HTTP_STATUS[code]
    return int(code)


def first_app(world: PospalWorld) -> tuple[str, str]:
    return next(iter(world.accounts().items()))


def test_a_signed_request_is_answered_in_the_envelope(
    simulator: PospalSimulator, world: PospalWorld
) -> None:
    app_id, _ = first_app(world)
    response = call(simulator, app_id, "ticketOpenApi/queryAllPayMethod")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.json() == {
        "status": "success",
        "messages": [],
        "data": world.pay_methods(app_id),
    }


def test_the_signature_covers_the_raw_bytes(simulator: PospalSimulator, world: PospalWorld) -> None:
    app_id, key = first_app(world)
    raw = f'{{"appId":"{app_id}","sn":"1","remark":"收银测试"}}'.encode()
    assert send(simulator, "ticketOpenApi/queryTicketBySn", raw, sign(key, raw)).status_code == 200
    escaped = raw.replace("收银测试".encode(), b"\\u6536\\u94f6\\u6d4b\\u8bd5")
    # The same JSON value, other bytes: the signature of the raw text does not cover it.
    response = send(simulator, "ticketOpenApi/queryTicketBySn", escaped, sign(key, raw))
    assert error_code(response) == 1032
    spaced = raw.replace(b'"sn":', b'"sn": ')
    assert (
        error_code(send(simulator, "ticketOpenApi/queryTicketBySn", spaced, sign(key, raw))) == 1032
    )


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("missing", 1031, 401),
        ("empty", 1031, 401),
        ("not hex", 1033, 400),
        ("too short", 1033, 400),
        ("lower case", 1032, 200),
        ("wrong key", 1032, 200),
        ("unknown app", 1034, 200),
        ("no app", 1034, 200),
        ("not json", 1034, 200),
    ],
)
def test_authentication_errors(
    simulator: PospalSimulator, world: PospalWorld, case: str, code: int, status: int
) -> None:
    app_id, key = first_app(world)
    body = ENCODER.encode({"appId": app_id, "sn": "202611021200000000001"})
    signature: str | None = sign(key, body)
    if case == "missing":
        signature = None
    elif case == "empty":
        signature = ""
    elif case == "not hex":
        signature = "Z" * 32
    elif case == "too short":
        signature = signature[:31] if signature else None
    elif case == "lower case":
        signature = sign(key, body).lower()
    elif case == "wrong key":
        signature = sign("0" + key, body)
    elif case == "unknown app":
        body = body.replace(app_id.encode(), b"0" * 32)
        signature = sign(key, body)
    elif case == "no app":
        body = b'{"sn":"1"}'
        signature = sign(key, body)
    elif case == "not json":
        body = b"appId=" + app_id.encode()
        signature = sign(key, body)
    response = send(simulator, "ticketOpenApi/queryTicketBySn", body, signature)
    assert response.status_code == status
    assert error_code(response) == code
    stats = simulator.stats
    assert stats.errors == {code: 1}
    assert stats.rejected_signatures == (1 if code in (1031, 1032, 1033) else 0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"startTime": "2026-11-02 06:00:00", "endTime": "2026-11-03 06:00:01"}, "1天"),
        ({"startTime": "2026-11-02 06:00:00", "endTime": "2026-11-01 06:00:00"}, "before"),
        ({"startTime": "2026-11-02T06:00:00", "endTime": "2026-11-03 06:00:00"}, "startTime"),
        ({"startTime": "2026-11-02 06:00:00"}, "endTime"),
        ({**WINDOW, "postBackParameter": "next"}, "postBackParameter"),
    ],
)
def test_bad_parameters_are_9003(
    simulator: PospalSimulator, world: PospalWorld, params: dict[str, Any], message: str
) -> None:
    app_id, _ = first_app(world)
    response = call(simulator, app_id, PAGES, **params)
    assert error_code(response) == 9003
    assert message in response.json()["messages"][0]


def test_a_window_of_exactly_one_day_is_fine(
    simulator: PospalSimulator, world: PospalWorld
) -> None:
    app_id, _ = first_app(world)
    response = call(simulator, app_id, PAGES, **WINDOW)
    assert response.json()["status"] == "success"
    assert response.json()["data"]["pageSize"] == 100


def test_other_look_ups_check_their_parameters(
    simulator: PospalSimulator, world: PospalWorld
) -> None:
    app_id, _ = first_app(world)
    cases = [
        ("ticketOpenApi/queryTicketBySn", {}),
        ("ticketOpenApi/queryRefunTicketBySellTicketUid", {"sellTcketUid": 1.5e18}),
        ("ticketOpenApi/queryCustomerHistoryTicketsByUid", {**WINDOW}),
        (
            "ticketOpenApi/queryCustomerHistoryTicketsByUid",
            {**WINDOW, "customerUid": "1", "queryAllStoreConsume": 2},
        ),
        (
            "openApiLimitAccess/queryDailyAccessTimesLog",
            {"beginDate": "2026-11-01", "endDate": "2026-11-09"},
        ),
    ]
    codes = [error_code(call(simulator, app_id, m, **p)) for m, p in cases]
    assert codes == [9003] * len(cases)


def test_lower_cased_paths_and_gets_are_not_the_api(
    simulator: PospalSimulator, world: PospalWorld
) -> None:
    app_id, _ = first_app(world)
    assert call(simulator, app_id, "orderopenapi/queryorderpages", **WINDOW).status_code == 404
    assert httpx.get(simulator.url + PREFIX + PAGES).status_code == 405
    stats = simulator.stats
    assert stats.quota_used[app_id] == 0  # unknown paths are not counted
    assert stats.requests == {"-": 1}
    assert stats.errors == {404: 1}


def test_the_quota_counts_failed_calls_and_resets_the_next_day(
    simulator: PospalSimulator, world: PospalWorld
) -> None:
    app_id, _key = first_app(world)
    other = list(world.accounts())[1]
    body = ENCODER.encode({"appId": app_id, "sn": "x"})
    assert error_code(send(simulator, "ticketOpenApi/queryTicketBySn", body, "0" * 32)) == 1032
    assert error_code(send(simulator, "ticketOpenApi/queryTicketBySn", body, None)) == 1031
    assert error_code(call(simulator, app_id, PAGES, startTime="bad", endTime="bad")) == 9003
    for _ in range(2):
        assert call(simulator, app_id, PAGES, **WINDOW).status_code == 200
    assert simulator.stats.quota_used[app_id] == 5
    spent = call(simulator, app_id, PAGES, **WINDOW)
    assert spent.status_code == 403
    assert error_code(spent) == POSPAL_QUOTA_CODE == 1035
    assert "调用次数" in spent.json()["messages"][0]
    # Even a bad signature is still an auth error when the quota is spent.
    assert error_code(send(simulator, "ticketOpenApi/queryTicketBySn", body, "0" * 32)) == 1032
    assert call(simulator, other, PAGES, **WINDOW).status_code == 200  # per appId

    world.as_of = NOW + dt.timedelta(days=1, hours=-11)  # 01:00 the next calendar day
    log = call(
        simulator,
        app_id,
        "openApiLimitAccess/queryDailyAccessTimesLog",
        beginDate="2026-11-04",
        endDate="2026-11-06",
    )
    assert log.status_code == 200
    answer = log.json()
    assert answer["status"] == "SUCCESS"  # "compare without case", says the document
    ours = {
        row["accessDate"]: row["haveAcessTimes"] for row in answer["data"] if row["appId"] == app_id
    }
    assert ours == {
        "2026-11-04 00:00:00": 0,
        "2026-11-05 00:00:00": 7,
        "2026-11-06 00:00:00": 1,  # this very call
    }
    assert {row["limitTimes"] for row in answer["data"]} == {5}
    assert {row["appId"] for row in answer["data"]} == set(world.accounts())
    assert simulator.stats.quota_used == {app_id: 1, other: 0, list(world.accounts())[2]: 0}


def test_gzip_only_when_asked(simulator: PospalSimulator, world: PospalWorld) -> None:
    app_id, key = first_app(world)
    body = ENCODER.encode({"appId": app_id, **WINDOW})
    zipped = send(simulator, PAGES, body, sign(key, body), {"Accept-Encoding": "gzip,deflate"})
    plain = send(simulator, PAGES, body, sign(key, body), {"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # httpx decodes: the same JSON either way


def test_accounts_must_be_stores_of_the_world(world: PospalWorld) -> None:
    with pytest.raises(KeyError):
        PospalSimulator(world, accounts={"abcdefghijklmn": "1234567890"})
    config = FaultConfig.parse("duplicate=0.25,malformed=0.1")
    assert config.duplicate == 0.25
    assert FaultConfig.parse(config.describe()) == config
