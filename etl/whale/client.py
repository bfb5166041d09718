"""WHALE e-voucher admin client: one JSON POST per action, the answer judged by ``returnCode``.

``POST <WHALE_BASE_URL><WHALE_PATH_TEMPLATE with {action}>`` with the action's documented body
(no envelope: the document shows bare bodies). The body is serialised once
(:func:`etl.whale.models.encode`, which validates field lengths and formats first), the optional
signer signs those bytes, and those bytes are sent with the configured extra headers.

Retries: only the read-only queries (``makeNotifyQuery``, the verification query) are retried on
transient failures. Set-up inserts carry no idempotency key in the document and
``makeNotifyRetry`` re-sends a notification, so a timeout there is reported, not repeated: a
second activity or a second SMS is worse than a clear error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
from msgspec import Struct
from pydantic import SecretStr

from etl.closing import Closing
from etl.errors import VendorError
from etl.http import MASK, post_capped, redact, retrying
from etl.whale.envelope import VENDOR, WhaleUnexpectedAnswer, check_answer
from etl.whale.models import (
    MAKE_NOTIFY_QUERY,
    MAKE_NOTIFY_RETRY,
    AdminAnswer,
    Notification,
    NotifyQuery,
    encode,
)
from etl.whale.settings import Signer, WhaleSettings, check_base_url, path_for

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class PreparedRequest:
    """One request as it will be sent. ``secret_headers`` (configured and signed) are kept
    apart so :meth:`describe` can show their names only."""

    action: str
    path: str
    body: bytes
    headers: dict[str, str]
    secret_headers: dict[str, SecretStr] = field(repr=False)

    def all_headers(self) -> dict[str, str]:
        return {
            **self.headers,
            **{k: v.get_secret_value() for k, v in self.secret_headers.items()},
        }

    def describe(self, base_url: str | None) -> dict[str, Any]:
        """What a dry run prints: URL, headers with every secret value masked, the body."""
        return {
            "action": self.action,
            "method": "POST",
            "url": (base_url.rstrip("/") if base_url else "<WHALE_BASE_URL not set>") + self.path,
            "headers": {**self.headers, **dict.fromkeys(self.secret_headers, MASK)},
            "body": msgspec.json.decode(self.body),
        }


def prepare(
    request: Struct,
    *,
    action: str | None = None,
    path_template: str = "/{action}",
    headers: Mapping[str, SecretStr] | None = None,
    signer: Signer | None = None,
) -> PreparedRequest:
    """Validate and serialise ``request``, then sign the bytes (when a signer is configured)."""
    name = action or str(getattr(request, "action"))  # noqa: B009 -- a ClassVar of every request
    path = path_for(path_template, name)
    body = encode(request)
    secret = dict(headers or {})
    if signer is not None:
        signed = signer("POST", path, body)
        secret.update({str(k): SecretStr(str(v)) for k, v in signed.items()})
    return PreparedRequest(name, path, body, {"Content-Type": CONTENT_TYPE}, secret)


class WhaleClient(Closing):
    """Calls for one WHALE installation. The same code runs against production, the simulator
    or an ``httpx.MockTransport`` (``transport=``)."""

    def __init__(
        self,
        base_url: str,
        *,
        path_template: str = "/{action}",
        headers: Mapping[str, SecretStr] | None = None,
        signer: Signer | None = None,
        verify_notify_action: str = "verifyNotifyQuery",
        timeout: float = 30.0,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        max_response_bytes: int = 16 * 2**20,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        path_for(path_template, "check")
        self.path_template = path_template
        self.verify_notify_action = verify_notify_action
        self.max_attempts = max_attempts
        self.max_response_bytes = max_response_bytes
        self._headers = dict(headers or {})
        self._signer = signer
        self._backoff_base = backoff_base
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    @classmethod
    def from_settings(cls, settings: WhaleSettings, **overrides: Any) -> WhaleClient:
        """Build from settings (``ConfigError`` naming ``WHALE_BASE_URL`` when unset)."""
        kwargs: dict[str, Any] = {
            "path_template": settings.path_template,
            "headers": settings.extra_headers(),
            "signer": settings.load_signer(),
            "verify_notify_action": settings.verify_notify_action,
            "timeout": settings.timeout_seconds,
            "max_attempts": settings.max_attempts,
            "max_response_bytes": int(settings.max_response_mb * 2**20),
        }
        kwargs.update(overrides)
        return cls(settings.require_base_url(), **kwargs)

    def __repr__(self) -> str:
        return (
            f"WhaleClient(base_url={redact(self.base_url)!r}, "
            f"headers={sorted(self._headers)!r}, signer={self._signer is not None})"
        )

    def close(self) -> None:
        self._http.close()

    # --- actions ----------------------------------------------------------------------------

    def prepare(self, request: Struct, action: str | None = None) -> PreparedRequest:
        return prepare(
            request,
            action=action,
            path_template=self.path_template,
            headers=self._headers,
            signer=self._signer,
        )

    def setup(self, request: Struct) -> AdminAnswer:
        """Send one set-up action (activity, channels, template, rule); never retried."""
        prepared = self.prepare(request)
        answer = self._send(prepared, attempts=1)
        return msgspec.convert(answer, AdminAnswer)

    def make_notify_query(self, sale_channel_order_id: str) -> bytes:
        """制码通知查询: the raw answer (a notification record) for one order id."""
        return self._raw(NotifyQuery(saleChannelOrderId=sale_channel_order_id), MAKE_NOTIFY_QUERY)

    def make_notify_retry(self, sale_channel_order_id: str) -> bytes:
        """制码通知重试: ask WHALE to notify again; the raw answer (the record after the retry).
        Not retried on transient failures (see the module docstring)."""
        request = NotifyQuery(saleChannelOrderId=sale_channel_order_id)
        return self._raw(request, MAKE_NOTIFY_RETRY, attempts=1)

    def verify_notify_query(self, sale_channel_order_id: str) -> bytes:
        """核销通知查询 (action ``WHALE_VERIFY_NOTIFY_ACTION``): the raw answer for one order id."""
        request = NotifyQuery(saleChannelOrderId=sale_channel_order_id)
        return self._raw(request, self.verify_notify_action)

    def make_notification(self, sale_channel_order_id: str) -> Notification:
        return parse_notification(self.make_notify_query(sale_channel_order_id), MAKE_NOTIFY_QUERY)

    def verify_notification(self, sale_channel_order_id: str) -> Notification:
        body = self.verify_notify_query(sale_channel_order_id)
        return parse_notification(body, self.verify_notify_action)

    def retry_notification(self, sale_channel_order_id: str) -> Notification:
        return parse_notification(self.make_notify_retry(sale_channel_order_id), MAKE_NOTIFY_RETRY)

    # --- transport --------------------------------------------------------------------------

    def _raw(self, request: Struct, action: str, attempts: int | None = None) -> bytes:
        prepared = self.prepare(request, action)
        holder: list[bytes] = []
        self._send(prepared, attempts=attempts, keep=holder)
        return holder[0]

    def _send(
        self,
        prepared: PreparedRequest,
        *,
        attempts: int | None = None,
        keep: list[bytes] | None = None,
    ) -> dict[str, Any]:
        policy = retrying(attempts or self.max_attempts, base_delay=self._backoff_base)
        body, answer = policy(self._attempt, prepared)
        if keep is not None:
            keep.append(body)
        return answer

    def _attempt(self, prepared: PreparedRequest) -> tuple[bytes, dict[str, Any]]:
        started = time.perf_counter()
        outcome, size = "?", "-"
        try:
            response = post_capped(
                self._http,
                self.base_url + prepared.path,
                content=prepared.body,
                headers=prepared.all_headers(),
                max_bytes=self.max_response_bytes,
                vendor=VENDOR,
                endpoint=prepared.action,
            )
            outcome, size = str(response.status), str(len(response.body))
        except VendorError as exc:
            outcome = str(exc.status) if exc.status is not None else type(exc).__name__
            raise
        finally:
            log.info(
                "whale %s status=%s bytes=%s ms=%.0f",
                prepared.action,
                outcome,
                size,
                (time.perf_counter() - started) * 1000,
            )
        secrets = [v.get_secret_value() for v in prepared.secret_headers.values()]
        answer = check_answer(prepared.action, response.status, response.body, secrets=secrets)
        return response.body, answer


_NOTIFICATION = msgspec.json.Decoder(Notification)


def parse_notification(body: bytes, action: str = MAKE_NOTIFY_QUERY) -> Notification:
    """A notification record, or :class:`WhaleUnexpectedAnswer` naming what is wrong."""
    try:
        return _NOTIFICATION.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise WhaleUnexpectedAnswer(
            f"not a notification record ({exc})", vendor=VENDOR, endpoint=action
        ) from None
