"""QianHub request signing: SHA1withRSA over the exact body bytes, as lowercase hex.

The gateway verifies ``X-QianHub-Sign`` with the public key the app registered. We serialise
the body once, sign those bytes and send those bytes (re-serialising could reorder keys or
change escapes and break the signature). The specs README's test vector is reproduced in
``tests/qianhub/test_qianhub_client.py``.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from etl.errors import ConfigError

APP_HEADER = "X-QianHub-App"
SIGN_HEADER = "X-QianHub-Sign"


def _der_from_text(data: bytes) -> bytes | None:
    """The vendor hands out keys as bare base64 (no PEM armour); accept that too."""
    text = b"".join(data.split())
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return None


def load_private_key(data: bytes, *, source: str = "private key") -> rsa.RSAPrivateKey:
    """Load an RSA private key: PEM (PKCS#8 or PKCS#1), DER, or the vendor's bare base64.

    ``source`` names where the key came from in errors; the key itself never appears.
    """
    key: object
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            der = _der_from_text(data) or data
            key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{source} is not an unencrypted RSA private key (PEM PKCS#8/PKCS#1 or DER)"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{source} is not an RSA key")
    return key


def load_public_key(data: bytes, *, source: str = "public key") -> rsa.RSAPublicKey:
    """Load an RSA public key: PEM, DER (SubjectPublicKeyInfo) or bare base64."""
    key: object
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(_der_from_text(data) or data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{source} is not an RSA public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError(f"{source} is not an RSA key")
    return key


class QianhubSigner:
    """Signs request bodies with the app's private key. Its repr never shows the key."""

    def __init__(self, app_id: str, private_key: rsa.RSAPrivateKey) -> None:
        self.app_id = app_id
        self._key = private_key

    @classmethod
    def from_file(cls, app_id: str, path: Path) -> QianhubSigner:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"QIANHUB_PRIVATE_KEY_FILE: cannot read {path}: {exc.strerror}"
            ) from exc
        return cls(app_id, load_private_key(data, source=f"QIANHUB_PRIVATE_KEY_FILE ({path})"))

    def sign(self, body: bytes) -> str:
        """Lowercase hex of RSA PKCS#1 v1.5 / SHA-1 over ``body``."""
        return self._key.sign(body, padding.PKCS1v15(), hashes.SHA1()).hex()

    def headers(self, body: bytes) -> dict[str, str]:
        return {APP_HEADER: self.app_id, SIGN_HEADER: self.sign(body)}

    def __repr__(self) -> str:
        return f"QianhubSigner(app_id={self.app_id!r}, key=<redacted>)"


def verify(public_key: rsa.RSAPublicKey, body: bytes, signature_hex: str) -> bool:
    """True when ``signature_hex`` is a valid SHA1withRSA signature of ``body``."""
    try:
        signature = bytes.fromhex(signature_hex)
        public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA1())
    except (ValueError, InvalidSignature):
        return False
    return True
