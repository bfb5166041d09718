"""QianhubClient against httpx.MockTransport: signing the sent bytes, error mapping, retries.

The key pair, AppID and signature are the published test vector of the vendor document
(``qianhub-openapi.zh.md``), not a credential.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from etl.config import QianhubSettings
from etl.errors import (
    ResponseTooLarge,
    VendorAuthError,
    VendorError,
    VendorRequestError,
    VendorTimeout,
    VendorUnavailable,
)
from etl.qianhub.auth import (
    APP_HEADER,
    SIGN_HEADER,
    QianhubSigner,
    load_private_key,
    load_public_key,
    verify,
)
from etl.qianhub.client import BOH_TYPES, QianhubClient

DOC_APP_ID = "507435914698"
DOC_PUBLIC_KEY = b"""
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDgIpJjMaj0YbGZLkbagg+qGfY3zuVKjj8muSfC
L7HugMANtKDj/ziExh8NSroA2bI6i0DR1n6slrio6bBWqnKFDZwjldDobDOrNXWNxbb3cIncDke9
CPbDdyWqaimchKMitVgVC8DWy38EDE2u5xQfaz8Tcedkllk7UJkWbciHMQIDAQAB
"""
DOC_PRIVATE_KEY = b"""
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAOAikmMxqPRhsZkuRtqCD6oZ9jfO
5UqOPya5J8Ivse6AwA20oOP/OITGHw1KugDZsjqLQNHWfqyWuKjpsFaqcoUNnCOV0OhsM6s1dY3F
tvdwidwOR70I9sN3JapqKZyEoyK1WBULwNbLfwQMTa7nFB9rPxNx52SWWTtQmRZtyIcxAgMBAAEC
gYEAimOuQUL7UBE2CB+zrd0acOvgw+qiVptn0LAIJXUvhtTGQHAj20LNkeWGbL2UBUxlKJKsriOj
SUsyr1DDCW/qjqa0D2v0pr2/ZAVFVq9gYdYKBhabNDbwMettt2R3jXAHKs2oy4I2cd9wYW6Ue30V
PBqXy/Q80RXA3wcLSfs+E3ECQQD3z8R0h+lMhMTtaUdV9VA6a9WHXQpLx6kBoPkobd+OJ6ASbwyY
Arq4a9IV/ADyEhKNYeAQwjFKfYQuiXuNAU+NAkEA54qGas3uEkoNDVYPlOesf2XCpx934hIqw8Qn
emMZSZU8F1as/ZIw3S2lmoxMzfAEyFRWSEVpow/5KA5ydHgLNQJAO1+GPD1MAk9VN2Sf+NJbtIOd
l18NVnax4XgF+k/I3jBUQ9ZjeBA/WGxM24OTXmxCEam/m4RLdwN3pga+mVwVCQJBAJyUCghqEGgf
2am+HDVnYjiY+USJPEoOXQscOFJEd9JR8FwcCkpENXUtLENSQ5I0kRdkKSEgh6p039pdwrrOf00C
QGVoickJeJzMyJ+QJQyWH/PO0OpP57Ye4TUiloESf+pYSbZAHUgJ7pRFk/++5HkD9oDTGjkUsaK9
gXCfk2tfIok=
"""
DOC_BODY = b'{"version":"1.0","action":"qianhub.test","body":{"name":"Jack"}}'
DOC_SIGNATURE = (
    "1dc43b8c1d86ea048ee63a13becf93986a5464f261fe871f4550cdc68a9bdddbea66e0b17b2b659830762699"
    "b73a7bfc676ce288233cc44b99afdb70898d2052d31d604664759cfa9ff25a85d3f35a8cf538cca9d491678c"
    "1e94b647efe3a265289224416321d4315a94a8e5b57fe4313336b692d57c19360a7ec1c865e9f808"
)
GATEWAY = "https://open.sanyitest.test/gateway"
# Shop-local wall-clock times are naive by design (see etl.business_day).
BEGIN = dt.datetime.fromisoformat("2026-11-01 06:00:00")
END = dt.datetime.fromisoformat("2026-11-02 06:00:00")
# Fragments that must never surface in an error message or a log record.
SECRETS = (DOC_SIGNATURE, DOC_SIGNATURE[:40], "MIICdwIBADANBgkqhkiG9w0BAQEFAASC", "gXCfk2tfIok=")

Handler = Callable[[httpx.Request], httpx.Response]


class Gateway:
    """A scripted gateway: answers from a list (the last one repeats) and keeps requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        try:  # a fresh copy per call, so a repeated answer is not a consumed response
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        except httpx.ResponseNotRead:  # a streaming body: single use by design
            return answer


@pytest.fixture
def signer() -> QianhubSigner:
    return QianhubSigner(DOC_APP_ID, load_private_key(DOC_PRIVATE_KEY))


@pytest.fixture
def make_client(signer: QianhubSigner) -> Iterator[Callable[..., QianhubClient]]:
    clients: list[QianhubClient] = []

    def make(gateway: Gateway, **kwargs: Any) -> QianhubClient:
        kwargs.setdefault("backoff_base", 0)
        client = QianhubClient(
            GATEWAY,
            signer,
            transport=httpx.MockTransport(gateway),
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _json(status: int, payload: object) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(payload, ensure_ascii=False).encode())


def test_doc_vector_is_signed_and_sent_byte_for_byte(
    make_client: Callable[..., QianhubClient],
) -> None:
    gateway = Gateway(_json(200, {"name": "Jack"}))
    assert make_client(gateway).test("Jack") == {"name": "Jack"}
    (request,) = gateway.requests
    assert request.method == "POST" and str(request.url) == GATEWAY
    assert request.content == DOC_BODY
    assert request.headers[SIGN_HEADER] == DOC_SIGNATURE
    assert request.headers[APP_HEADER] == DOC_APP_ID
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"


def test_batch_query_signature_covers_raw_utf8_bytes(
    make_client: Callable[..., QianhubClient],
) -> None:
    rows = b'[{"shop_id":10,"staff_name":"\xe7\x8e\x8b\xe5\xba\x97","boh_type":"cashier.finish"}]'
    gateway = Gateway(httpx.Response(200, content=rows))
    body = make_client(gateway).batch_query(10, BOH_TYPES, BEGIN, END)
    assert body == rows  # exactly the vendor's bytes
    request = gateway.requests[0]
    sent = json.loads(request.content)
    assert sent == {
        "version": "1.0",
        "action": "qianhub.agent.batch-query",
        "body": {
            "shop_id": 10,
            "boh_types": ["cashier.finish", "handover.stat", "dayend.stat", "waimai.order"],
            "begin": "2026-11-01 06:00:00",
            "end": "2026-11-02 06:00:00",
        },
    }
    assert verify(load_public_key(DOC_PUBLIC_KEY), request.content, request.headers[SIGN_HEADER])


def test_chinese_text_is_sent_unescaped_and_signed(
    make_client: Callable[..., QianhubClient],
) -> None:
    gateway = Gateway(_json(200, {"name": "收银测试"}))
    assert make_client(gateway).test("收银测试") == {"name": "收银测试"}
    request = gateway.requests[0]
    assert "收银测试".encode() in request.content and b"\\u" not in request.content
    assert verify(load_public_key(DOC_PUBLIC_KEY), request.content, request.headers[SIGN_HEADER])


def test_list_shops_omits_body_and_checks_shape(make_client: Callable[..., QianhubClient]) -> None:
    shops = '{"shops":[{"shop_id":10,"shop_name":"【树莓派】哇哇叫欢乐海岸店"}]}'.encode()
    gateway = Gateway(httpx.Response(200, content=shops))
    assert make_client(gateway).list_shops() == shops
    assert gateway.requests[0].content == b'{"version":"1.0","action":"qianhub.agent.list-shop"}'


@pytest.mark.parametrize(
    ("status", "payload", "error", "code"),
    [
        (
            400,
            {"error_code": 1001, "message": "签名错误", "extra_message": "Odd number"},
            VendorAuthError,
            1001,
        ),
        (400, {"error_code": 1002, "message": "未知应用"}, VendorAuthError, 1002),
        (401, {"error_code": 9, "message": "unauthorized"}, VendorAuthError, 9),
        (
            400,
            {"error_code": 2001, "message": "参数错误", "extra_message": "begin"},
            VendorRequestError,
            2001,
        ),
        (404, "not found", VendorRequestError, None),
    ],
)
def test_permanent_errors_carry_code_and_are_not_retried(
    make_client: Callable[..., QianhubClient],
    status: int,
    payload: object,
    error: type[VendorError],
    code: int | None,
) -> None:
    gateway = Gateway(_json(status, payload))
    with pytest.raises(error) as info:
        make_client(gateway).query(10, "cashier.finish", BEGIN, END)
    assert len(gateway.requests) == 1
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.endpoint == "qianhub.agent.query"
    if isinstance(payload, dict):
        assert payload["message"] in str(info.value)


def test_503_twice_then_success(make_client: Callable[..., QianhubClient]) -> None:
    gateway = Gateway(httpx.Response(503), httpx.Response(503), httpx.Response(200, content=b"[]"))
    assert make_client(gateway).batch_query(10, ["cashier.finish"], BEGIN, END) == b"[]"
    assert len(gateway.requests) == 3
    # Retries resend the very same signed bytes.
    assert len({(r.content, r.headers[SIGN_HEADER]) for r in gateway.requests}) == 1


def test_timeout_gives_up_after_max_attempts(make_client: Callable[..., QianhubClient]) -> None:
    gateway = Gateway(httpx.ReadTimeout("timed out"))
    with pytest.raises(VendorTimeout):
        make_client(gateway, max_attempts=4).batch_query(10, BOH_TYPES, BEGIN, END)
    assert len(gateway.requests) == 4


def test_truncated_json_200_is_retried(make_client: Callable[..., QianhubClient]) -> None:
    full = b'[{"shop_id":10,"boh_type":"dayend.stat","json":{}}]'
    gateway = Gateway(httpx.Response(200, content=full[:20]), httpx.Response(200, content=full))
    assert make_client(gateway).batch_query(10, BOH_TYPES, BEGIN, END) == full
    assert len(gateway.requests) == 2


def test_wrong_shape_200_is_unavailable_after_retries(
    make_client: Callable[..., QianhubClient],
) -> None:
    gateway = Gateway(httpx.Response(200, content=b'{"rows":[]}'))
    with pytest.raises(VendorUnavailable, match="not the expected JSON"):
        make_client(gateway, max_attempts=2).batch_query(10, BOH_TYPES, BEGIN, END)
    assert len(gateway.requests) == 2


def test_oversized_stream_raises_without_retry(make_client: Callable[..., QianhubClient]) -> None:
    # An iterator body has no Content-Length, so only the streamed byte count can trip the cap.
    gateway = Gateway(httpx.Response(200, content=iter([b"[" + b"1," * 400] * 10)))
    with pytest.raises(ResponseTooLarge):
        make_client(gateway, max_response_bytes=2_000).batch_query(10, BOH_TYPES, BEGIN, END)
    assert len(gateway.requests) == 1


@pytest.mark.parametrize(
    ("begin", "end"),
    [
        (BEGIN.replace(tzinfo=dt.UTC), END.replace(tzinfo=dt.UTC)),
        (BEGIN.replace(microsecond=5), END),
        (END, BEGIN),
    ],
)
def test_bad_windows_are_rejected_before_any_call(
    make_client: Callable[..., QianhubClient], begin: dt.datetime, end: dt.datetime
) -> None:
    gateway = Gateway(httpx.Response(200, content=b"[]"))
    with pytest.raises(ValueError):
        make_client(gateway).query(10, "cashier.finish", begin, end)
    assert gateway.requests == []


def test_no_secret_in_errors_logs_or_repr(
    make_client: Callable[..., QianhubClient], caplog: pytest.LogCaptureFixture
) -> None:
    scripts = [
        Gateway(
            _json(
                400, {"error_code": 1001, "message": "sign error", "extra_message": DOC_SIGNATURE}
            )
        ),
        Gateway(_json(400, {"error_code": 2001, "message": f"bad sign={DOC_SIGNATURE}"})),
        Gateway(httpx.Response(503)),
        Gateway(httpx.ConnectError(f"refused X-QianHub-Sign: {DOC_SIGNATURE}")),
        Gateway(httpx.ReadTimeout("timed out")),
        Gateway(httpx.Response(200, content=b"[")),
    ]
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for gateway in scripts:
            client = make_client(gateway, max_attempts=2)
            with pytest.raises(VendorError) as info:
                client.test("Jack")
            errors.append(str(info.value))
            errors.append(repr(client))
    assert len(errors) == 2 * len(scripts)
    logged = [record.getMessage() for record in caplog.records]
    assert any("status=503" in line for line in logged)
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    for text in errors + logged:
        for secret in SECRETS:
            assert secret not in text, text


def test_from_settings_reads_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "qianhub.key"
    key_file.write_bytes(DOC_PRIVATE_KEY)
    settings = QianhubSettings(
        gateway_url=GATEWAY,
        app_id=DOC_APP_ID,
        private_key_file=key_file,
        max_attempts=3,
        max_response_mb=0.5,
    )
    gateway = Gateway(_json(200, {"name": "Jack"}))
    with QianhubClient.from_settings(
        settings, transport=httpx.MockTransport(gateway), backoff_base=0
    ) as client:
        assert (client.max_attempts, client.max_response_bytes) == (3, 512 * 1024)
        client.test("Jack")
    assert gateway.requests[0].headers[SIGN_HEADER] == DOC_SIGNATURE
    assert "MIIC" not in repr(client) and DOC_APP_ID in repr(client)
