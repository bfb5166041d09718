"""Pospal push notifications (开放通知服务): authenticate, parse and key one pushed message.

A push is ``POST`` ``{"cmd", "timestamp", "bornTimeStamp", "version", "appId", "body"}`` where
``body`` is a JSON *string* holding the business data (decode twice), signed like an API call:
``data-signature`` = UPPER(MD5(appKey + raw request bytes)). The signature is checked over the
raw bytes, in constant time, against every configured account's key BEFORE anything is parsed;
the key that matches names the account, and the message's own ``appId`` must then agree.

Redeliveries (the vendor retries 5 times on anything but HTTP 200) and producer duplicates
carry the same content, so a message is identified by its business key -- ``cmd`` plus the
ids the body names (``sn`` and ``ticketType`` for tickets, ``orderNo`` and ``state`` for
online orders, ...) -- never by delivery. Unknown commands are kept, keyed by their body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from etl.pospal.auth import verify
from etl.pospal.settings import PospalAccount

PUSH_FIELDS = ("cmd", "timestamp", "bornTimeStamp", "version", "appId", "body")

# Business-key fields per command family (prefix before the dot, or the full command).
# A field listed here is required: a push naming no ticket cannot refresh one.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "ticket": ("sn", "ticketType"),
    "productOrder": ("orderNo", "state"),
    "customer.new": ("customerUid",),
    "customer.recharge": ("customerUid", "datetime"),
    "stockFlow": ("stockFlowId",),
    "stockTaking": ("stockTakingId",),
    "productRequest": ("productRequestId",),
    "couponCode": ("code",),
}
# What a refresh does with a command: re-fetch the ticket, the order, or nothing (stored only).
REFRESH_TICKET = "ticket"
REFRESH_ORDER = "order"
REFRESH_NONE = "none"


class PushRejected(Exception):
    """A push answered with an HTTP error. ``status`` 401/403: not authenticated (nothing is
    stored); 400: authenticated but malformed (kept as a reject with the raw request)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class PushMessage:
    """One authenticated, well-formed push. ``fields`` is the decoded body (ids exact ints)."""

    account: str
    app_id: str
    cmd: str
    version: str
    pushed_ms: int
    born_ms: int
    body: str
    fields: Mapping[str, Any] | list[Any]

    @property
    def refresh(self) -> str:
        if self.cmd in ("ticket.new", "ticket.reverse"):
            return REFRESH_TICKET
        if self.cmd.startswith("productOrder."):
            return REFRESH_ORDER
        return REFRESH_NONE

    @property
    def dedupe_key(self) -> str:
        """``appId|cmd|<business key>``: equal for a redelivery or a producer duplicate."""
        fields = _key_fields(self.cmd)
        if fields and isinstance(self.fields, Mapping):
            parts = [str(self.fields[f]) for f in fields]
        else:  # unknown command, or a body that is a list (product.edit): its content
            parts = [hashlib.sha256(self.body.encode("utf-8")).hexdigest()]
        return "|".join([self.app_id, self.cmd, *parts])

    def value(self, field: str) -> Any:
        return self.fields.get(field) if isinstance(self.fields, Mapping) else None


def _key_fields(cmd: str) -> tuple[str, ...]:
    return KEY_FIELDS.get(cmd) or KEY_FIELDS.get(cmd.split(".", 1)[0], ())


def authenticate(
    raw: bytes, signature: str | None, accounts: Mapping[str, PospalAccount]
) -> PospalAccount:
    """The account whose key signed ``raw`` (``accounts`` by appId); 401 without a signature,
    403 when no configured key matches. Every key is tried, each comparison constant-time."""
    if not signature or not signature.strip():
        raise PushRejected(401, "no data-signature header")
    matched = None
    for account in accounts.values():
        if verify(account.app_key.get_secret_value(), raw, signature):
            matched = account
    if matched is None:
        raise PushRejected(403, "data-signature matches no configured Pospal account")
    return matched


_DECODER = msgspec.json.Decoder()


def parse(raw: bytes, account: PospalAccount) -> PushMessage:
    """Decode an authenticated push; :class:`PushRejected` (400, or 403 for a foreign appId)
    names what is wrong."""
    try:
        outer = _DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise PushRejected(400, f"request body is not JSON: {exc}") from None
    if not isinstance(outer, dict):
        raise PushRejected(400, f"request body is a JSON {type(outer).__name__}, not an object")
    missing = [f for f in PUSH_FIELDS if outer.get(f) is None]
    if missing:
        raise PushRejected(400, f"missing field(s): {', '.join(missing)}")
    if outer["appId"] != account.app_id:
        raise PushRejected(403, "appId differs from the account whose key signed the push")
    for name in ("cmd", "version", "body"):
        if not isinstance(outer[name], str) or not outer[name].strip():
            raise PushRejected(400, f"{name} must be a non-empty JSON string")
    for name in ("timestamp", "bornTimeStamp"):
        if not isinstance(outer[name], int) or isinstance(outer[name], bool):
            raise PushRejected(400, f"{name} must be an integer (epoch milliseconds)")
    try:
        fields = _DECODER.decode(outer["body"].encode("utf-8"))
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise PushRejected(400, f"body is a string but not JSON: {exc}") from None
    if not isinstance(fields, dict | list):
        raise PushRejected(400, "body must hold a JSON object or array")
    cmd = outer["cmd"].strip()
    required = _key_fields(cmd)
    absent = [f for f in required if not isinstance(fields, dict) or fields.get(f) in (None, "")]
    if absent:
        raise PushRejected(400, f"{cmd} body lacks {', '.join(absent)}")
    return PushMessage(
        account=account.name,
        app_id=account.app_id,
        cmd=cmd,
        version=outer["version"],
        pushed_ms=outer["timestamp"],
        born_ms=outer["bornTimeStamp"],
        body=outer["body"],
        fields=fields,
    )


def local_time(epoch_ms: int, zone: dt.tzinfo) -> dt.datetime:
    """An epoch-milliseconds instant as naive wall-clock time in ``zone`` (store-local)."""
    seconds, millis = divmod(epoch_ms, 1000)  # integers: no float near the instant
    instant = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(milliseconds=millis)
    return instant.astimezone(zone).replace(tzinfo=None)
