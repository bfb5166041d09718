"""The Pospal wire format: request bytes out, the answer envelope judged on the way back.

Requests are serialised once, compactly and with UTF-8 left unescaped (the same bytes as
``json.dumps(ensure_ascii=False, separators=(",", ":"))``), because the signature covers those
exact bytes. msgspec writes them rather than ``json``: a ``Decimal`` inside a cursor must go
back as the same JSON number, which ``json.dumps`` cannot write. Floats are refused outright:
an id that passed through a float is already wrong.

Answers are ``{"status","messages","errorCode","data"}``; ``status`` is compared without case,
and errors arrive as HTTP 200 or 4xx alike. :func:`check_answer` maps them onto the error tree:

* 1031 no signature, 1032 mismatch, 1033 check failed, 1034 unknown appId → ``VendorAuthError``
* 9003 bad parameters, and any other code → ``VendorRequestError``
* a configured quota code (no public source shows the real one), or messages speaking of
  调用次数 / 访问次数 / call limit / quota → ``QuotaExhausted``
* messages saying the server is busy (系统繁忙 / 请稍后再试 / busy / try again later) with no
  code that means otherwise → ``VendorUnavailable``, retried: the vendor's own words say the
  same request will succeed later, and the simulator sends exactly that, as HTTP 200 or 500
* a 2xx body that is not JSON at all (cut short by a proxy) → ``VendorUnavailable``, retried.

All but the last two are permanent. Messages are scrubbed of the key and signature, then redacted.
"""

from __future__ import annotations

import decimal
from collections.abc import Collection, Mapping
from typing import Any

import msgspec

from etl.errors import (
    QuotaExhausted,
    VendorAuthError,
    VendorError,
    VendorRequestError,
    VendorUnavailable,
)
from etl.http import MASK, redact

VENDOR = "pospal"
AUTH_ERROR_CODES = frozenset({1031, 1032, 1033, 1034})
BAD_PARAMETERS_CODE = 9003
DEFAULT_QUOTA_CODES = frozenset({1035})
# Narrow on purpose: a quota error stops every load sharing the budget for the rest of the day,
# so a message that merely mentions a limit (e.g. a page-size limit) must not trigger it.
_QUOTA_WORDS = ("调用次数", "访问次数", "call limit", "quota")
_BUSY_WORDS = ("系统繁忙", "稍后再试", "server busy", "try again later")
_ENCODER = msgspec.json.Encoder(decimal_format="number")


class _Envelope(msgspec.Struct):
    status: str
    messages: list[Any] | None = None
    errorCode: int | str | None = None


# float_hook: numbers inside ``messages`` become Decimal, never float, like everything else.
_ENVELOPE = msgspec.json.Decoder(_Envelope, float_hook=decimal.Decimal)


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact request bytes: compact JSON, UTF-8 unescaped, keys in the given order."""
    _refuse_floats(payload)
    return _ENCODER.encode(payload)


def check_answer(
    endpoint: str,
    status: int,
    body: bytes,
    *,
    secrets: Collection[str] = (),
    quota_codes: Collection[int] = DEFAULT_QUOTA_CODES,
) -> None:
    """Return quietly for a success envelope with a 2xx status; raise the mapped error
    otherwise. ``secrets`` (the key, the signature sent) are masked out of vendor messages."""
    try:
        envelope: _Envelope | None = _ENVELOPE.decode(body)
    except msgspec.ValidationError:
        envelope = None  # JSON, but not the envelope: judged by HTTP status below
    except (msgspec.DecodeError, UnicodeDecodeError):
        if 200 <= status < 300:
            raise VendorUnavailable(
                "HTTP 2xx with a body that is not JSON (cut short?)",
                vendor=VENDOR,
                endpoint=endpoint,
                status=status,
            ) from None
        envelope = None
    if envelope is None:
        kind = VendorAuthError if status in (401, 403) else VendorRequestError
        raise kind(
            "answer is not the documented envelope", vendor=VENDOR, endpoint=endpoint, status=status
        )
    if envelope.status.strip().lower() == "success":
        if 200 <= status < 300:
            return
        raise VendorRequestError(
            "success envelope with an HTTP error status",
            vendor=VENDOR,
            endpoint=endpoint,
            status=status,
        )
    raise _error(endpoint, status, envelope, secrets, quota_codes)


def _error(
    endpoint: str,
    status: int,
    envelope: _Envelope,
    secrets: Collection[str],
    quota_codes: Collection[int],
) -> VendorError:
    code = _as_int(envelope.errorCode)
    text = "; ".join(str(m) for m in envelope.messages or [])
    # A vendor explaining a signature failure may echo what it got: scrub ours and the key.
    message = text
    for secret in secrets:
        if secret:
            message = message.replace(secret, MASK)
    context: dict[str, Any] = {
        "vendor": VENDOR,
        "endpoint": endpoint,
        "status": status,
        "code": envelope.errorCode,
        "vendor_message": redact(message)[:300] or None,
    }
    if code in AUTH_ERROR_CODES or (code is None and status in (401, 403)):
        return VendorAuthError("rejected the signature or appId", **context)
    if code == BAD_PARAMETERS_CODE:
        return VendorRequestError("rejected the parameters", **context)
    if code in quota_codes or any(word in text.lower() for word in _QUOTA_WORDS):
        return QuotaExhausted(
            "vendor reports the daily call quota spent; resumes after 00:00 Asia/Shanghai",
            **context,
        )
    if code is None and any(word in text.lower() for word in _BUSY_WORDS):
        return VendorUnavailable("reports it is busy (retried)", **context)
    return VendorRequestError("reported an error", **context)


def _as_int(code: int | str | None) -> int | None:
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def _refuse_floats(value: object) -> None:
    if isinstance(value, float):
        raise TypeError(f"float {value!r} in a Pospal payload: ids must be int, amounts Decimal")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)
