"""The simulated WHALE admin API without HTTP: validation as the document says, and state.

State: activities (by ``ebuyActivityId``), sale channels, make-code channels, templates, rules,
and per sale-channel order id a make-code notification and possibly a verification (核销)
notification. Orders are made by :meth:`WhaleApi.make_code`, which calls ESB as the document's
"Whale同步调用ESB制码接口" describes; ESB's ``returnCode`` becomes the notification's, so an
order whose ESB call failed has a failed notification until ``makeNotifyRetry`` succeeds.

Error codes are the simulator's own (the document defines only "00"): ``01`` bad parameters,
``02`` unknown order / channel, ``03`` duplicate, ``04`` unknown action.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from etl.whale.models import (
    ActivityInsert,
    CreateRule,
    EsbMakeCodeRequest,
    NotifyQuery,
    SaleChannelInsert,
    SendChannelInsert,
    TemplateInsert,
)

# WHALE's clock: wall-clock time as it sends it (no zone documented), naive on purpose.
START = dt.datetime(2026, 11, 1, 10)  # noqa: DTZ001
OK = {"returnCode": "00", "returnMsg": "SUCCESS"}
BAD_PARAMETERS = "01"
NOT_FOUND = "02"
DUPLICATE = "03"
UNKNOWN_ACTION = "04"
# The document's own example ids, so its examples are accepted as they stand.
SEED_SALE_CHANNEL = 10002401
SEED_SEND_CHANNEL = 123

EsbCall = Callable[[EsbMakeCodeRequest], dict[str, Any]]


def error(code: str, message: str) -> dict[str, Any]:
    return {"returnCode": code, "returnMsg": message}


def step_clock(start: dt.datetime, step: dt.timedelta) -> Callable[[], dt.datetime]:
    """A deterministic clock: ``start``, then ``step`` later at every call (thread-safe)."""
    counter = itertools.count()
    lock = threading.Lock()

    def now() -> dt.datetime:
        with lock:
            return start + step * next(counter)

    return now


@dataclass
class Order:
    """One make-code order of a sale channel, with its notifications (document field names)."""

    notification: dict[str, Any]
    verify: dict[str, Any] | None = None
    esb_calls: int = 0


@dataclass
class WhaleApi:
    """The admin actions. ``esb`` performs the WHALE → ESB make-code call."""

    esb: EsbCall
    clock: Callable[[], dt.datetime] = field(
        default_factory=lambda: step_clock(START, dt.timedelta(minutes=1))
    )
    verify_action: str = "verifyNotifyQuery"
    malformed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self.activities: dict[str, dict[str, Any]] = {}
        self.sale_channels: dict[int, dict[str, Any]] = {SEED_SALE_CHANNEL: {"seed": True}}
        self.send_channels: dict[int, dict[str, Any]] = {SEED_SEND_CHANNEL: {"seed": True}}
        self.templates: dict[int, dict[str, Any]] = {}
        self.rules: dict[int, dict[str, Any]] = {}
        self.orders: dict[str, Order] = {}
        self._ids = itertools.count(1)

    # --- dispatch --------------------------------------------------------------------------

    def handle(self, action: str, body: bytes) -> dict[str, Any]:
        handlers: dict[str, Callable[[bytes], dict[str, Any]]] = {
            "activityInsert": self._activity,
            "saleChanneInsert": self._sale_channel,
            "sendChanneInsert": self._send_channel,
            "templateInsert": self._template,
            "createRule": self._rule,
            "makeNotifyQuery": self._make_query,
            "makeNotifyRetry": self._make_retry,
            self.verify_action: self._verify_query,
        }
        handler = handlers.get(action)
        if handler is None:
            return error(UNKNOWN_ACTION, f"unknown action {action}")
        try:
            with self._lock:
                return handler(body)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return error(BAD_PARAMETERS, f"参数错误: {exc}")

    # --- set-up ----------------------------------------------------------------------------

    def _activity(self, body: bytes) -> dict[str, Any]:
        request = msgspec.json.decode(body, type=ActivityInsert)
        if request.ebuyActivityId in self.activities:
            return error(DUPLICATE, f"活动已存在: {request.ebuyActivityId}")
        if not request.saleChannelId.isdigit() or int(request.saleChannelId) not in (
            self.sale_channels
        ):
            return error(NOT_FOUND, f"取码方不存在: {request.saleChannelId}")
        if request.validEnd <= request.validStart:
            return error(BAD_PARAMETERS, "validEnd must be after validStart")
        self.activities[request.ebuyActivityId] = msgspec.to_builtins(request)
        return dict(OK)

    def _sale_channel(self, body: bytes) -> dict[str, Any]:
        request = msgspec.json.decode(body, type=SaleChannelInsert)
        new_id = SEED_SALE_CHANNEL + len(self.sale_channels)
        self.sale_channels[new_id] = msgspec.to_builtins(request)
        return {**OK, "saleChannelId": new_id}

    def _send_channel(self, body: bytes) -> dict[str, Any]:
        request = msgspec.json.decode(body, type=SendChannelInsert)
        new_id = SEED_SEND_CHANNEL + len(self.send_channels)
        self.send_channels[new_id] = msgspec.to_builtins(request)
        return {**OK, "sendChannelId": new_id}

    def _template(self, body: bytes) -> dict[str, Any]:
        request = msgspec.json.decode(body, type=TemplateInsert)
        if request.sendChannelId not in self.send_channels:
            return error(NOT_FOUND, f"制码渠道不存在: {request.sendChannelId}")
        new_id = 9000000000 + next(self._ids)
        self.templates[new_id] = msgspec.to_builtins(request)
        return {**OK, "templateId": new_id}

    def _rule(self, body: bytes) -> dict[str, Any]:
        request = msgspec.json.decode(body, type=CreateRule)
        if request.endTime <= request.startTime:
            return error(BAD_PARAMETERS, "endTime must be after startTime")
        new_id = next(self._ids)
        self.rules[new_id] = msgspec.to_builtins(request)
        return dict(OK)

    # --- notifications ---------------------------------------------------------------------

    def _order(self, body: bytes) -> tuple[str, Order | None]:
        order_id = msgspec.json.decode(body, type=NotifyQuery).saleChannelOrderId
        return order_id, self.orders.get(order_id)

    def _answer(self, order_id: str, record: dict[str, Any]) -> dict[str, Any]:
        if order_id in self.malformed:
            broken = dict(record)
            broken.pop("orderId", None)
            broken["codeNum"] = "many"
            return broken
        return dict(record)

    def _make_query(self, body: bytes) -> dict[str, Any]:
        order_id, order = self._order(body)
        if order is None:
            return error(NOT_FOUND, f"制码订单不存在: {order_id}")
        return self._answer(order_id, order.notification)

    def _make_retry(self, body: bytes) -> dict[str, Any]:
        order_id, order = self._order(body)
        if order is None:
            return error(NOT_FOUND, f"制码订单不存在: {order_id}")
        if order.notification["returnCode"] != "00":
            self._call_esb(order_id, order)
        return self._answer(order_id, order.notification)

    def _verify_query(self, body: bytes) -> dict[str, Any]:
        order_id, order = self._order(body)
        if order is None or order.verify is None:
            return error(NOT_FOUND, f"无核销通知: {order_id}")
        return self._answer(order_id, order.verify)

    # --- the make-code flow (sale channel → WHALE → ESB) -----------------------------------

    def make_code(
        self, order_id: str, *, mobile: str | None = None, codes: int = 1
    ) -> dict[str, Any]:
        """Make codes for a new sale-channel order: call ESB, record the notification."""
        with self._lock:
            if order_id in self.orders:
                raise ValueError(f"order {order_id} exists")
            now = self.clock()
            number = len(self.orders) + 1
            record: dict[str, Any] = {
                "notifyId": f"N{now:%Y%m%d}{number:08d}",
                "orderId": f"990000091000{now:%Y%m%d}{number:03d}",
                "saleChannelId": SEED_SALE_CHANNEL,
                "saleChannelOrderId": order_id,
                "createDate": f"{now:%Y%m%d}",
                "createTime": f"{now:%Y%m%d%H%M%S}",
                "codeNum": codes,
                "isNotify": "未通知",
                "isCanVoid": "可撤销",
                "returnCode": "",
                "status": "订单初始状态",
            }
            if mobile:
                record["orderMobile"] = mobile
            order = Order(record)
            self.orders[order_id] = order
            self._call_esb(order_id, order)
            return dict(order.notification)

    def verify(self, order_id: str, *, ok: bool = True) -> None:
        """Record a verification (核销) notification for a made order."""
        with self._lock:
            order = self.orders[order_id]
            now = self.clock()
            order.verify = {
                **order.notification,
                "notifyId": "V" + order.notification["notifyId"][1:],
                "isNotify": "已通知" if ok else "未通知",
                "isCanVoid": "不可撤销",
                "returnCode": "00" if ok else "01",
                "updateDate": f"{now:%Y%m%d}",
                "updateTime": f"{now:%Y%m%d%H%M%S}",
                "status": "已核销" if ok else "核销通知失败",
            }

    def _call_esb(self, order_id: str, order: Order) -> None:
        now = self.clock()
        order.esb_calls += 1
        request = EsbMakeCodeRequest(
            saleChannelId=str(SEED_SALE_CHANNEL),
            sendChannelId=str(SEED_SEND_CHANNEL),
            sendChannelOrderId=order_id,
            whaleTradeNo=f"W{order.notification['orderId']}",
            channelMid="M000001545",
            channelTid="T0001",
            orderEncryptKey="simulator-demo-key",
            createDate=f"{now:%Y%m%d}",
            createTime=f"{now:%Y%m%d%H%M%S}",
            items=[{"saleChannelItemId": order_id, "ticketId": 1, "validDays": 10}],
        )
        try:
            answer = self.esb(request)
            code = str(answer.get("returnCode", "99"))
            message = str(answer.get("returnMsg", ""))
        except Exception as exc:  # ESB down: the notification fails, retry can fix it later
            code, message = "98", f"ESB不可用: {type(exc).__name__}"
        ok = code == "00"
        order.notification.update(
            {
                "isNotify": "已通知" if ok else "未通知",
                "returnCode": code,
                "updateDate": f"{now:%Y%m%d}",
                "updateTime": f"{now:%Y%m%d%H%M%S}",
                "status": "制码成功,已通知" if ok else f"制码通知失败: {message}",
            }
        )
