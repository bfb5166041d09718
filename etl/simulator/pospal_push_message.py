"""One Pospal push on the wire: the envelope, the JSON-in-JSON body, the signature, the headers.

A push is ``POST`` ``{"cmd", "timestamp", "bornTimeStamp", "version": "1.0", "appId", "body"}``
in UTF-8 where ``body`` is a JSON *string* holding the business data (the receiver decodes
twice). ``bornTimeStamp`` is when the event happened, ``timestamp`` when the push was sent, both
epoch milliseconds of the store's Asia/Shanghai wall clock. The request is signed like an open
API call: ``data-signature`` = UPPER(hex(MD5(appKey + the raw request bytes))).

The simulator signs with its own MD5 code, never the client's (``etl/pospal/auth.py``): one bug
shared by both sides would pass every test. Bytes are serialised once and those bytes are
signed and sent, on every attempt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from etl.simulator.pospal_world import STORE_ZONE

VERSION = "1.0"
USER_AGENT = "Pospal-Api"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNATURE_HEADER = "data-signature"
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)


def unix_ms(local: dt.datetime) -> int:
    """Epoch milliseconds of a store-local (Asia/Shanghai, naive) time; integer arithmetic,
    so no float ever rounds an instant."""
    return (local.replace(tzinfo=STORE_ZONE) - _UNIX_EPOCH) // _MILLISECOND


def body_text(value: object) -> str:
    """The JSON text of a push body: ints exact (ids beyond 2**53), Decimal money as exact
    JSON numbers (``76.21``, ``-12.00``), Chinese as is.

    Hand-written because the stdlib ``json`` cannot print a Decimal as a number and msgspec
    prints only compact JSON; this keeps ``json.dumps``'s separators (``", "``, ``": "``, as in
    the document's first example) so a receiver has to parse the body, not pattern-match it.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"money must be finite, got {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("money must be a Decimal: a float is not exact")
    if isinstance(value, dict):
        items = (f"{body_text(str(k))}: {body_text(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(body_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def sign(app_key: str, raw: bytes) -> str:
    """UPPER(hex(MD5(appKey + raw))): no separator, the exact bytes that are sent."""
    return hashlib.md5(app_key.encode("utf-8") + raw).hexdigest().upper()


def push_headers(signature: str | None) -> dict[str, str]:
    """The vendor's request headers; ``signature`` None leaves ``data-signature`` out."""
    headers = {"User-Agent": USER_AGENT, "Content-Type": CONTENT_TYPE}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return headers


@dataclass(frozen=True)
class Event:
    """Something that happened in a store: a command and its body at store-local ``born``
    (money as Decimal, ids as int); :func:`body_text` turns the body into the push's text."""

    born: dt.datetime
    cmd: str
    body: dict[str, object]


@dataclass(frozen=True)
class Push:
    """One message as the vendor produces it. ``body`` is the inner JSON text; ``born_ms`` when
    the event happened, ``sent_ms`` when the vendor sends it (the envelope's ``timestamp``)."""

    app_id: str
    cmd: str
    born_ms: int
    sent_ms: int
    body: str

    def envelope(self) -> dict[str, object]:
        return {
            "cmd": self.cmd,
            "timestamp": self.sent_ms,
            "bornTimeStamp": self.born_ms,
            "version": VERSION,
            "appId": self.app_id,
            "body": self.body,
        }

    def encode(self) -> bytes:
        """The raw request: UTF-8 JSON (Chinese unescaped, as the vendor sends it)."""
        return json.dumps(self.envelope(), ensure_ascii=False).encode("utf-8")
