"""Shared HTTP transport for every vendor: byte cap, error mapping, retry policy, redaction.

Vendor clients own their ``httpx.Client`` (built with their ``base_url``/``transport``) and call
:func:`post_capped` once per attempt inside :func:`retrying`. The split of work:

* ``post_capped`` turns transport failures into the project's error tree and enforces a byte
  cap while streaming, so an unexpectedly huge answer fails fast with ``ResponseTooLarge``
  (the caller then splits its window) instead of exhausting memory.
* ``retrying`` retries only ``TransientVendorError``: a bad signature or bad parameter fails
  the same way every time, and each failed call may count against a vendor's daily quota.
* ``redact`` is the one place that masks secrets before a URL, header or message is logged.

Nothing here knows a vendor: names arrive as ``vendor``/``endpoint`` strings for messages.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
import tenacity

from etl.errors import (
    ResponseTooLarge,
    TransientVendorError,
    VendorError,
    VendorTimeout,
    VendorUnavailable,
)

log = logging.getLogger(__name__)

MASK = "***"

# Names whose values are credentials or signatures (matched case-insensitively, whole name).
# Longest first so "x-qianhub-sign" wins over "sign" in the alternation.
_SECRET_NAMES = sorted(
    {
        "x-qianhub-sign",
        "data-signature",
        "signature",
        "sign",
        "appkey",
        "app_key",
        "app-key",
        "api_key",
        "api-key",
        "apikey",
        "x-api-key",
        "access_token",
        "refresh_token",
        "token",
        "authorization",
        "password",
        "secret",
        "client_secret",
        "private_key",
    },
    key=len,
    reverse=True,
)
# `name: value`, `name=value`, `"name": "value"`, `'name': 'value'` in URLs, header dumps, JSON
# and dict reprs. The value ends at whitespace, a quote, or a URL/JSON delimiter; an
# Authorization scheme word ("Bearer") is kept and the credential after it masked.
_SECRET_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_\-])(?P<name>"
    + "|".join(re.escape(name) for name in _SECRET_NAMES)
    + r")(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<scheme>(?:bearer|basic|token)\s+)?"
    r"(?P<value>[^\s'\",&;#}\]]+)",
    re.IGNORECASE,
)
# A bare run of 128+ hex digits is an RSA signature (1024-bit = 256 digits) wherever it appears;
# sha256 digests (64) and ids stay readable.
_LONG_HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{128,}(?![0-9A-Fa-f])")
_SECRET_HEADER_WORDS = ("sign", "key", "token", "secret", "auth", "password")


def redact(text: str) -> str:
    """Mask the values of signature/key/token-like fields in URLs, header dumps or JSON,
    and any bare signature-length hex run."""
    text = _SECRET_PATTERN.sub(
        lambda m: f"{m['name']}{m['sep']}{m['scheme'] or ''}{MASK}",
        text,
    )
    return _LONG_HEX.sub(MASK, text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` safe to log: any header whose name looks secret is masked."""
    return {
        name: MASK if any(word in name.lower() for word in _SECRET_HEADER_WORDS) else value
        for name, value in headers.items()
    }


@dataclass(frozen=True)
class CappedResponse:
    """A fully read response no larger than the cap. ``body`` is exactly what arrived
    (after any Content-Encoding was undone), so raw landing keeps the vendor's own bytes."""

    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_ms: float


def post_capped(
    client: httpx.Client,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    max_bytes: int,
    vendor: str,
    endpoint: str,
) -> CappedResponse:
    """POST ``content`` and read the answer, never holding more than ``max_bytes`` of it.

    Raises ``ResponseTooLarge`` as soon as Content-Length or the bytes read pass the cap,
    ``VendorTimeout`` on any httpx timeout, ``VendorUnavailable`` on a dropped or truncated
    connection and on HTTP 5xx / 429. Any other status is returned for the caller to judge.
    Messages name vendor, endpoint and status only: never the body or header values.
    """
    started = time.perf_counter()
    try:
        with client.stream("POST", url, content=content, headers=dict(headers)) as response:
            status = response.status_code
            if status >= 500 or status == 429:
                raise VendorUnavailable(
                    "server error or throttled", vendor=vendor, endpoint=endpoint, status=status
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(vendor, endpoint, status, max_bytes, f"declares {declared}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(vendor, endpoint, status, max_bytes, "streamed more")
            elapsed_ms = (time.perf_counter() - started) * 1000
            return CappedResponse(status, response.headers, bytes(body), elapsed_ms)
    except httpx.TimeoutException as exc:
        raise VendorTimeout(
            f"no answer in time ({type(exc).__name__})", vendor=vendor, endpoint=endpoint
        ) from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        # Connection refused/reset, peer closed mid-body ("incomplete message"), bad chunking,
        # broken gzip: all mean this attempt's answer is unusable, not that the request is wrong.
        reason = redact(str(exc))[:200]
        raise VendorUnavailable(
            f"connection failed ({type(exc).__name__}: {reason})", vendor=vendor, endpoint=endpoint
        ) from exc


def _too_large(
    vendor: str, endpoint: str, status: int, max_bytes: int, detail: str
) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"response over the {max_bytes}-byte cap ({detail})",
        vendor=vendor,
        endpoint=endpoint,
        status=status,
    )


def _log_retry(state: tenacity.RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    vendor = getattr(error, "vendor", "?")
    endpoint = getattr(error, "endpoint", "?")
    delay = state.next_action.sleep if state.next_action else 0.0
    # str(VendorError) is built from vendor/endpoint/status/code only; redact() is belt and braces.
    log.warning(
        "retrying %s %s after attempt %d failed (sleep %.2fs): %s",
        vendor,
        endpoint,
        state.attempt_number,
        delay,
        redact(str(error)) if isinstance(error, VendorError) else type(error).__name__,
    )


def retrying(
    max_attempts: int, *, base_delay: float = 0.5, max_delay: float = 8.0
) -> tenacity.Retrying:
    """Retry policy for vendor calls: only ``TransientVendorError``, at most ``max_attempts``
    calls in all, exponential backoff with jitter, and the last error re-raised as itself.

    ``base_delay=0`` disables waiting (tests). Use as ``retrying(n)(fn, *args)``.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    wait: tenacity.wait.wait_base = (
        tenacity.wait_exponential_jitter(multiplier=base_delay, max=max_delay, jitter=base_delay)
        if base_delay > 0
        else tenacity.wait_none()
    )
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max_attempts),
        wait=wait,
        retry=tenacity.retry_if_exception_type(TransientVendorError),
        before_sleep=_log_retry,
        reraise=True,
    )
