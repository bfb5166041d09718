"""The QianHub gateway's protocol, without HTTP: raw request bytes in, status and payload out.

Order of checks, as the document describes: the app (``X-QianHub-App``) must be known, the
signature (``X-QianHub-Sign``, SHA1withRSA hex) must verify against the *exact raw bytes* of the
request with that app's public key -- before anything is parsed -- and only then is the body
read as ``{"version": "1.0", "action": ..., "body": ...}``.

Error codes. The document shows only ``1000 系统错误``; the others are this simulator's choice
(HTTP 400 with ``{"error_code", "message", "extra_message"}`` in every case):

====  ============  ===============================================================
code  message       when
====  ============  ===============================================================
1000  系统错误      body is not JSON (also used for 5xx-style internal faults)
1001  签名错误      signature header missing, not hex, or not valid for the bytes
1002  应用不存在    app header missing or AppID unknown
1003  参数错误      envelope or body invalid: version, shop_id, times, begin >= end,
                    boh_type(s), window longer than ``max_window_days``
1004  接口不存在    unknown action
====  ============  ===============================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from etl.qianhub.auth import load_public_key, verify
from etl.simulator.qianhub_common import BOH_TYPES, parse_time
from etl.simulator.qianhub_world import QianhubWorld

DOC_TEST_APP_ID = "507435914698"
# The test account's public key, verbatim from the document (bare base64, no PEM armour).
DOC_TEST_PUBLIC_KEY = (
    b"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDgIpJjMaj0YbGZLkbagg+qGfY3zuVKjj8muSfC\n"
    b"L7HugMANtKDj/ziExh8NSroA2bI6i0DR1n6slrio6bBWqnKFDZwjldDobDOrNXWNxbb3cIncDke9\n"
    b"CPbDdyWqaimchKMitVgVC8DWy38EDE2u5xQfaz8Tcedkllk7UJkWbciHMQIDAQAB\n"
)

TEST = "qianhub.test"
LIST_SHOP = "qianhub.agent.list-shop"
QUERY = "qianhub.agent.query"
BATCH_QUERY = "qianhub.agent.batch-query"
ACTIONS = (TEST, LIST_SHOP, QUERY, BATCH_QUERY)
QUERY_ACTIONS = frozenset({QUERY, BATCH_QUERY})

MESSAGES = {
    1000: "系统错误",
    1001: "签名错误",
    1002: "应用不存在",
    1003: "参数错误",
    1004: "接口不存在",
}


class GatewayError(Exception):
    """A business error answered as HTTP 400."""

    def __init__(self, code: int, extra: str) -> None:
        super().__init__(f"{code} {MESSAGES[code]}: {extra}")
        self.code = code
        self.extra = extra

    def payload(self) -> dict[str, object]:
        return {
            "error_code": self.code,
            "message": MESSAGES[self.code],
            "extra_message": self.extra,
        }


@dataclass(frozen=True)
class GatewayReply:
    """What to answer. ``window_hours`` is set for query actions (drives ``oversized``)."""

    status: int
    payload: object
    action: str | None = None
    error_code: int | None = None
    window_hours: float | None = None


class QianhubGateway:
    """Verifies and dispatches requests against a :class:`QianhubWorld`."""

    def __init__(
        self,
        world: QianhubWorld,
        apps: Mapping[str, RSAPublicKey] | None = None,
        *,
        max_window_days: int = 366,
    ) -> None:
        self.world = world
        # The document's test app is always present, so its signature vector can be sent.
        self.apps: dict[str, RSAPublicKey] = {
            DOC_TEST_APP_ID: load_public_key(DOC_TEST_PUBLIC_KEY, source="document test key"),
            **(apps or {}),
        }
        self.max_window_days = max_window_days

    def handle(self, raw: bytes, app_id: str | None, signature: str | None) -> GatewayReply:
        action: str | None = None
        try:
            self._authenticate(raw, app_id, signature)
            action, body = self._envelope(raw)
            payload, hours = self._dispatch(action, body)
        except GatewayError as exc:
            return GatewayReply(400, exc.payload(), action, exc.code)
        return GatewayReply(200, payload, action, window_hours=hours)

    def _authenticate(self, raw: bytes, app_id: str | None, signature: str | None) -> None:
        if not app_id:
            raise GatewayError(1002, "missing X-QianHub-App header")
        key = self.apps.get(app_id)
        if key is None:
            raise GatewayError(1002, f"unknown app {app_id!r}")
        if not signature:
            raise GatewayError(1001, "missing X-QianHub-Sign header")
        if not verify(key, raw, signature.strip()):
            raise GatewayError(1001, "signature does not match the request body")

    def _envelope(self, raw: bytes) -> tuple[str, object]:
        try:
            request = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise GatewayError(1000, str(exc)) from None
        if not isinstance(request, dict):
            raise GatewayError(1003, "request must be a JSON object")
        if request.get("version") != "1.0":
            raise GatewayError(1003, f"version must be '1.0', got {request.get('version')!r}")
        action = request.get("action")
        if not isinstance(action, str) or not action:
            raise GatewayError(1003, "action is required")
        if action not in ACTIONS:
            raise GatewayError(1004, f"unknown action {action!r}")
        return action, request.get("body")

    def _dispatch(self, action: str, body: object) -> tuple[object, float | None]:
        if action == TEST:
            return body, None
        if action == LIST_SHOP:
            return {"shops": self.world.shops()}, None
        if not isinstance(body, dict):
            raise GatewayError(1003, "body must be an object")
        shop_id = body.get("shop_id")
        if type(shop_id) is not int:
            raise GatewayError(1003, f"shop_id must be an integer, got {shop_id!r}")
        if not self.world.has_shop(shop_id):
            raise GatewayError(1003, f"unknown shop_id {shop_id}")
        boh_types = [body.get("boh_type")] if action == QUERY else body.get("boh_types")
        if not isinstance(boh_types, list) or not boh_types:
            raise GatewayError(1003, "boh_types must be a non-empty array")
        for boh_type in boh_types:
            if boh_type not in BOH_TYPES:
                raise GatewayError(1003, f"unknown boh_type {boh_type!r}")
        begin = _time(body, "begin")
        end = _time(body, "end")
        if begin >= end:
            raise GatewayError(1003, "begin must be before end")
        if end - begin > dt.timedelta(days=self.max_window_days):
            raise GatewayError(1003, f"window longer than {self.max_window_days} days")
        records = self.world.records(shop_id, [str(t) for t in boh_types], begin, end)
        return records, (end - begin).total_seconds() / 3600


def _time(body: dict[str, object], name: str) -> dt.datetime:
    value = body.get(name)
    if not isinstance(value, str):
        raise GatewayError(1003, f"{name} must be a 'yyyy-MM-dd HH:mm:ss' string")
    try:
        return parse_time(value)
    except ValueError:
        raise GatewayError(1003, f"{name} must be 'yyyy-MM-dd HH:mm:ss', got {value!r}") from None
