"""QianHub gateway client: one signed JSON POST per call, raw vendor bytes back.

Every request is the envelope ``{"version":"1.0","action":…,"body":…}`` POSTed to the gateway
URL itself (there are no per-action paths). The envelope is serialised once, those bytes are
signed and those same bytes are sent: re-serialising could reorder keys or change escapes and
the gateway would reject the signature.

Data calls return the response body as bytes, unparsed beyond a cheap shape check, so raw
landing stores exactly what the vendor sent and flattening can be replayed without the API.

Errors (see :mod:`etl.errors`): 400 carries ``{"error_code","message","extra_message"}`` and is
permanent (never retried); 5xx, dropped connections, timeouts and garbled 200 bodies are
transient and retried with backoff; oversized bodies raise ``ResponseTooLarge`` so the caller
can split its time window (:mod:`etl.qianhub.windows`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import msgspec

from etl.closing import Closing
from etl.config import QianhubSettings
from etl.errors import (
    ConfigError,
    VendorAuthError,
    VendorError,
    VendorRequestError,
    VendorUnavailable,
)
from etl.http import MASK, CappedResponse, post_capped, redact, retrying
from etl.qianhub.auth import SIGN_HEADER, QianhubSigner

log = logging.getLogger(__name__)

VENDOR = "qianhub"
BOH_TYPES = ("cashier.finish", "handover.stat", "dayend.stat", "waimai.order")
# The gateway takes shop-local wall-clock times at one-second resolution.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Codes the simulator uses for a rejected signature and an unknown AppID; the vendor document
# lists no codes at all, so 401/403 statuses are treated as auth failures as well.
AUTH_ERROR_CODES = frozenset({1001, 1002})


class _VendorErrorBody(msgspec.Struct):
    error_code: int | str
    message: str = ""
    extra_message: str | None = None


class _ShopsBody(msgspec.Struct):
    shops: list[dict[str, msgspec.Raw]]


def _check_object(body: bytes) -> None:
    msgspec.json.decode(body, type=dict[str, msgspec.Raw])


def _check_shops(body: bytes) -> None:
    msgspec.json.decode(body, type=_ShopsBody)


def _check_array(body: bytes) -> None:
    # Raw skips each element without building it, but still validates the JSON syntax, so a
    # body cut short mid-stream fails here instead of in flattening.
    msgspec.json.decode(body, type=list[msgspec.Raw])


def format_time(value: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` for a naive shop-local datetime.

    Aware datetimes are refused rather than converted: the shop's zone is not ours to guess.
    Sub-second parts are refused because the gateway would silently drop them, which would make
    adjacent windows overlap or leave gaps.
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        raise ValueError(f"QianHub times are shop-local naive datetimes, got aware {value}")
    if value.microsecond:
        raise ValueError(f"QianHub times have one-second resolution, got {value}")
    return value.strftime(TIME_FORMAT)


class QianhubClient(Closing):
    """Signed calls to the QianHub gateway. Composition, not configuration: pass any
    ``base_url``/``transport`` (production, simulator, ``httpx.MockTransport``)."""

    def __init__(
        self,
        base_url: str,
        signer: QianhubSigner,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_response_bytes: int = 64 * 2**20,
        transport: httpx.BaseTransport | None = None,
        backoff_base: float = 0.5,
    ) -> None:
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ConfigError(f"QIANHUB_GATEWAY_URL must be an http(s) URL, got {redact(base_url)}")
        self.base_url = base_url
        self.max_attempts = max_attempts
        self.max_response_bytes = max_response_bytes
        self._signer = signer
        self._backoff_base = backoff_base
        # httpx's own base_url would append "/" to the gateway path; we POST to the URL as given.
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    @classmethod
    def from_settings(cls, settings: QianhubSettings, **overrides: Any) -> QianhubClient:
        """Build from settings; ``overrides`` replace constructor keywords (e.g. transport)."""
        signer = QianhubSigner.from_file(settings.app_id, settings.private_key_file)
        kwargs: dict[str, Any] = {
            "timeout": settings.timeout_seconds,
            "max_attempts": settings.max_attempts,
            "max_response_bytes": int(settings.max_response_mb * 2**20),
        }
        kwargs.update(overrides)
        return cls(settings.gateway_url, signer, **kwargs)

    def __repr__(self) -> str:
        return (
            f"QianhubClient(base_url={redact(self.base_url)!r}, app_id={self._signer.app_id!r}, "
            f"max_attempts={self.max_attempts})"
        )

    def close(self) -> None:
        self._http.close()

    # --- actions -------------------------------------------------------------------------

    def test(self, name: str) -> dict[str, Any]:
        """``qianhub.test``: the gateway echoes ``{"name": name}`` when the signature is good."""
        body = self._call("qianhub.test", {"name": name}, check=_check_object)
        result: dict[str, Any] = json.loads(body)
        return result

    def list_shops(self) -> bytes:
        """Raw body of ``qianhub.agent.list-shop``: an object with a ``shops`` list."""
        return self._call("qianhub.agent.list-shop", None, check=_check_shops)

    def query(self, shop_id: int, boh_type: str, begin: dt.datetime, end: dt.datetime) -> bytes:
        """Raw JSON array of one ``boh_type`` for a shop in the shop-local window."""
        body = {"shop_id": shop_id, "boh_type": boh_type, **_window(begin, end)}
        return self._call(
            "qianhub.agent.query", body, check=_check_array, context=_ctx(shop_id, begin, end)
        )

    def batch_query(
        self, shop_id: int, boh_types: Sequence[str], begin: dt.datetime, end: dt.datetime
    ) -> bytes:
        """Raw JSON array of several ``boh_types`` for a shop, ascending in time (per the doc)."""
        if isinstance(boh_types, str) or not boh_types:
            raise ValueError("boh_types must be a non-empty sequence of type names")
        body = {"shop_id": shop_id, "boh_types": list(boh_types), **_window(begin, end)}
        return self._call(
            "qianhub.agent.batch-query",
            body,
            check=_check_array,
            context=_ctx(shop_id, begin, end),
        )

    # --- transport -----------------------------------------------------------------------

    def _call(
        self,
        action: str,
        body: dict[str, Any] | None,
        *,
        check: Callable[[bytes], None],
        context: str = "",
    ) -> bytes:
        payload: dict[str, Any] = {"version": "1.0", "action": action}
        # The doc's list-shop example omits "body" ("可选字段"); send it only when there is one.
        if body is not None:
            payload["body"] = body
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            **self._signer.headers(content),
        }
        policy = retrying(self.max_attempts, base_delay=self._backoff_base)
        return policy(self._attempt, action, content, headers, check, context)

    def _attempt(
        self,
        action: str,
        content: bytes,
        headers: dict[str, str],
        check: Callable[[bytes], None],
        context: str,
    ) -> bytes:
        started = time.perf_counter()
        outcome, size = "?", "-"
        try:
            response = post_capped(
                self._http,
                self.base_url,
                content=content,
                headers=headers,
                max_bytes=self.max_response_bytes,
                vendor=VENDOR,
                endpoint=action,
            )
            outcome, size = str(response.status), str(len(response.body))
        except VendorError as exc:
            outcome = str(exc.status) if exc.status is not None else type(exc).__name__
            raise
        finally:
            # One line per attempt whatever happened; the retry policy adds its own WARNING.
            ms = (time.perf_counter() - started) * 1000
            log.info("qianhub %s%s status=%s bytes=%s ms=%.0f", action, context, outcome, size, ms)
        if response.status != 200:
            raise _status_error(action, response, sent_signature=headers[SIGN_HEADER])
        try:
            check(response.body)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # A 200 that is not the documented shape is almost always a body cut short by a
            # proxy or a gateway hiccup; the same request usually succeeds on retry.
            raise VendorUnavailable(
                f"HTTP 200 with a body that is not the expected JSON ({exc})",
                vendor=VENDOR,
                endpoint=action,
                status=200,
            ) from None
        return response.body


def _window(begin: dt.datetime, end: dt.datetime) -> dict[str, str]:
    if end <= begin:
        raise ValueError(f"window end {end} is not after begin {begin}")
    return {"begin": format_time(begin), "end": format_time(end)}


def _ctx(shop_id: int, begin: dt.datetime, end: dt.datetime) -> str:
    return f" shop={shop_id} window=[{begin:%Y-%m-%d %H:%M:%S}, {end:%Y-%m-%d %H:%M:%S})"


def _status_error(
    action: str, response: CappedResponse, *, sent_signature: str
) -> VendorAuthError | VendorRequestError:
    """Map a non-200, non-5xx answer to a permanent error carrying the vendor's code."""
    code: int | str | None = None
    message: str | None = None
    try:
        err = msgspec.json.decode(response.body, type=_VendorErrorBody)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    else:
        code = err.error_code
        message = err.message + (f" ({err.extra_message})" if err.extra_message else "")
        # A gateway explaining a signature failure may echo the signature it got: scrub ours,
        # then anything else secret-looking, and keep it short.
        message = redact(message.replace(sent_signature, MASK))[:300]
    auth = response.status in (401, 403) or (
        response.status == 400 and _as_int(code) in AUTH_ERROR_CODES
    )
    kind, what = (
        (VendorAuthError, "rejected the signature or app")
        if auth
        else (VendorRequestError, "rejected the request")
    )
    return kind(
        what,
        vendor=VENDOR,
        endpoint=action,
        status=response.status,
        code=code,
        vendor_message=message,
    )


def _as_int(code: int | str | None) -> int | None:
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None
