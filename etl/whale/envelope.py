"""WHALE answers judged: ``returnCode`` "00" is success; anything else is a named error.

The document defines no error codes besides "00", no HTTP statuses and no error body, so:

* HTTP 401/403 → :class:`WhaleAuthError` (the configured headers or signer were refused);
* HTTP 5xx/429, dropped connections, timeouts → transient (``etl.http``), retried for queries;
* a 2xx body that is not JSON → ``VendorUnavailable`` (cut short), a JSON body without
  ``returnCode`` → :class:`WhaleUnexpectedAnswer`;
* ``returnCode`` other than "00" on an answer that is not a notification record →
  :class:`WhaleRejected`, carrying the code and ``returnMsg``/``returnDesc``.

A notification record (an answer naming ``saleChannelOrderId``) is not an error whatever its
``returnCode``: there the code is the *order's* notification result ("00为成功,其他均为失败").
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import msgspec

from etl.errors import (
    PermanentVendorError,
    VendorAuthError,
    VendorRequestError,
    VendorUnavailable,
)
from etl.http import MASK, redact

VENDOR = "whale"
SUCCESS = "00"


class WhaleAuthError(VendorAuthError):
    """WHALE refused the configured headers or signature (HTTP 401/403)."""


class WhaleRejected(VendorRequestError):
    """WHALE answered a ``returnCode`` other than "00" (``code``; ``vendor_message``)."""


class WhaleUnexpectedAnswer(PermanentVendorError):
    """A 2xx answer that is JSON but not a documented WHALE answer. ``raw`` holds its bytes
    (for ``meta.rejects``; never part of the message)."""

    raw: bytes = b""


_DECODER = msgspec.json.Decoder(dict[str, Any])


def check_answer(
    action: str, status: int, body: bytes, *, secrets: Collection[str] = ()
) -> dict[str, Any]:
    """The decoded answer of a successful call, or the mapped error. ``secrets`` (header
    values sent) are masked out of any vendor message that echoes them."""
    context: dict[str, Any] = {"vendor": VENDOR, "endpoint": action, "status": status}
    if status in (401, 403):
        raise WhaleAuthError("refused the configured headers or signature", **context)
    try:
        answer = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        if 200 <= status < 300:
            raise VendorUnavailable(
                "HTTP 2xx with a body that is not a JSON object (cut short?)", **context
            ) from None
        raise VendorRequestError("answer is not JSON", **context) from None
    code = answer.get("returnCode")
    if not isinstance(code, str):
        if 200 <= status < 300:
            unexpected = WhaleUnexpectedAnswer("answer has no returnCode string", **context)
            unexpected.raw = body
            raise unexpected
        raise VendorRequestError("answer has no returnCode", **context)
    if code == SUCCESS or "saleChannelOrderId" in answer:
        if 200 <= status < 300:
            return answer
        raise VendorRequestError("answer with an HTTP error status", **context)
    raise WhaleRejected(
        "answered an error returnCode",
        code=code,
        vendor_message=_message(answer, secrets),
        **context,
    )


def _message(answer: dict[str, Any], secrets: Collection[str]) -> str | None:
    text = answer.get("returnMsg", answer.get("returnDesc"))
    if not isinstance(text, str) or not text:
        return None
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return redact(text)[:300]
