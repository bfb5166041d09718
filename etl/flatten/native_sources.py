"""The native flattener's C sources (``etl/flatten/native/``) and their fingerprint.

Shared by ``setup.py``, which compiles the fingerprint into the extension as
``SOURCE_HASH``, and :mod:`etl.flatten.qianhub_native`, which compares the two at import: a
build whose fingerprint differs was compiled from other sources (the C changed and the
install did not run again, or a rebuild failed and left the old build in place) and is not
used. Standard library only: ``setup.py`` loads this file by path, before anything is
installed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

FOLDER = Path(__file__).with_name("native")
C_FILES = ("module.c", "bills.c", "json.c", "values.c", "columns.c")
HEADERS = ("native.h", "bills.h")


def source_hash(folder: Path = FOLDER) -> str | None:
    """SHA-256 over the name and text of every source and header, in a fixed order (line
    endings normalised, so a checkout with CRLF gives the same figure); None when any is
    missing, as in an install that ships the compiled module without its C."""
    digest = hashlib.sha256()
    for name in C_FILES + HEADERS:
        path = folder / name
        if not path.is_file():
            return None
        digest.update(name.encode() + b"\0" + path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()
