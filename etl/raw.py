"""Raw landing: every vendor response body kept gzipped with its request window, replayable.

Layout (one directory per fetch; nothing is ever overwritten in place)::

    <root>/<vendor>/<endpoint>/business_date=<partition>/<unit>/
        <UTC yyyymmddTHHMMSSffffff>_<load_id>/
            0001_<begin>_<end>.json.gz      one file per response body, in request order
            manifest.json                   written LAST: windows, sizes, sha256, fetched_at

A fetch directory without ``manifest.json`` is an interrupted load and readers ignore it, so a
crash never leaves a half-landed fetch that looks complete. Every file is written to a hidden
temporary name, fsynced and ``os.replace``d into place, then the directory is fsynced, so a
file either exists whole or not at all. Bodies are stored exactly as the vendor sent them; the
manifest's sha256 is over those uncompressed bytes, and every read proves the body matches it:
directly, or (landings since ``gz_sha256`` was added) through the sha256 of the gzip file as
landed, which is twenty times less to hash. A file byte for byte as landed inflates to the body
that was landed (inflating is deterministic, and gzip's own CRC-32 and length are checked), so
the shortcut is as strong as hashing the body; a file that differs (recompressed, say) is
checked over its body, and fails only if the body differs.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from isal import igzip, isal_zlib

from etl.errors import LoadError

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
_STAMP = "%Y%m%dT%H%M%S%f"
_STAMP_RE = re.compile(r"^(\d{8}T\d{12})_(.+)$")
# Path components are machine-made (vendor, endpoint, dates, "shop_id=10", run ids): an
# allow-list is the simplest way to rule out traversal, separators, NUL and hidden names.
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}$")

Window = tuple[dt.datetime | None, dt.datetime | None]


def _safe(kind: str, value: str) -> str:
    if not _SAFE.fullmatch(value) or ".." in value:
        raise ValueError(f"raw store {kind} {value!r} is not a safe path component")
    return value


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fsync_dir(path: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _gzip(body: bytes) -> bytes:
    # mtime=0: the same body always lands as the same bytes.
    return gzip.compress(body, compresslevel=6, mtime=0)


def _name_time(value: dt.datetime | None) -> str:
    return value.strftime("%Y%m%dT%H%M%S") if value else "all"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass
class RawFetch:
    """A fetch being landed. ``add`` each body in order, then ``complete`` to publish it."""

    path: Path
    load_id: str
    started_at: dt.datetime
    # vendor / endpoint / partition / unit, repeated in the manifest so a fetch explains itself.
    source: dict[str, str] = field(default_factory=dict)
    _files: list[dict[str, Any]] = field(default_factory=list)
    _done: bool = False

    def add(self, begin: dt.datetime | None, end: dt.datetime | None, body: bytes) -> Path:
        """Land one response body for the request window ``[begin, end)``; returns its path."""
        if self._done:
            raise RuntimeError(f"raw fetch {self.path} is already complete")
        name = f"{len(self._files) + 1:04d}_{_name_time(begin)}_{_name_time(end)}.json.gz"
        target = self.path / name
        data = _gzip(body)
        _write_atomic(target, data)
        self._files.append(
            {
                "name": name,
                "begin": _iso(begin),
                "end": _iso(end),
                "bytes": len(body),
                "gz_bytes": len(data),
                "sha256": hashlib.sha256(body).hexdigest(),
                "gz_sha256": hashlib.sha256(data).hexdigest(),
                "fetched_at": _utcnow().isoformat(),
            }
        )
        return target

    def complete(self) -> Path:
        """Write the manifest, which is what makes this fetch visible to readers."""
        if self._done:
            raise RuntimeError(f"raw fetch {self.path} is already complete")
        manifest = {
            "format": MANIFEST_FORMAT,
            **self.source,
            "load_id": self.load_id,
            "started_at": self.started_at.isoformat(),
            "completed_at": _utcnow().isoformat(),
            "files": self._files,
        }
        target = self.path / MANIFEST
        _write_atomic(target, json.dumps(manifest, indent=2).encode("utf-8"))
        self._done = True
        return target


@dataclass(frozen=True)
class LandedFetch:
    """A complete fetch on disk, read back through its manifest."""

    path: Path
    load_id: str
    windows: tuple[Window, ...]
    files: tuple[dict[str, Any], ...]

    def bodies(self) -> Iterator[bytes]:
        """Each body in landing order, verified against the manifest's size and sha256."""
        for entry in self.files:
            yield _verified_body(self.path / entry["name"], entry)


# isal's stubs declare its error as an instance, not a class.
_UNREADABLE: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    cast(type[Exception], isal_zlib.error),
)


_GZIP = 31
"""zlib's ``wbits`` for a gzip header and trailer (16 + the largest window, 15)."""


def inflate(data: bytes, size: int | None = None) -> bytes:
    """The body of a gzip file, its CRC-32 and length checked. ISA-L's inflate gives the
    same bytes as zlib's at about 2.5x the speed (1.2 s against 0.5 s for the 1.5 GB of a
    200k-bill landing): a replay inflates every page it reads.

    ``size``: the body's length, known to be the length of the file's one gzip member; that
    member is then inflated into one buffer of that size rather than into a buffer grown as
    it fills (a page of 7 MB 4x faster, its memory touched once). A first member of another
    length is not taken: the file is then inflated whole, every member, as without
    ``size``."""
    if size is not None:
        body = isal_zlib.decompress(data, wbits=_GZIP, bufsize=max(1, size))
        if len(body) == size:
            return body
    return cast(bytes, igzip.decompress(data))  # type: ignore[no-untyped-call]


def _verified_body(file: Path, entry: dict[str, Any]) -> bytes:
    """The body of one landed file, proven to be the body its manifest entry describes (see
    the module's docstring): a file byte for byte as landed (its sha256 is the entry's
    ``gz_sha256``) is the one gzip member ``gzip.compress`` wrote, so its body is inflated
    into a buffer of the entry's size; any other file is inflated whole and checked over its
    body, so that a member added to it, say, fails rather than being left unread."""
    try:
        data = file.read_bytes()
        as_landed = entry.get("gz_sha256") == hashlib.sha256(data).hexdigest()
        body = inflate(data, entry["bytes"] if as_landed else None)
    except _UNREADABLE as exc:
        raise LoadError(f"raw file {file} is unreadable: {exc}") from exc
    if as_landed and len(body) == entry["bytes"]:
        return body
    digest = hashlib.sha256(body).hexdigest()
    if digest != entry["sha256"] or len(body) != entry["bytes"]:
        raise LoadError(
            f"raw file {file} fails its manifest check (sha256 {digest}, "
            f"expected {entry['sha256']}): the landed data was altered or corrupted"
        )
    return body


class RawStore:
    """Raw landing under ``root`` (normally ``WarehouseSettings.raw_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RawStore({str(self.root)!r})"

    def _unit_dir(self, vendor: str, endpoint: str, partition: str, unit: str) -> Path:
        return self._partition_dir(vendor, endpoint, partition) / _safe("unit", unit)

    def _partition_dir(self, vendor: str, endpoint: str, partition: str) -> Path:
        return (
            self.root
            / _safe("vendor", vendor)
            / _safe("endpoint", endpoint)
            / f"business_date={_safe('partition', partition)}"
        )

    def start(
        self, vendor: str, endpoint: str, partition: str, unit: str, load_id: str
    ) -> RawFetch:
        """Open a new fetch directory for one load unit (e.g. one shop on one business date)."""
        unit_dir = self._unit_dir(vendor, endpoint, partition, unit)
        _safe("load_id", load_id)
        unit_dir.mkdir(parents=True, exist_ok=True)
        # Newest = last started: keep stamps strictly increasing within a unit even if the
        # clock steps back or two fetches start in the same microsecond.
        now = _utcnow()
        previous = [stamp for stamp, _ in map(_parse_dir, unit_dir.iterdir()) if stamp]
        if previous and max(previous) >= now:
            now = max(previous) + dt.timedelta(microseconds=1)
        path = unit_dir / f"{now.strftime(_STAMP)}_{load_id}"
        path.mkdir()
        source = {"vendor": vendor, "endpoint": endpoint, "partition": partition, "unit": unit}
        return RawFetch(path=path, load_id=load_id, started_at=now, source=source)

    def _complete_fetches(self, unit_dir: Path) -> list[Path]:
        if not unit_dir.is_dir():
            return []
        found = [p for p in unit_dir.iterdir() if _parse_dir(p)[0] and (p / MANIFEST).is_file()]
        return sorted(found, key=lambda p: p.name)

    def latest(self, vendor: str, endpoint: str, partition: str, unit: str) -> LandedFetch | None:
        """The newest complete fetch of a unit, or None when there is none."""
        fetches = self._complete_fetches(self._unit_dir(vendor, endpoint, partition, unit))
        return _read_manifest(fetches[-1]) if fetches else None

    def units(self, vendor: str, endpoint: str, partition: str) -> list[str]:
        """Units of a partition that have at least one complete fetch, sorted."""
        part = self._partition_dir(vendor, endpoint, partition)
        if not part.is_dir():
            return []
        return sorted(
            p.name
            for p in part.iterdir()
            if p.is_dir() and _SAFE.fullmatch(p.name) and self._complete_fetches(p)
        )

    def land(self, vendor: str, endpoint: str, name: str, body: bytes) -> Path:
        """Land a one-off body (e.g. ``list-shop``) as ``<vendor>/<endpoint>/<name>.json.gz``."""
        folder = self.root / _safe("vendor", vendor) / _safe("endpoint", endpoint)
        target = folder / f"{_safe('name', name)}.json.gz"
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(target, _gzip(body))
        return target

    def latest_landed(
        self, vendor: str, endpoint: str, prefix: str = ""
    ) -> tuple[Path, bytes] | None:
        """The newest one-off body :meth:`land` wrote whose name starts with ``prefix`` (after
        the prefix, names start with a sortable load id)."""
        folder = self.root / _safe("vendor", vendor) / _safe("endpoint", endpoint)
        newest = _latest_one_off(folder, _safe("prefix", prefix) if prefix else "")
        if newest is None:
            return None
        return newest, inflate(newest.read_bytes())


def _latest_one_off(folder: Path, prefix: str) -> Path | None:
    files = sorted(folder.glob(f"{prefix}*.json.gz")) if folder.is_dir() else []
    return files[-1] if files else None


def _parse_dir(path: Path) -> tuple[dt.datetime | None, str]:
    match = _STAMP_RE.match(path.name)
    if not match or not path.is_dir():
        return None, ""
    try:
        stamp = dt.datetime.strptime(match[1], _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:  # digits that are not a date: not one of ours
        return None, ""
    return stamp, match[2]


def _read_manifest(path: Path) -> LandedFetch:
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_bytes())
        files = tuple(manifest["files"])
        for entry in files:
            _safe("manifest file name", entry["name"])
        windows = tuple((_from_iso(f["begin"]), _from_iso(f["end"])) for f in files)
        load_id = str(manifest["load_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"raw manifest {file} is unreadable: {exc}") from exc
    return LandedFetch(path=path, load_id=load_id, windows=windows, files=files)
