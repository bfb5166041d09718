"""The durable inbox of Pospal pushes: SQLite in WAL mode, ``synchronous = FULL``.

The webhook answers 200 only after :meth:`PushStore.accept` has committed (fsynced), so an
acknowledged push survives a crash; DuckDB is not used here because a Dagster load may hold
the warehouse for minutes while pushes keep arriving. Refresh runs read the inbox, load
DuckDB, and only then mark what they did, so a crash in between repeats work (idempotent
upserts) and never loses it.

Grain: one row per business key (:attr:`PushMessage.dedupe_key`). A redelivery or producer
duplicate only counts a delivery. A message with the same key but a later ``bornTimeStamp``
(the same ticket re-checked-out again) replaces the stored content and asks for a refresh
again. Every change takes a new ``change_no`` from one counter: exporting "everything above
the last exported number" to DuckDB is then exact and repeatable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from etl.pospal.push import REFRESH_NONE, PushMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS push_events (
    dedupe_key        TEXT PRIMARY KEY,
    account           TEXT NOT NULL,
    app_id            TEXT NOT NULL,
    cmd               TEXT NOT NULL,
    version           TEXT NOT NULL,
    pushed_ms         INTEGER NOT NULL,
    born_ms           INTEGER NOT NULL,
    body              TEXT NOT NULL,
    deliveries        INTEGER NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at  TEXT NOT NULL,
    refresh           TEXT NOT NULL,   -- ticket | order | none
    refresh_status    TEXT NOT NULL,   -- pending | done | failed | none
    refresh_seq       INTEGER NOT NULL,
    refreshed_at      TEXT,
    refresh_note      TEXT,
    change_no         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS push_events_pending ON push_events (refresh_status);
CREATE INDEX IF NOT EXISTS push_events_change ON push_events (change_no);
CREATE TABLE IF NOT EXISTS push_rejects (
    sha256      TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL,
    deliveries  INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    change_no   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

_COLUMNS = (
    "dedupe_key, account, app_id, cmd, version, pushed_ms, born_ms, body, deliveries, "
    "first_received_at, last_received_at, refresh, refresh_status, refresh_seq, refreshed_at, "
    "refresh_note, change_no"
)
_DECODER = msgspec.json.Decoder()


@dataclass(frozen=True)
class StoredPush:
    """One row of the inbox (times are ISO-8601 UTC strings)."""

    dedupe_key: str
    account: str
    app_id: str
    cmd: str
    version: str
    pushed_ms: int
    born_ms: int
    body: str
    deliveries: int
    first_received_at: str
    last_received_at: str
    refresh: str
    refresh_status: str
    refresh_seq: int
    refreshed_at: str | None
    refresh_note: str | None
    change_no: int

    def value(self, field: str) -> Any:
        """A field of the pushed body (ids stay exact ints); None when absent."""
        fields = _DECODER.decode(self.body.encode("utf-8"))
        return fields.get(field) if isinstance(fields, dict) else None


@dataclass(frozen=True)
class StoredReject:
    sha256: str
    reason: str
    raw: bytes
    deliveries: int
    received_at: str
    change_no: int


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class PushStore:
    """The inbox at ``path``. Thread-safe (one connection behind a lock); several processes
    may open the same file (SQLite locking, ``timeout`` seconds of waiting)."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before accept() returns, i.e. before the webhook says 200.
        self._conn.execute("PRAGMA synchronous = FULL")
        with self._write() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def __repr__(self) -> str:
        return f"PushStore({str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @staticmethod
    def _next_change(conn: sqlite3.Connection) -> int:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES ('change', 1) "
            "ON CONFLICT (name) DO UPDATE SET value = value + 1"
        )
        return int(conn.execute("SELECT value FROM counters WHERE name = 'change'").fetchone()[0])

    # --- the webhook's side ---------------------------------------------------------------

    def accept(self, message: PushMessage) -> bool:
        """Store a push durably; True when its business key is new. A later ``bornTimeStamp``
        for a known key replaces the content and, for refreshing commands, re-arms the
        refresh; an equal or older one only counts the delivery."""
        now = _now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT born_ms FROM push_events WHERE dedupe_key = ?", (message.dedupe_key,)
            ).fetchone()
            change = self._next_change(conn)
            if row is None:
                status = "none" if message.refresh == REFRESH_NONE else "pending"
                conn.execute(
                    f"INSERT INTO push_events ({_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, 0, NULL, NULL, ?)",
                    (
                        message.dedupe_key,
                        message.account,
                        message.app_id,
                        message.cmd,
                        message.version,
                        message.pushed_ms,
                        message.born_ms,
                        message.body,
                        now,
                        now,
                        message.refresh,
                        status,
                        change,
                    ),
                )
                return True
            if message.born_ms > int(row[0]):
                conn.execute(
                    "UPDATE push_events SET version = ?, pushed_ms = ?, born_ms = ?, body = ?, "
                    "deliveries = deliveries + 1, last_received_at = ?, change_no = ?, "
                    "refresh_status = CASE WHEN refresh = 'none' THEN 'none' ELSE 'pending' END, "
                    "refresh_seq = refresh_seq + 1 WHERE dedupe_key = ?",
                    (
                        message.version,
                        message.pushed_ms,
                        message.born_ms,
                        message.body,
                        now,
                        change,
                        message.dedupe_key,
                    ),
                )
            else:
                conn.execute(
                    "UPDATE push_events SET deliveries = deliveries + 1, last_received_at = ?, "
                    "change_no = ? WHERE dedupe_key = ?",
                    (now, change, message.dedupe_key),
                )
            return False

    def reject(self, raw: bytes, reason: str) -> None:
        """Keep an authenticated but malformed push with its reason (once per content)."""
        digest = hashlib.sha256(raw).hexdigest()
        with self._write() as conn:
            change = self._next_change(conn)
            conn.execute(
                "INSERT INTO push_rejects (sha256, reason, raw, deliveries, received_at, "
                "change_no) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (sha256) DO UPDATE SET "
                "deliveries = deliveries + 1, change_no = excluded.change_no",
                (digest, reason, raw, _now(), change),
            )

    def ping(self) -> None:
        """Raise if the inbox cannot be read (for ``/healthz``)."""
        with self._read() as conn:
            conn.execute("SELECT count(*) FROM counters").fetchall()

    # --- the refresh run's side -----------------------------------------------------------

    def pending(self, limit: int = 10_000) -> list[StoredPush]:
        """Pushes waiting for a refresh, oldest change first."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM push_events WHERE refresh_status = 'pending' "
                "ORDER BY change_no LIMIT ?",
                (limit,),
            ).fetchall()
        return [StoredPush(*row) for row in rows]

    def finish(self, done: Sequence[StoredPush], status: str, note: str | None = None) -> int:
        """Mark refreshes ``done`` or ``failed``; a push re-armed since it was read (its
        ``refresh_seq`` moved on) stays pending. Returns how many rows changed."""
        if status not in ("done", "failed"):
            raise ValueError(f"status must be done or failed, got {status!r}")
        changed = 0
        now = _now()
        with self._write() as conn:
            for push in done:
                change = self._next_change(conn)
                changed += conn.execute(
                    "UPDATE push_events SET refresh_status = ?, refreshed_at = ?, "
                    "refresh_note = ?, change_no = ? WHERE dedupe_key = ? AND refresh_seq = ?",
                    (status, now, note, change, push.dedupe_key, push.refresh_seq),
                ).rowcount
        return changed

    def changes(self, after: int) -> tuple[list[StoredPush], list[StoredReject]]:
        """Every event and reject changed after ``after`` (a ``change_no``), for the export."""
        with self._read() as conn:
            events = conn.execute(
                f"SELECT {_COLUMNS} FROM push_events WHERE change_no > ? ORDER BY change_no",
                (after,),
            ).fetchall()
            rejects = conn.execute(
                "SELECT sha256, reason, raw, deliveries, received_at, change_no "
                "FROM push_rejects WHERE change_no > ? ORDER BY change_no",
                (after,),
            ).fetchall()
        return [StoredPush(*r) for r in events], [StoredReject(*r) for r in rejects]

    def exported_through(self) -> int:
        """The ``change_no`` up to which everything reached the warehouse (0: nothing yet)."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM counters WHERE name = 'exported'").fetchone()
        return int(row[0]) if row else 0

    def mark_exported(self, change_no: int) -> None:
        """Record that every change up to ``change_no`` is committed in the warehouse."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO counters (name, value) VALUES ('exported', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (change_no,),
            )

    def counts(self) -> dict[str, int]:
        """Events, pending refreshes, rejects and the newest change number."""
        with self._read() as conn:
            (events, pending), *_ = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE refresh_status = 'pending') "
                "FROM push_events"
            ).fetchall()
            (rejects,) = conn.execute("SELECT count(*) FROM push_rejects").fetchone()
            row = conn.execute("SELECT value FROM counters WHERE name = 'change'").fetchone()
        return {
            "events": int(events),
            "pending": int(pending),
            "rejects": int(rejects),
            "change_no": int(row[0]) if row else 0,
        }


@contextmanager
def opened(path: Path) -> Iterator[PushStore]:
    store = PushStore(path)
    with closing(store):
        yield store
