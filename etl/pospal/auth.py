"""Pospal request and push signing: ``data-signature`` = UPPERCASE hex MD5(appKey + body).

The key's UTF-8 bytes are followed directly by the exact body bytes (no separator); the
``time-stamp`` header is sent but not signed. Because the signature covers bytes, not JSON
values, the client serialises a body once, signs those bytes and sends those bytes: ``"收银测试"``
written raw and the same text ``\\u``-escaped are equal JSON but sign differently. The specs
README's three vectors are reproduced in ``tests/pospal/test_pospal_auth.py``.

The push-notification receiver uses :func:`verify` on the raw request body before parsing it.
MD5 is the vendor's choice, not ours; it authenticates requests, it does not protect secrets.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "data-signature"
TIMESTAMP_HEADER = "time-stamp"


def sign(app_key: str, body: bytes) -> str:
    """UPPERCASE hex MD5 of the key's UTF-8 bytes followed by ``body``."""
    digest = hashlib.md5(app_key.encode("utf-8"), usedforsecurity=False)
    digest.update(body)
    return digest.hexdigest().upper()


def verify(app_key: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is the signature of ``body`` under ``app_key``.

    Constant-time. Hex case and surrounding whitespace are ignored (the vendor sends upper
    case, but hex digits mean the same either way); anything that is not ASCII is a mismatch.
    """
    try:
        given = signature.strip().upper().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sign(app_key, body).encode("ascii"), given)
