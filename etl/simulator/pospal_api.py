"""The Pospal open API v1 protocol, without HTTP: path, raw body and headers in; an answer out.

Order of checks, for ``POST /pospal-api2/openapi/v1/<module>/<method>``:

1. the path must name a method (case-sensitive: the order document's lower-cased paths are
   404s, as they are on the real server); unknown paths are not counted;
2. the body is read once for ``appId`` alone. A known ``appId`` counts one call against its
   daily quota from here on, whatever the outcome -- Pospal counts failed calls too;
3. ``data-signature`` present (else 1031), 32 hex digits (else 1033), ``appId`` known (else
   1034), equal to UPPER(MD5(appKey + the raw body bytes)) (else 1032). Upper case is the rule:
   a lower-case digest is a mismatch. Nothing else of the body is looked at before this;
4. the day's quota not exceeded (else 1035);
5. the method's parameters (else 9003).

The answer is ``{"status", "messages", "errorCode"?, "data"?}``. Error codes and HTTP statuses
(fixed per code; 1035 is this simulator's choice -- no public source shows the real one):

====  ====  ==================  ==============================================================
code  HTTP  message             when
====  ====  ==================  ==============================================================
1031  401   缺少签名            no (or an empty) ``data-signature`` header
1032  200   签名不匹配          the digest does not match appKey + body
1033  400   签名校验失败        the header is not 32 hex digits
1034  200   appId不存在         body not a JSON object, ``appId`` missing or unknown
1035  403   调用次数超限        more than ``quota`` calls for the appId on this shop-local day
9003  200   参数错误            missing / malformed parameters, windows over one day, a changed
                                ``postBackParameter``, an access-log span over seven days
--    404   接口不存在          unknown path (``errorCode`` absent)
====  ====  ==================  ==============================================================

The day of the quota is the world clock's (``as_of``) calendar date. ``status`` is ``success``
in lower case, except ``openApiLimitAccess`` answers, which say ``SUCCESS``: the document says
to compare without case, so the simulator makes sure clients do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from etl.simulator.faults import FaultConfig
from etl.simulator.pospal_methods import METHODS, Call, ParameterError
from etl.simulator.pospal_world import PospalWorld

PREFIX = "/pospal-api2/openapi/v1/"
QUOTA_CODE = 1035
MESSAGES = {
    1031: "缺少签名",
    1032: "签名不匹配",
    1033: "签名校验失败",
    1034: "appId不存在",
    QUOTA_CODE: "调用次数超限",
    9003: "参数错误",
}
HTTP_STATUS = {1031: 401, 1032: 200, 1033: 400, 1034: 200, QUOTA_CODE: 403, 9003: 200}
SIGNATURE_CODES = frozenset({1031, 1032, 1033})
_HEX32 = re.compile(r"[0-9A-Fa-f]{32}")


@dataclass(frozen=True)
class ApiReply:
    """What to answer. ``window_hours`` is set for windowed queries (drives ``oversized``)."""

    status: int
    payload: dict[str, object]
    method: str | None = None
    app_id: str | None = None
    error_code: int | None = None
    window_hours: float | None = None
    faults: Mapping[str, int] | None = None


class ApiError(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code} {MESSAGES[code]}: {detail}")
        self.code = code
        self.detail = detail


class CallLedger:
    """Calls per (appId, shop-local date): what the quota and the access log count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, dt.date]] = Counter()

    def spend(self, app_id: str, day: dt.date) -> int:
        with self._lock:
            self._calls[app_id, day] += 1
            return self._calls[app_id, day]

    def used(self, app_id: str, day: dt.date) -> int:
        with self._lock:
            return self._calls[app_id, day]


class PospalApi:
    """Authenticates, meters and dispatches requests against a :class:`PospalWorld`."""

    def __init__(
        self,
        world: PospalWorld,
        accounts: Mapping[str, str],
        *,
        quota: int = 300,
        faults: FaultConfig = FaultConfig(),  # noqa: B008 -- frozen dataclass, immutable
        page_sizes: Mapping[str, int] | None = None,
    ) -> None:
        if quota < 0:
            raise ValueError(f"quota must be >= 0, got {quota}")
        self.world = world
        self.accounts = dict(accounts)
        for app_id in self.accounts:
            world.store(app_id)  # KeyError: an account the world has no store for
        self.quota = quota
        self.faults = faults
        self.page_sizes = {"tickets": 100, "orders": 100, "history": 100, **(page_sizes or {})}
        self.ledger = CallLedger()
        # Push configuration per appId (openNotificationOpenApi), set by updatePushUrl.
        self.push_urls: dict[str, dict[str, object]] = {}

    def handle(self, path: str, raw: bytes, signature: str | None) -> ApiReply:
        method = path.removeprefix(PREFIX) if path.startswith(PREFIX) else None
        if method not in METHODS:
            payload: dict[str, object] = {"status": "error", "messages": [f"接口不存在: {path}"]}
            return ApiReply(404, payload)
        now = self.world.now()
        request = _lenient(raw)
        app_id = request.get("appId") if request is not None else None
        known = app_id if isinstance(app_id, str) and app_id in self.accounts else None
        if known is not None:
            self.ledger.spend(known, now.date())
        try:
            self._authenticate(raw, request, known, signature)
            assert request is not None and known is not None
            if self.ledger.used(known, now.date()) > self.quota:
                raise ApiError(QUOTA_CODE, f"每日调用上限 {self.quota} 次, 已用完")
            call = Call(
                world=self.world,
                store=self.world.store(known),
                params=request,
                as_of=now,
                faults=self.faults,
                page_sizes=self.page_sizes,
                access_log=self.access_log,
                push_urls=self.push_urls,
            )
            try:
                result = METHODS[method](call)
            except ParameterError as exc:
                raise ApiError(9003, str(exc)) from None
        except ApiError as exc:
            payload = {
                "status": "error",
                "messages": [f"{MESSAGES[exc.code]}: {exc.detail}"],
                "errorCode": exc.code,
            }
            return ApiReply(HTTP_STATUS[exc.code], payload, method, known, exc.code)
        status = "SUCCESS" if method.startswith("openApiLimitAccess/") else "success"
        payload = {"status": status, "messages": []}
        if result.has_data:
            payload["data"] = result.data
        return ApiReply(200, payload, method, known, None, result.window_hours, result.faults)

    def _authenticate(
        self,
        raw: bytes,
        request: dict[str, object] | None,
        known: str | None,
        signature: str | None,
    ) -> None:
        signature = (signature or "").strip()
        if not signature:
            raise ApiError(1031, "data-signature header missing")
        if not _HEX32.fullmatch(signature):
            raise ApiError(1033, "data-signature must be 32 hex digits")
        if known is None:
            app_id = request.get("appId") if request is not None else None
            raise ApiError(1034, f"unknown appId {app_id!r}" if app_id else "appId missing")
        expected = hashlib.md5(self.accounts[known].encode() + raw).hexdigest().upper()
        if not hmac.compare_digest(expected, signature):
            raise ApiError(1032, "data-signature does not match appKey + body")

    def access_log(self, begin: dt.date, end: dt.date) -> list[dict[str, object]]:
        """``queryDailyAccessTimesLog`` rows: every account of the chain, every day."""
        rows: list[dict[str, object]] = []
        day = begin
        while day <= end:
            for app_id in self.accounts:
                rows.append(
                    {
                        "appId": app_id,
                        "accessDate": f"{day.isoformat()} 00:00:00",
                        "haveAcessTimes": self.ledger.used(app_id, day),  # sic: the vendor's
                        "limitTimes": self.quota,
                    }
                )
            day += dt.timedelta(days=1)
        return rows

    def push_url(self, app_id: str) -> str | None:
        """Where the account's pushes go (``updatePushUrl``), None until one is set."""
        config = self.push_urls.get(app_id)
        url = config.get("sendUrl") if config else None
        return url if isinstance(url, str) else None

    def quota_used(self, day: dt.date | None = None) -> dict[str, int]:
        """Calls counted per appId on ``day`` (default: the world clock's date)."""
        when = day or self.world.now().date()
        return {app_id: self.ledger.used(app_id, when) for app_id in self.accounts}


def _lenient(raw: bytes) -> dict[str, object] | None:
    try:
        request = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return request if isinstance(request, dict) else None
