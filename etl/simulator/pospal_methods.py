"""The simulated Pospal methods: parameters checked, the world asked, ``data`` built.

Every handler takes a :class:`Call` (the authenticated store, the decoded body, the clock) and
returns a :class:`Result`; a bad parameter raises :class:`ParameterError` (answered 9003).
Parameter names are the document's, misspellings included (``sellTcketUid``, ``refunTcketSn``).
Look-ups that find nothing answer success with ``data: null``.

Windows: ``startTime`` / ``endTime`` are ``yyyy-MM-dd HH:mm:ss``, ``endTime - startTime`` at
most one day, start exclusive and end inclusive (what older versions of the document said):
a ticket stamped exactly on ``startTime`` belongs to the previous window.

Push configuration (``openNotificationOpenApi``): ``updatePushUrl`` stores ``pushUrl`` per
appId in ``Call.push_urls`` (shared by the server's calls), ``queryPushUrl`` reads it back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from etl.simulator.faults import FaultConfig
from etl.simulator.pospal_faults import with_malformed_tickets
from etl.simulator.pospal_lookup import (
    history_by_sn,
    history_by_uid,
    order_by_no,
    refund_of,
    sale_of,
    ticket_by_order_no,
    visible,
)
from etl.simulator.pospal_paging import MAX_ID, MIN_ID, CursorError, page, read_cursor
from etl.simulator.pospal_stores import StoreProfile
from etl.simulator.pospal_world import PospalWorld
from etl.simulator.qianhub_common import fmt_time, parse_time

MAX_WINDOW = dt.timedelta(days=1)
MAX_LOG_SPAN = dt.timedelta(days=7)


class ParameterError(Exception):
    """A request the vendor answers with 9003 (参数错误)."""


@dataclass(frozen=True)
class Call:
    world: PospalWorld
    store: StoreProfile
    params: dict[str, object]
    as_of: dt.datetime
    faults: FaultConfig
    page_sizes: dict[str, int]
    access_log: Callable[[dt.date, dt.date], list[dict[str, object]]]
    push_urls: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """``data`` of the answer; ``has_data`` False leaves the key out (``updatePushUrl``)."""

    data: object
    window_hours: float | None = None
    faults: dict[str, int] = field(default_factory=dict)
    has_data: bool = True


def query_ticket_pages(call: Call) -> Result:
    start, end = _window(call.params)
    rows = [
        (row, body)
        for row, _, body in call.world.ticket_rows(call.store.app_id, start, end, call.as_of)
    ]
    return _paged(call, rows, "tickets", MAX_ID, start, end, tickets=True)


def query_order_pages(call: Call) -> Result:
    start, end = _window(call.params)
    rows = call.world.order_rows(call.store.app_id, start, end, call.as_of)
    return _paged(call, rows, "orders", MAX_ID, start, end, tickets=False)


def query_customer_history(call: Call) -> Result:
    start, end = _window(call.params)
    customer = _long(call.params, "customerUid")
    every_store = call.params.get("queryAllStoreConsume", 0)
    if every_store not in (0, 1) or isinstance(every_store, bool):
        raise ParameterError("queryAllStoreConsume must be 0 or 1")
    stores = call.world.stores() if every_store == 1 else [call.store]
    rows: list[tuple[int, object]] = []
    for store in stores:
        for row, history, body in call.world.ticket_rows(store.app_id, start, end, call.as_of):
            if history.customer_uid == customer:
                rows.append((row, body))
    return _paged(call, rows, "history", MIN_ID, start, end, tickets=True)


def query_ticket_by_sn(call: Call) -> Result:
    sn = _text(call.params, "sn")
    return Result(visible(history_by_sn(call.world, call.store.app_id, sn), call.as_of))


def query_refund_by_sell_uid(call: Call) -> Result:
    sale = history_by_uid(call.world, call.store.app_id, _long(call.params, "sellTcketUid"))
    return Result(refund_of(call.world, call.store.app_id, sale, call.as_of))


def query_refund_by_sell_sn(call: Call) -> Result:
    sale = history_by_sn(call.world, call.store.app_id, _text(call.params, "sellTcketSn"))
    return Result(refund_of(call.world, call.store.app_id, sale, call.as_of))


def query_sell_by_refund_uid(call: Call) -> Result:
    refund = history_by_uid(call.world, call.store.app_id, _long(call.params, "refunTcketUid"))
    return Result(sale_of(call.world, call.store.app_id, refund, call.as_of))


def query_sell_by_refund_sn(call: Call) -> Result:
    refund = history_by_sn(call.world, call.store.app_id, _text(call.params, "refunTcketSn"))
    return Result(sale_of(call.world, call.store.app_id, refund, call.as_of))


def query_ticket_by_order_no(call: Call) -> Result:
    order_no = _text(call.params, "orderNo")
    return Result(ticket_by_order_no(call.world, call.store.app_id, order_no, call.as_of))


def query_order_by_no(call: Call) -> Result:
    order_no = _text(call.params, "orderNo")
    return Result(order_by_no(call.world, call.store.app_id, order_no, call.as_of))


def query_all_pay_methods(call: Call) -> Result:
    return Result(call.world.pay_methods(call.store.app_id))


def query_daily_access_times(call: Call) -> Result:
    begin, end = _date(call.params, "beginDate"), _date(call.params, "endDate")
    if end < begin:
        raise ParameterError("endDate must not be before beginDate")
    if end - begin > MAX_LOG_SPAN:
        raise ParameterError("beginDate 与 endDate 相差不能超过7天")
    return Result(call.access_log(begin, end))


def _paged(
    call: Call,
    rows: Sequence[tuple[int, object]],
    kind: str,
    parameter_type: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    tickets: bool,
) -> Result:
    try:
        after = read_cursor(call.params, parameter_type, call.world.seed)
    except CursorError as exc:
        raise ParameterError(str(exc)) from None
    out = page(
        rows,
        after,
        page_size=call.page_sizes[kind],
        parameter_type=parameter_type,
        seed=call.world.seed,
        incoming=call.params.get("postBackParameter"),
        duplicate_rate=call.faults.duplicate,
    )
    faults = {"duplicate": out.duplicated} if out.duplicated else {}
    if tickets:
        result = out.data["result"]
        assert isinstance(result, list)
        out.data["result"], added = with_malformed_tickets(result, call.faults)
        if added:
            faults["malformed"] = added
    return Result(out.data, (end - start).total_seconds() / 3600, faults)


def _window(params: dict[str, object]) -> tuple[dt.datetime, dt.datetime]:
    start, end = _time(params, "startTime"), _time(params, "endTime")
    if end < start:
        raise ParameterError("endTime must not be before startTime")
    if end - start > MAX_WINDOW:
        raise ParameterError("endTime - startTime 不能超过1天")
    return start, end


def _time(params: dict[str, object], name: str) -> dt.datetime:
    value = params.get(name)
    if not isinstance(value, str):
        raise ParameterError(f"{name} is required (yyyy-MM-dd HH:mm:ss)")
    try:
        return parse_time(value)
    except ValueError:
        raise ParameterError(f"{name} must be yyyy-MM-dd HH:mm:ss, got {value!r}") from None


def _date(params: dict[str, object], name: str) -> dt.date:
    value = params.get(name)
    if not isinstance(value, str) or len(value) < 10:
        raise ParameterError(f"{name} is required (yyyy-MM-dd)")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ParameterError(f"{name} must be yyyy-MM-dd, got {value!r}") from None


def _text(params: dict[str, object], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{name} is required")
    return value


def _long(params: dict[str, object], name: str) -> int:
    """A Java Long sent as a JSON integer or as its digits in a string (never a float)."""
    value = params.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    raise ParameterError(f"{name} must be a Long (an integer or its digits), got {value!r}")


def query_push_url(call: Call) -> Result:
    """The account's push configuration, ``data: null`` until ``updatePushUrl`` set one."""
    return Result(call.push_urls.get(call.store.app_id))


def update_push_url(call: Call) -> Result:
    """Set where the account's pushes go. The document's own example pads the URL with
    spaces, so it is stored stripped; a blank one is 9003. Valid from now to the end of next
    year (the vendor sells the service by the year). Answered without ``data``."""
    url = call.params.get("pushUrl")
    if not isinstance(url, str) or not url.strip():
        raise ParameterError("pushUrl is required")
    stamp = fmt_time(call.as_of)
    call.push_urls[call.store.app_id] = {
        "enable": 1,
        "configTime": stamp,
        "startUseTime": stamp,
        "endUseTime": f"{call.as_of.year + 1}-12-31 23:59:59",
        "sendUrl": url.strip(),
    }
    return Result(None, has_data=False)


Handler = Callable[[Call], Result]
TICKET = "ticketOpenApi/"
METHODS: dict[str, Handler] = {
    TICKET + "queryTicketPages": query_ticket_pages,
    TICKET + "queryTicketBySn": query_ticket_by_sn,
    TICKET + "queryCustomerHistoryTicketsByUid": query_customer_history,
    TICKET + "queryRefunTicketBySellTicketUid": query_refund_by_sell_uid,
    TICKET + "queryRefunTicketBySellTicketSn": query_refund_by_sell_sn,
    TICKET + "querySellTicketByRefunTicketUid": query_sell_by_refund_uid,
    TICKET + "querySellTicketByRefunTicketSn": query_sell_by_refund_sn,
    TICKET + "queryTicketByOrderNo": query_ticket_by_order_no,
    TICKET + "queryAllPayMethod": query_all_pay_methods,
    "orderOpenApi/queryOrderPages": query_order_pages,
    "orderOpenApi/queryOrderByNo": query_order_by_no,
    "openApiLimitAccess/queryDailyAccessTimesLog": query_daily_access_times,
    "openNotificationOpenApi/queryPushUrl": query_push_url,
    "openNotificationOpenApi/updatePushUrl": update_push_url,
}
