"""A demo RSA key pair for running the loader against the simulator on a laptop.

Grain: one key pair per (directory, app id), created on first use and reused afterwards, so the
printed ``QIANHUB_PRIVATE_KEY_FILE`` stays valid across simulator restarts. RSA 1024 because the
QianHub document recommends it; the private key is written as PKCS#8 PEM with mode 0600 and
never leaves its file (nothing here logs or returns its bytes).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from etl.qianhub.auth import load_private_key

KEY_BITS = 1024
_APP_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class DemoKeys:
    """Where the demo key pair lives, and the public half for the simulator's app table."""

    app_id: str
    private_key_file: Path
    public_key_file: Path
    public_key: rsa.RSAPublicKey

    @property
    def public_key_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def __repr__(self) -> str:
        return f"DemoKeys(app_id={self.app_id!r}, private_key_file={str(self.private_key_file)!r})"


def ensure_demo_keypair(directory: Path, app_id: str = "demo-app") -> DemoKeys:
    """Create (once) or reuse the key pair of ``app_id`` under ``directory``.

    Safe against concurrent first runs: the private key is written to a temporary file and
    hard-linked into place, so exactly one key wins and both callers use it.
    """
    if not _APP_ID.fullmatch(app_id):
        raise ValueError(f"app id must match {_APP_ID.pattern}, got {app_id!r}")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_file = directory / f"{app_id}.private.pem"
    public_file = directory / f"{app_id}.public.pem"
    if not private_file.exists():
        _create_private_key(private_file)
    private_key = load_private_key(private_file.read_bytes(), source=str(private_file))
    public_key = private_key.public_key()
    keys = DemoKeys(app_id, private_file.resolve(), public_file.resolve(), public_key)
    if not public_file.exists() or public_file.read_bytes() != keys.public_key_pem:
        public_file.write_bytes(keys.public_key_pem)
    return keys


def _create_private_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
