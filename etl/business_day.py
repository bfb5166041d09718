"""Business days: the analyst's day, which starts at a configurable hour of shop-local time.

Restaurants trade past midnight, so a bill paid at 01:30 belongs to the previous business day
when the day starts at 06:00. Every vendor time in this project is shop-local wall-clock time
(Asia/Shanghai by default) stored as a naive TIMESTAMP; these helpers never attach a zone to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from etl.errors import ConfigError


@dataclass(frozen=True)
class BusinessDayRule:
    """When a business day starts, in shop-local time."""

    start: dt.time = dt.time(6, 0)

    @classmethod
    def parse(cls, text: str) -> BusinessDayRule:
        """Parse ``HH:MM`` (e.g. ``06:00``)."""
        try:
            hour, minute = (int(p) for p in text.strip().split(":"))
            return cls(dt.time(hour, minute))
        except ValueError as exc:
            raise ConfigError(
                f"POS_WAREHOUSE_BUSINESS_DAY_START must be HH:MM (e.g. 06:00), got {text!r}"
            ) from exc

    def business_date(self, local: dt.datetime) -> dt.date:
        """The business date a shop-local time falls in."""
        start = dt.datetime.combine(local.date(), self.start)
        return local.date() if local >= start else local.date() - dt.timedelta(days=1)

    def window(self, business_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Shop-local [start, end) of a business date; end is the next day's start."""
        start = dt.datetime.combine(business_date, self.start)
        return start, start + dt.timedelta(days=1)


def date_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every date from start to end, both included."""
    if end < start:
        raise ConfigError(f"--end {end} is before --start {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
