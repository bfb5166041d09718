"""Pospal open API v1 client: one signed JSON POST per call, the vendor's raw bytes back.

``POST <base_url>/pospal-api2/openapi/v1/<module>/<method>`` with ``appId`` first in the body.
The body is serialised once (:func:`etl.pospal.envelope.encode_body`), those bytes are signed
(:mod:`etl.pospal.auth`) and those same bytes are sent; the answer is judged by
:func:`etl.pospal.envelope.check_answer` (codes → error tree, all permanent but cut-off bodies).

Every HTTP attempt, retries included, first takes one call from the :class:`CallBudget`
(Pospal counts failed calls too); ``QuotaExhausted`` is never retried. 5xx, 429, dropped
connections and timeouts are transient and retried by :func:`etl.http.retrying`. Bodies are
returned unparsed so raw landing keeps money and ids exactly as sent; neither the key nor the
signature reaches a message or a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from etl.closing import Closing
from etl.errors import (
    ConfigError,
    PermanentVendorError,
    QuotaExhausted,
    VendorError,
)
from etl.http import post_capped, retrying
from etl.pospal.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from etl.pospal.budget import CallBudget
from etl.pospal.envelope import DEFAULT_QUOTA_CODES, check_answer, encode_body
from etl.pospal.pagination import CURSOR_FIELD, Page, page_from_body, paginate
from etl.pospal.settings import PospalAccount, PospalTuning
from etl.pospal.windows import window_params

log = logging.getLogger(__name__)

VENDOR = "pospal"
API_PREFIX = "/pospal-api2/openapi/v1/"
# Real method names are camelCase (the order document is a lower-cased copy); the misspellings
# Refun/Tcket are the vendor's own.
QUERY_TICKET_PAGES = "ticketOpenApi/queryTicketPages"
QUERY_TICKET_BY_SN = "ticketOpenApi/queryTicketBySn"
QUERY_CUSTOMER_HISTORY = "ticketOpenApi/queryCustomerHistoryTicketsByUid"
QUERY_REFUND_BY_SELL_UID = "ticketOpenApi/queryRefunTicketBySellTicketUid"
QUERY_REFUND_BY_SELL_SN = "ticketOpenApi/queryRefunTicketBySellTicketSn"
QUERY_SELL_BY_REFUND_UID = "ticketOpenApi/querySellTicketByRefunTicketUid"
QUERY_SELL_BY_REFUND_SN = "ticketOpenApi/querySellTicketByRefunTicketSn"
QUERY_TICKET_BY_ORDER_NO = "ticketOpenApi/queryTicketByOrderNo"
QUERY_ALL_PAY_METHODS = "ticketOpenApi/queryAllPayMethod"
QUERY_ORDER_PAGES = "orderOpenApi/queryOrderPages"
QUERY_ORDER_BY_NO = "orderOpenApi/queryOrderByNo"
QUERY_PUSH_URL = "openNotificationOpenApi/queryPushUrl"
UPDATE_PUSH_URL = "openNotificationOpenApi/updatePushUrl"
QUERY_DAILY_ACCESS = "openApiLimitAccess/queryDailyAccessTimesLog"

_MAX_ACCESS_LOG_SPAN = dt.timedelta(days=7)
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]*(/[A-Za-z][A-Za-z0-9_]*)+")


class PospalClient(Closing):
    """Signed calls for one Pospal account. Composition, not configuration: the same code runs
    against production, the simulator or an ``httpx.MockTransport`` (``transport=``)."""

    def __init__(
        self,
        account: PospalAccount,
        *,
        budget: CallBudget | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        max_response_bytes: int = 64 * 2**20,
        transport: httpx.BaseTransport | None = None,
        max_pages: int = 1000,
        quota_codes: frozenset[int] = DEFAULT_QUOTA_CODES,
    ) -> None:
        try:
            scheme = httpx.URL(account.base_url).scheme
        except httpx.InvalidURL:
            scheme = ""
        if scheme not in ("http", "https"):
            raise ConfigError(f"Pospal account {account.name!r}: base_url must be http(s)")
        self._api_url = account.base_url.rstrip("/") + API_PREFIX
        self.account = account
        self.budget = budget
        self.max_attempts = max_attempts
        self.max_response_bytes = max_response_bytes
        self.max_pages = max_pages
        self.quota_codes = quota_codes
        self._backoff_base = backoff_base
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    @classmethod
    def from_settings(
        cls,
        account: PospalAccount,
        tuning: PospalTuning,
        budget: CallBudget | None,
        **overrides: Any,
    ) -> PospalClient:
        """Build from settings; ``overrides`` replace constructor keywords (e.g. transport)."""
        kwargs: dict[str, Any] = {
            "budget": budget,
            "timeout": tuning.timeout_seconds,
            "max_attempts": tuning.max_attempts,
            "max_response_bytes": int(tuning.max_response_mb * 2**20),
            "max_pages": tuning.max_pages,
            "quota_codes": tuning.quota_codes,
        }
        kwargs.update(overrides)
        return cls(account, **kwargs)

    def __repr__(self) -> str:
        return (
            f"PospalClient(account={self.account.name!r}, base_url={self.account.base_url!r}, "
            f"app_id={self.account.app_id!r}, max_attempts={self.max_attempts})"
        )

    def close(self) -> None:
        self._http.close()

    # --- paged queries (each window at most one day; see etl.pospal.windows) ------------

    def ticket_pages(
        self, start: dt.datetime, end: dt.datetime, *, max_pages: int | None = None
    ) -> Iterator[Page]:
        """Sales and return tickets with ``datetime`` in the store-local window, page by page."""
        return self._pages(QUERY_TICKET_PAGES, window_params(start, end), max_pages)

    def order_pages(
        self, start: dt.datetime, end: dt.datetime, *, max_pages: int | None = None
    ) -> Iterator[Page]:
        """Online orders created in the store-local window, page by page."""
        return self._pages(QUERY_ORDER_PAGES, window_params(start, end), max_pages)

    def customer_history(
        self,
        customer_uid: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        all_stores: bool = False,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """One member's tickets in the window; ``all_stores`` adds the chain's other stores.

        The document types ``customerUid`` as String (its example is quoted), so the id goes as
        its exact decimal digits in a string.
        """
        params: dict[str, Any] = {**window_params(start, end), "customerUid": str(customer_uid)}
        if all_stores:
            params["queryAllStoreConsume"] = 1
        return self._pages(QUERY_CUSTOMER_HISTORY, params, max_pages)

    # --- single look-ups ------------------------------------------------------------------

    def ticket_by_sn(self, sn: str) -> bytes:
        return self.call(QUERY_TICKET_BY_SN, {"sn": sn})

    def order_by_no(self, order_no: str) -> bytes:
        """One online order (网单) in its current state."""
        return self.call(QUERY_ORDER_BY_NO, {"orderNo": order_no})

    def push_url(self) -> bytes:
        """Where the vendor pushes this account's notifications (``data.sendUrl``)."""
        return self.call(QUERY_PUSH_URL, {})

    def update_push_url(self, url: str) -> bytes:
        """Point the account's push notifications at ``url``."""
        return self.call(UPDATE_PUSH_URL, {"pushUrl": url})

    def ticket_by_order_no(self, order_no: str) -> bytes:
        return self.call(QUERY_TICKET_BY_ORDER_NO, {"orderNo": order_no})

    def refunds_by_sell_ticket_uid(self, sell_ticket_uid: int) -> bytes:
        return self.call(QUERY_REFUND_BY_SELL_UID, {"sellTcketUid": sell_ticket_uid})

    def refunds_by_sell_ticket_sn(self, sell_ticket_sn: str) -> bytes:
        return self.call(QUERY_REFUND_BY_SELL_SN, {"sellTcketSn": sell_ticket_sn})

    def sell_ticket_by_refund_uid(self, refund_ticket_uid: int) -> bytes:
        return self.call(QUERY_SELL_BY_REFUND_UID, {"refunTcketUid": refund_ticket_uid})

    def sell_ticket_by_refund_sn(self, refund_ticket_sn: str) -> bytes:
        return self.call(QUERY_SELL_BY_REFUND_SN, {"refunTcketSn": refund_ticket_sn})

    def pay_methods(self) -> bytes:
        """Every payment method (``payCode_N`` → name) of the store."""
        return self.call(QUERY_ALL_PAY_METHODS, {})

    def daily_access_times(self, begin: dt.date, end: dt.date) -> bytes:
        """The vendor's count of our calls per day (this call costs one too). Span ≤ 7 days."""
        if end < begin or end - begin > _MAX_ACCESS_LOG_SPAN:
            raise ValueError(f"need begin <= end <= begin + 7 days, got {begin} .. {end}")
        return self.call(
            QUERY_DAILY_ACCESS, {"beginDate": begin.isoformat(), "endDate": end.isoformat()}
        )

    # --- transport ------------------------------------------------------------------------

    def call(self, path: str, payload: Mapping[str, Any]) -> bytes:
        """POST ``payload`` (plus ``appId``) to ``<module>/<method>``; the raw success body."""
        if not _PATH.fullmatch(path):
            raise ValueError(f"path must look like 'ticketOpenApi/queryTicketPages', got {path!r}")
        if "appId" in payload:
            raise ValueError("payload must not carry appId: the client adds its account's")
        content = encode_body({"appId": self.account.app_id, **payload})
        signature = sign(self.account.app_key.get_secret_value(), content)
        policy = retrying(self.max_attempts, base_delay=self._backoff_base)
        return policy(self._attempt, path, content, signature)

    def _pages(self, path: str, params: dict[str, Any], max_pages: int | None) -> Iterator[Page]:
        def fetch(cursor: object | None) -> Page:
            # First page: no postBackParameter key at all; later: the cursor exactly as parsed.
            payload = params if cursor is None else {**params, CURSOR_FIELD: cursor}
            body = self.call(path, payload)
            try:
                return page_from_body(body)
            except ValueError as exc:
                raise PermanentVendorError(
                    f"success answer is not a page ({exc})", vendor=VENDOR, endpoint=path
                ) from None

        cap = self.max_pages if max_pages is None else max_pages
        return paginate(fetch, max_pages=cap, endpoint=path)

    def _attempt(self, path: str, content: bytes, signature: str) -> bytes:
        if self.budget is not None:
            self.budget.spend(self.account.app_id, endpoint=path)
        headers = {
            "User-Agent": "openApi",
            "Content-Type": "application/json; charset=utf-8",
            "Accept-Encoding": "gzip,deflate",
            TIMESTAMP_HEADER: str(time.time_ns() // 1_000_000),
            SIGNATURE_HEADER: signature,
        }
        started = time.perf_counter()
        outcome, size = "?", "-"
        try:
            response = post_capped(
                self._http,
                self._api_url + path,
                content=content,
                headers=headers,
                max_bytes=self.max_response_bytes,
                vendor=VENDOR,
                endpoint=path,
            )
            outcome, size = str(response.status), str(len(response.body))
        except VendorError as exc:
            outcome = str(exc.status) if exc.status is not None else type(exc).__name__
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info(
                "pospal %s account=%s status=%s bytes=%s ms=%.0f",
                path,
                self.account.name,
                outcome,
                size,
                ms,
            )
        try:
            check_answer(
                path,
                response.status,
                response.body,
                secrets=(signature, self.account.app_key.get_secret_value()),
                quota_codes=self.quota_codes,
            )
        except QuotaExhausted:
            if self.budget is not None:
                # The vendor knows best: mark today spent so every process sharing the file stops.
                budget = self.budget
                budget.record_vendor_usage(self.account.app_id, budget.today(), budget.limit)
            raise
        return response.body
