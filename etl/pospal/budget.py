"""The Pospal daily call budget, shared by every run and process on this machine.

Pospal allows 300 calls per appId per day, failed calls included, and the code it answers with
once they are spent is not public. So we count our own calls *before* making them and stop
cleanly with ``QuotaExhausted`` while some are left: ``reserve`` calls a day are kept back for
a person to use by hand (checking usage, a one-off look-up).

The count lives in SQLite (WAL mode, one row per appId and day) so that Dagster's separate run
processes, the CLI and retries all draw on one number; ``spend`` is a single ``BEGIN
IMMEDIATE`` transaction, so two processes cannot both take the last call. The day is the
vendor's: the calendar date in Asia/Shanghai, whatever this machine's zone.

Other tools sharing an appId spend calls we do not see; :meth:`CallBudget.record_vendor_usage`
takes the vendor's own count (``openApiLimitAccess/queryDailyAccessTimesLog``) when it is higher.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import msgspec

from etl.errors import ConfigError, QuotaExhausted

VENDOR = "pospal"
VENDOR_TIMEZONE = "Asia/Shanghai"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS call_budget (
    app_id TEXT NOT NULL,
    day    TEXT NOT NULL,   -- ISO date in the vendor's zone
    used   INTEGER NOT NULL CHECK (used >= 0),
    PRIMARY KEY (app_id, day)
)
"""
_SELECT_USED = "SELECT used FROM call_budget WHERE app_id = ? AND day = ?"
_ADD_USED = """
INSERT INTO call_budget (app_id, day, used) VALUES (?, ?, ?)
ON CONFLICT (app_id, day) DO UPDATE SET used = used + excluded.used
"""
_MAX_USED = """
INSERT INTO call_budget (app_id, day, used) VALUES (?, ?, ?)
ON CONFLICT (app_id, day) DO UPDATE SET used = max(used, excluded.used)
"""


class CallBudget:
    """Calls spent per appId and vendor day, persisted in the SQLite file at ``path``.

    ``limit`` is the vendor's daily quota; automatic calls may use ``limit - reserve`` of it.
    ``clock`` returns an aware "now" (tests inject one); the default is the system clock.
    """

    def __init__(
        self,
        path: Path,
        *,
        limit: int = 300,
        reserve: int = 0,
        timezone: str = VENDOR_TIMEZONE,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if limit < 1 or not 0 <= reserve <= limit:
            raise ConfigError(
                f"Pospal call budget: need limit >= 1 and 0 <= reserve <= limit, "
                f"got limit={limit}, reserve={reserve}"
            )
        try:
            self._zone = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"Pospal call budget: unknown time zone {timezone!r}") from exc
        self.path = Path(path)
        self.limit = limit
        self.reserve = reserve
        self.timezone = timezone
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            # WAL lets readers (a status command) run while a load is spending.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)

    def __repr__(self) -> str:
        return (
            f"CallBudget(path={str(self.path)!r}, limit={self.limit}, reserve={self.reserve}, "
            f"timezone={self.timezone!r})"
        )

    @property
    def allowance(self) -> int:
        """Calls a day that automatic loads may spend: ``limit - reserve``."""
        return self.limit - self.reserve

    def today(self) -> dt.date:
        """The vendor's current day (calendar date in the budget's zone)."""
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the budget clock must return an aware datetime")
        return now.astimezone(self._zone).date()

    def spend(self, app_id: str, n: int = 1, *, endpoint: str = "call budget") -> int:
        """Take ``n`` calls from today's budget and return today's new count.

        Raises ``QuotaExhausted`` (taking nothing) when ``used + n`` would pass
        ``limit - reserve``. ``endpoint`` only names the call in the error.
        """
        if n < 1:
            raise ValueError(f"spend at least one call, got {n}")
        day = self.today().isoformat()
        with self._connection() as conn, _immediate(conn):
            used = _used(conn, app_id, day)
            if used + n > self.allowance:
                raise QuotaExhausted(
                    f"daily call budget spent for app {app_id} on {day}: {used}/{self.limit} "
                    f"calls used, {self.reserve} kept in reserve"
                    + (f", {n} more asked" if n > 1 else "")
                    + f"; resumes after 00:00 {self.timezone}",
                    vendor=VENDOR,
                    endpoint=endpoint,
                )
            conn.execute(_ADD_USED, (app_id, day, n))
            return used + n

    def used(self, app_id: str, day: dt.date | None = None) -> int:
        """Calls counted for ``app_id`` on ``day`` (default: the vendor's today)."""
        key = (day or self.today()).isoformat()
        with self._connection() as conn:
            return _used(conn, app_id, key)

    def remaining(self, app_id: str) -> int:
        """Calls automatic loads may still make today."""
        return max(0, self.allowance - self.used(app_id))

    def record_vendor_usage(self, app_id: str, day: dt.date, used: int) -> int:
        """Reconcile with the vendor's own count for ``day``: keep the larger. Returns it."""
        if used < 0:
            raise ValueError(f"usage cannot be negative, got {used}")
        key = day.isoformat()
        with self._connection() as conn, _immediate(conn):
            conn.execute(_MAX_USED, (app_id, key, used))
            return _used(conn, app_id, key)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per operation: safe across threads and processes, and a
        # few hundred calls a day make the cost irrelevant. Autocommit; writes use _immediate.
        with closing(sqlite3.connect(self.path, timeout=30.0, isolation_level=None)) as conn:
            yield conn


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the lock up front, so read-check-write is atomic."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _used(conn: sqlite3.Connection, app_id: str, day: str) -> int:
    row = conn.execute(_SELECT_USED, (app_id, day)).fetchone()
    return int(row[0]) if row else 0


class _AccessRow(msgspec.Struct):
    accessDate: str | None = None
    appId: str | None = None
    haveAcessTimes: int | None = None  # sic: the vendor's spelling
    haveAccessTimes: int | None = None


class _AccessLog(msgspec.Struct):
    data: list[_AccessRow] | None = None


def parse_access_log(body: bytes, app_id: str) -> dict[dt.date, int]:
    """Calls per day for ``app_id`` from a ``queryDailyAccessTimesLog`` body.

    The specs name only the request; the answer's shape (``data`` rows of ``appId``,
    ``accessDate``, ``haveAcessTimes`` [sic], ``limitTimes``, one row per appId of the whole
    chain) comes from working clients, so parsing is tolerant: rows of other appIds are
    skipped, rows without one are taken as ours, either spelling of the count is accepted.
    Raises ``ValueError`` when the body does not have that shape.
    """
    try:
        rows = msgspec.json.decode(body, type=_AccessLog).data or []
        usage: dict[dt.date, int] = {}
        for row in rows:
            if row.appId is not None and row.appId.upper() != app_id.upper():
                continue
            count = row.haveAcessTimes if row.haveAcessTimes is not None else row.haveAccessTimes
            if row.accessDate is None or count is None:
                continue
            day = dt.date.fromisoformat(row.accessDate.strip()[:10])
            usage[day] = max(usage.get(day, 0), count)
    except (msgspec.DecodeError, ValueError) as exc:
        raise ValueError(f"not a queryDailyAccessTimesLog answer: {exc}") from None
    return usage
