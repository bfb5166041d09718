"""PospalClient against httpx.MockTransport: signed bytes, exact ids, error mapping, retries,
paging through the client, the call budget, and that neither key nor signature leaks.

The key below is made up (distinctive, so a leak is easy to spot); the one vector test uses the
specs README's published vector.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import httpx
import pytest
from pydantic import SecretStr

from etl.errors import (
    ConfigError,
    QuotaExhausted,
    VendorAuthError,
    VendorError,
    VendorRequestError,
    VendorUnavailable,
)
from etl.pospal.auth import sign
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount, PospalTuning

# Distinctive, so a leak is easy to spot in messages and logs.
from tests.pospal.doubles import (
    APP_ID,
    END,
    START,
    TEST_KEY,
    MakeClient,
    Vendor,
    envelope,
    error,
)


def test_readme_vector_through_the_client(make_client: MakeClient) -> None:
    account = PospalAccount("doc", "http://host:8080/", "abcdefghijklmn", SecretStr("1234567890"))
    ticket = b'{"status":"success","messages":[],"data":{"sn":"201511121549168880001"}}'
    vendor = Vendor(httpx.Response(200, content=ticket))
    before = time.time_ns() // 1_000_000
    assert make_client(vendor, account=account).ticket_by_sn("201511121549168880001") == ticket
    (request,) = vendor.requests
    assert request.method == "POST"
    assert (
        str(request.url) == "http://host:8080/pospal-api2/openapi/v1/ticketOpenApi/queryTicketBySn"
    )
    assert request.content == b'{"appId":"abcdefghijklmn","sn":"201511121549168880001"}'
    assert request.headers["data-signature"] == "F6AA018FF7B01B2A5B1B1B4528914230"
    assert request.headers["User-Agent"] == "openApi"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert before <= int(request.headers["time-stamp"]) <= time.time_ns() // 1_000_000


def test_sends_the_bytes_it_signed_and_keeps_19_digit_ids_exact(make_client: MakeClient) -> None:
    answer = (
        b'{"status":"success","messages":[],"data":{"uid":1508919704366308111,'
        b'"totalAmount":250.10,"customerUid":9223372036854775807}}'
    )
    vendor = Vendor(httpx.Response(200, content=answer))
    body = make_client(vendor).refunds_by_sell_ticket_uid(1508919704366308111)
    assert body == answer  # raw bytes back: 250.10 and the ids untouched
    request = vendor.requests[0]
    assert (
        request.url.path == "/pospal-api2/openapi/v1/ticketOpenApi/queryRefunTicketBySellTicketUid"
    )
    assert request.content == (
        b'{"appId":"87EB2C555BBF382E7F6C7B275B0C502A","sellTcketUid":1508919704366308111}'
    )
    assert request.headers["data-signature"] == sign(TEST_KEY, request.content)


def test_chinese_text_goes_unescaped_and_signed(make_client: MakeClient) -> None:
    vendor = Vendor(envelope(data=None))
    make_client(vendor).ticket_by_order_no("网单-20170509")
    request = vendor.requests[0]
    assert "网单-20170509".encode() in request.content and b"\\u" not in request.content
    assert request.headers["data-signature"] == sign(TEST_KEY, request.content)


def test_lookup_payloads_follow_the_documents(make_client: MakeClient) -> None:
    vendor = Vendor(envelope(data=[]))
    client = make_client(vendor)
    client.pay_methods()
    client.refunds_by_sell_ticket_sn("20170509154301968000")
    client.sell_ticket_by_refund_uid(1508919704366308111)
    client.sell_ticket_by_refund_sn("201710251621443620002")
    client.daily_access_times(dt.date(2026, 10, 25), dt.date(2026, 11, 1))
    paths = [r.url.path.removeprefix("/pospal-api2/openapi/v1/") for r in vendor.requests]
    assert paths == [
        "ticketOpenApi/queryAllPayMethod",
        "ticketOpenApi/queryRefunTicketBySellTicketSn",
        "ticketOpenApi/querySellTicketByRefunTicketUid",
        "ticketOpenApi/querySellTicketByRefunTicketSn",
        "openApiLimitAccess/queryDailyAccessTimesLog",
    ]
    assert [vendor.sent(i) for i in range(5)] == [
        {"appId": APP_ID},
        {"appId": APP_ID, "sellTcketSn": "20170509154301968000"},
        {"appId": APP_ID, "refunTcketUid": 1508919704366308111},
        {"appId": APP_ID, "refunTcketSn": "201710251621443620002"},
        {"appId": APP_ID, "beginDate": "2026-10-25", "endDate": "2026-11-01"},
    ]


def test_customer_history_sends_the_uid_as_a_string_and_pages(make_client: MakeClient) -> None:
    cursor = {"parameterType": "LAST_RESULT_MIN_ID", "parameterValue": "3764404"}
    vendor = Vendor(
        envelope(data={"result": [{}] * 100, "pageSize": 100, "postBackParameter": cursor}),
        envelope(
            data={
                "result": [{}] * 3,
                "pageSize": 100,
                "postBackParameter": cursor | {"parameterValue": "1"},
            }
        ),
    )
    pages = list(
        make_client(vendor).customer_history(886263699231969848, START, END, all_stores=True)
    )
    assert [p.rows for p in pages] == [100, 3]
    assert vendor.requests[0].content == (
        b'{"appId":"87EB2C555BBF382E7F6C7B275B0C502A","startTime":"2026-11-01 00:00:00",'
        b'"endTime":"2026-11-01 23:59:59","customerUid":"886263699231969848",'
        b'"queryAllStoreConsume":1}'
    )
    assert vendor.sent(1)["postBackParameter"] == cursor


def test_refuses_bad_arguments_before_any_call(make_client: MakeClient) -> None:
    vendor = Vendor(envelope())
    client = make_client(vendor)
    with pytest.raises(ValueError, match="7 days"):
        client.daily_access_times(dt.date(2026, 10, 24), dt.date(2026, 11, 1))
    with pytest.raises(ValueError, match="one day"):
        client.ticket_pages(START, START + dt.timedelta(days=1, seconds=1))
    with pytest.raises(ValueError, match="appId"):
        client.call("ticketOpenApi/queryTicketBySn", {"appId": "other", "sn": "1"})
    with pytest.raises(ValueError, match="at least 1"):
        next(client.ticket_pages(START, END, max_pages=0))
    with pytest.raises(ValueError, match="path"):
        client.call("/ticketOpenApi/../queryTicketBySn", {})
    with pytest.raises(TypeError, match="ids must be int"):
        client.call("ticketOpenApi/queryRefunTicketBySellTicketUid", {"sellTcketUid": 1.5e18})
    assert vendor.requests == []


@pytest.mark.parametrize(
    ("answer", "kind", "code"),
    [
        (error(1032, "签名不匹配"), VendorAuthError, 1032),
        (error(1031, "no signature", status=400), VendorAuthError, 1031),
        (error(1034, "appId不存在"), VendorAuthError, 1034),
        (error(9003, "参数错误: startTime"), VendorRequestError, 9003),
        (error(9003, "参数错误", status=400), VendorRequestError, 9003),
        (error(4001, "商品不存在"), VendorRequestError, 4001),
        (error(None, "unauthorized", status=401), VendorAuthError, None),
        (httpx.Response(404, content=b"<html>not found</html>"), VendorRequestError, None),
    ],
)
def test_permanent_errors_after_exactly_one_call(
    make_client: MakeClient,
    budget: CallBudget,
    answer: httpx.Response,
    kind: type[VendorError],
    code: int | None,
) -> None:
    vendor = Vendor(answer)
    with pytest.raises(kind) as info:
        make_client(vendor, budget=budget).ticket_by_sn("201511121549168880001")
    assert type(info.value) is kind
    assert len(vendor.requests) == 1
    assert budget.used(APP_ID) == 1
    assert info.value.code == code and info.value.status == answer.status_code
    assert info.value.endpoint == "ticketOpenApi/queryTicketBySn"


def test_error_message_carries_vendor_code_and_text(make_client: MakeClient) -> None:
    vendor = Vendor(error(9003, "参数错误", "endTime - startTime 不能大于1天"))
    with pytest.raises(VendorRequestError) as info:
        make_client(vendor).ticket_by_sn("1")
    assert str(info.value) == (
        "pospal ticketOpenApi/queryTicketBySn: rejected the parameters | HTTP 200 | code 9003 | "
        "vendor says '参数错误; endTime - startTime 不能大于1天'"
    )


def test_status_is_compared_without_case(make_client: MakeClient) -> None:
    good = b'{"status":"SUCCESS","messages":[],"data":{"sn":"1"}}'
    assert make_client(Vendor(httpx.Response(200, content=good))).ticket_by_sn("1") == good
    bad = b'{"status":"Error","messages":["x"],"errorCode":1033}'
    with pytest.raises(VendorAuthError):
        make_client(Vendor(httpx.Response(200, content=bad))).ticket_by_sn("1")


def test_503_twice_then_success_is_three_calls_and_three_budget_units(
    make_client: MakeClient, budget: CallBudget
) -> None:
    vendor = Vendor(httpx.Response(503), httpx.Response(503), envelope(data={"sn": "1"}))
    body = make_client(vendor, budget=budget).ticket_by_sn("1")
    assert json.loads(body)["data"] == {"sn": "1"}
    assert len(vendor.requests) == 3
    assert budget.used(APP_ID) == 3
    # Every attempt re-sends the same signed bytes.
    assert len({(r.content, r.headers["data-signature"]) for r in vendor.requests}) == 1


def test_dropped_connections_and_cut_off_bodies_are_retried(make_client: MakeClient) -> None:
    vendor = Vendor(
        httpx.ConnectError("connection reset"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, content=b'{"status":"success","data":{"result":[{"uid":15'),
        envelope(data={"sn": "1"}),
    )
    make_client(vendor).ticket_by_sn("1")
    assert len(vendor.requests) == 4


@pytest.mark.parametrize("status", [200, 500])
def test_a_busy_envelope_is_retried(
    make_client: MakeClient, budget: CallBudget, status: int
) -> None:
    """系统繁忙,请稍后再试 ("system busy, try again later"): the vendor says the same request
    will work later, as HTTP 200 or 500; found by make chaos, where it failed a partition."""
    busy = httpx.Response(
        status, content='{"status":"error","messages":["系统繁忙,请稍后再试"]}'.encode()
    )
    vendor = Vendor(busy, busy, envelope(data={"sn": "1"}))
    body = make_client(vendor, budget=budget).ticket_by_sn("1")
    assert json.loads(body)["data"] == {"sn": "1"}
    assert len(vendor.requests) == 3
    assert budget.used(APP_ID) == 3


def test_a_busy_envelope_gives_up_naming_the_vendor_words(make_client: MakeClient) -> None:
    busy = httpx.Response(200, content='{"status":"error","messages":["系统繁忙"]}'.encode())
    with pytest.raises(VendorUnavailable, match=r"busy.*系统繁忙"):
        make_client(Vendor(busy), max_attempts=2).ticket_by_sn("1")


def test_transient_errors_give_up_after_max_attempts(make_client: MakeClient) -> None:
    vendor = Vendor(httpx.Response(502))
    with pytest.raises(VendorUnavailable):
        make_client(vendor, max_attempts=3).ticket_by_sn("1")
    assert len(vendor.requests) == 3


def test_spent_budget_stops_before_any_http_call(
    make_client: MakeClient, budget: CallBudget
) -> None:
    budget.record_vendor_usage(APP_ID, budget.today(), 290)  # limit 300, reserve 10
    vendor = Vendor(envelope())
    with pytest.raises(QuotaExhausted) as info:
        make_client(vendor, budget=budget).ticket_by_sn("1")
    assert vendor.requests == []
    assert "resumes after 00:00 Asia/Shanghai" in str(info.value)
    assert info.value.endpoint == "ticketOpenApi/queryTicketBySn"


def test_budget_running_out_mid_retries_is_not_retried(
    make_client: MakeClient, budget: CallBudget
) -> None:
    budget.record_vendor_usage(APP_ID, budget.today(), 288)  # two calls left
    vendor = Vendor(httpx.Response(503))
    with pytest.raises(QuotaExhausted):
        make_client(vendor, budget=budget, max_attempts=5).ticket_by_sn("1")
    assert len(vendor.requests) == 2
    assert budget.used(APP_ID) == 290


@pytest.mark.parametrize(
    "answer",
    [
        error(1035, "exceeded"),
        error(5000, "今日接口访问次数已用完"),
        error(77, "Daily call LIMIT reached"),
    ],
)
def test_vendor_quota_answers_raise_quota_exhausted_and_mark_the_day_spent(
    make_client: MakeClient, budget: CallBudget, answer: httpx.Response
) -> None:
    vendor = Vendor(answer, envelope())
    client = make_client(vendor, budget=budget)
    with pytest.raises(QuotaExhausted):
        client.ticket_by_sn("1")
    assert budget.used(APP_ID) == 300
    with pytest.raises(QuotaExhausted):
        client.ticket_by_sn("1")
    assert len(vendor.requests) == 1


def test_quota_codes_are_configurable(make_client: MakeClient) -> None:
    with pytest.raises(QuotaExhausted):
        make_client(Vendor(error(4242, "x")), quota_codes=frozenset({4242})).ticket_by_sn("1")
    with pytest.raises(VendorRequestError):
        make_client(Vendor(error(1035, "x")), quota_codes=frozenset()).ticket_by_sn("1")


def test_no_key_or_signature_in_errors_logs_or_reprs(
    make_client: MakeClient, account: PospalAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signature = sign(TEST_KEY, b'{"appId":"87EB2C555BBF382E7F6C7B275B0C502A","sn":"1"}')
    echo = error(1032, f"signature {signature} does not match key {TEST_KEY}")
    answers: list[httpx.Response | Exception] = [
        echo,
        httpx.Response(503),
        httpx.ConnectError(f"reset data-signature={signature}"),
    ]
    messages = []
    for answer in answers:
        client = make_client(Vendor(answer), max_attempts=2)
        with pytest.raises(VendorError) as info:
            client.ticket_by_sn("1")
        messages += [str(info.value), repr(info.value), repr(client)]
    messages += [repr(account), str(account), caplog.text]
    assert any("does not match" in m for m in messages)  # the vendor's words survive
    for text in messages:
        assert TEST_KEY not in text
        assert signature not in text


def test_base_url_must_be_http(account: PospalAccount) -> None:
    for url in ("ftp://area24-win.pospal.cn", "area24-win.pospal.cn", "http://[::1"):
        with pytest.raises(ConfigError, match="'store-1': base_url must be http"):
            PospalClient(PospalAccount("store-1", url, APP_ID, account.app_key))


def test_from_settings_applies_tuning(account: PospalAccount, budget: CallBudget) -> None:
    tuning = PospalTuning(max_attempts=2, max_pages=7, timeout_seconds=3, quota_codes={9})
    vendor = Vendor(httpx.Response(500))
    with PospalClient.from_settings(
        account, tuning, budget, transport=httpx.MockTransport(vendor), backoff_base=0
    ) as client:
        assert (client.max_attempts, client.max_pages, client.quota_codes) == (2, 7, frozenset({9}))
        with pytest.raises(VendorUnavailable):
            client.ticket_by_sn("1")
    assert len(vendor.requests) == 2 and budget.used(APP_ID) == 2
    assert client._http.is_closed


# --- paging through the client -----------------------------------------------------------
