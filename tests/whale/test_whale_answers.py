"""WHALE answers: returnCode "00", error codes as named errors, the document's make-code query
example parsed to exact values, and settings that fail naming the variable."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from etl.errors import ConfigError, VendorUnavailable
from etl.flatten.whale import mask_mobile
from etl.whale import (
    ActivityInsert,
    WhaleAuthError,
    WhaleClient,
    WhaleRejected,
    WhaleSettings,
    WhaleUnexpectedAnswer,
    parse_notification,
    read_order_ids,
)
from etl.whale.envelope import check_answer

# The document's 制码通知查询 answer example, verbatim (its duplicate keys included).
DOC_NOTIFY_ANSWER = """{
"orderId": "99000009100010101732123",
"requestId": "171698602301",
"saleChannelId": 123456,
"saleChannelOrderId":"10101732123",
"createDate":"20180905",
"createTime":"20180905160911",
"orderMobile":"13524121212",
"codeNum":1,
"isNotify":"已通知",
"isCanVoid":"可撤销",
"createDate":"20180905",
"createTime":"20180905160911",
"returnCode": "00",
"status": "订单初始状态"
}""".encode()

ACTIVITY = ActivityInsert(
    activityName="中信电子凭证活动",
    ebuyActivityId="2018090500",
    saleChannelId="10002401",
    validStart="20180905112600",
    validEnd="20181005112600",
    createTime="20180905112600",
    updateTime="20180905112600",
)


def test_the_documents_notification_example_parses_to_exact_values() -> None:
    record = parse_notification(DOC_NOTIFY_ANSWER)
    assert (record.orderId, record.requestId, record.saleChannelId) == (
        "99000009100010101732123",
        "171698602301",
        123456,
    )
    assert (record.saleChannelOrderId, record.createDate, record.createTime) == (
        "10101732123",
        "20180905",
        "20180905160911",
    )
    assert (record.codeNum, record.isNotify, record.isCanVoid, record.status) == (
        1,
        "已通知",
        "可撤销",
        "订单初始状态",
    )
    assert record.succeeded and record.notifyId is None and record.updateTime is None
    assert mask_mobile(record.orderMobile) == "135****1212"


def test_return_code_00_is_success_and_other_codes_are_named_errors() -> None:
    assert check_answer("activityInsert", 200, b'{"returnCode":"00","returnMsg":"SUCCESS"}') == {
        "returnCode": "00",
        "returnMsg": "SUCCESS",
    }
    with pytest.raises(WhaleRejected) as rejected:
        check_answer("activityInsert", 200, '{"returnCode":"03","returnMsg":"活动已存在"}'.encode())
    assert (rejected.value.code, rejected.value.vendor_message) == ("03", "活动已存在")
    assert "whale activityInsert" in str(rejected.value)
    # A notification record is data, not an error, whatever the order's returnCode.
    failed = b'{"saleChannelOrderId":"1","returnCode":"E1"}'
    assert check_answer("makeNotifyQuery", 200, failed)["returnCode"] == "E1"
    with pytest.raises(WhaleAuthError):
        check_answer("makeNotifyQuery", 401, b'{"returnCode":"97"}')
    with pytest.raises(WhaleUnexpectedAnswer) as unexpected:
        check_answer("makeNotifyQuery", 200, b'{"code":0}')
    assert unexpected.value.raw == b'{"code":0}'
    with pytest.raises(VendorUnavailable):
        check_answer("makeNotifyQuery", 200, b'{"returnCode":"0')


def test_a_vendor_message_echoing_a_header_value_is_masked() -> None:
    body = b'{"returnCode":"97","returnMsg":"bad token tok-secret-1"}'
    with pytest.raises(WhaleRejected) as rejected:
        check_answer("activityInsert", 200, body, secrets=["tok-secret-1"])
    assert "tok-secret-1" not in str(rejected.value)


def test_client_sends_the_signed_bytes_with_configured_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"returnCode": "00", "returnMsg": "SUCCESS"})

    def signer(method: str, path: str, body: bytes) -> dict[str, str]:
        return {"X-Sign": f"{method}:{path}:{len(body)}"}

    client = WhaleClient(
        "https://whale.example.com/api/",
        path_template="/admin/{action}.do",
        headers={"X-Token": SecretStr("t-123")},
        signer=signer,
        transport=httpx.MockTransport(handler),
    )
    with client:
        answer = client.setup(ACTIVITY)
    assert (answer.returnCode, answer.message) == ("00", "SUCCESS")
    (request,) = seen
    assert str(request.url) == "https://whale.example.com/api/admin/activityInsert.do"
    assert request.headers["X-Token"] == "t-123"
    assert request.headers["X-Sign"] == f"POST:/admin/activityInsert.do:{len(request.content)}"
    assert request.content.startswith('{"activityName":"中信电子凭证活动"'.encode())
    assert "t-123" not in repr(client)


def test_setup_actions_are_not_retried_but_queries_are() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, text="busy")

    with WhaleClient(
        "http://whale.test", max_attempts=3, backoff_base=0, transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(VendorUnavailable):
            client.setup(ACTIVITY)
        with pytest.raises(VendorUnavailable):
            client.make_notify_retry("20261101001")
        with pytest.raises(VendorUnavailable):
            client.make_notify_query("20261101001")
    assert calls == ["/activityInsert", "/makeNotifyRetry", *["/makeNotifyQuery"] * 3]


def test_settings_fail_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("WHALE_BASE_URL", "WHALE_ORDER_IDS_FILE", "WHALE_ORDER_IDS_TABLE"):
        monkeypatch.delenv(name, raising=False)
    settings = WhaleSettings.from_env()
    with pytest.raises(ConfigError, match="WHALE_BASE_URL is not set"):
        WhaleClient.from_settings(settings)
    with pytest.raises(ConfigError, match="WHALE_ORDER_IDS_FILE nor WHALE_ORDER_IDS_TABLE"):
        settings.require_order_ids_source()
    with pytest.raises(ConfigError, match="WHALE_SIGNER"):
        WhaleSettings.from_env(signer="not a reference").load_signer()
    headers = tmp_path / "headers.json"
    headers.write_text('{"X-Token": 42}')
    with pytest.raises(ConfigError, match="WHALE_HEADERS_FILE") as bad:
        WhaleSettings.from_env(headers_file=headers).extra_headers()
    assert "42" not in str(bad.value)
    headers.write_text('{"X-Token": "secret-value"}')
    loaded = WhaleSettings.from_env(headers_file=headers).extra_headers()
    assert loaded["X-Token"].get_secret_value() == "secret-value"
    assert "secret-value" not in repr(loaded)


def test_order_ids_from_a_list_or_a_csv(tmp_path: Path) -> None:
    plain = tmp_path / "ids.txt"
    plain.write_text("# orders\n20261101001\n\n20261101002\n20261101001\n")
    assert read_order_ids(plain) == ["20261101001", "20261101002"]
    csv_file = tmp_path / "ids.csv"
    csv_file.write_text("shop,saleChannelOrderId\n一号店,20261101003\n二号店,20261101004\n")
    assert read_order_ids(csv_file) == ["20261101003", "20261101004"]
