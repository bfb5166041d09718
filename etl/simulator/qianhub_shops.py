"""Simulated shops: one :class:`ShopProfile` per shop, a pure function of (seed, shop index).

A profile is everything that stays fixed across days: ids, names, tables, staff and house rules
(抹零 policy, private-room service fee and minimum spend). ``list-shop`` rows are rendered from
it; bills and stats read it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from etl.simulator.qianhub_catalog import BRANDS, DISTRICTS, GIVEN, SURNAMES
from etl.simulator.qianhub_common import MAX_WORKERS, fmt_time

Staff = tuple[int, str]


@dataclass(frozen=True)
class Table:
    table_id: int
    name: str
    seats: int
    private_room: bool


@dataclass(frozen=True)
class ShopProfile:
    """One shop. ``worker`` is its index, used as the snowflake worker id (ids stay unique)."""

    worker: int
    shop_id: int
    brand_id: int
    brand_name: str
    sn: str
    shop_name: str
    shop_address: str | None
    shop_contact: str | None
    business_on: str | None
    create_on: str
    tables: tuple[Table, ...]
    waiters: tuple[Staff, ...]
    cashiers: tuple[Staff, ...]
    manager: Staff
    # "yuan": 抹零 cuts jiao and fen; "jiao": cuts fen only; "none": never rounds.
    rounding: str
    room_service_rate: Decimal
    room_min_spend: Decimal

    @property
    def seats(self) -> int:
        return sum(t.seats for t in self.tables)


def make_shops(seed: int, count: int) -> list[ShopProfile]:
    """``count`` shops with distinct 6-digit ids; shop 2 (or the last) has no ``business_on``."""
    if not 1 <= count <= min(MAX_WORKERS, len(DISTRICTS) * 8):
        raise ValueError(f"shop_count must be 1..{len(DISTRICTS) * 8}, got {count}")
    rng = random.Random(f"{seed}:shops")
    ids = rng.sample(range(100_000, 1_000_000), count)
    missing_business_on = min(2, count - 1)
    return [
        _make_shop(seed, index, shop_id, index == missing_business_on)
        for index, shop_id in enumerate(ids)
    ]


def _person(rng: random.Random, used: set[int]) -> Staff:
    staff_id = rng.randrange(1000, 9999)
    while staff_id in used:
        staff_id = rng.randrange(1000, 9999)
    used.add(staff_id)
    return staff_id, rng.choice(SURNAMES) + rng.choice(GIVEN)


def _make_shop(seed: int, index: int, shop_id: int, no_business_on: bool) -> ShopProfile:
    rng = random.Random(f"{seed}:shop:{shop_id}")
    brand_id, brand_name = BRANDS[index % len(BRANDS)]
    district, address = DISTRICTS[index % len(DISTRICTS)]
    suffix = "" if index < len(DISTRICTS) else f"{index // len(DISTRICTS) + 1}号"
    opened = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(0, 6 * 365))
    created = dt.datetime.combine(opened - dt.timedelta(days=rng.randrange(5, 60)), dt.time(10))
    created += dt.timedelta(seconds=rng.randrange(0, 8 * 3600))
    tables: list[Table] = []
    table_id = rng.randrange(300, 900)
    for hall, count, seats in (("A", rng.randint(12, 20), 4), ("B", rng.randint(6, 12), 6)):
        for n in range(1, count + 1):
            tables.append(Table(table_id, f"{hall}{n:02d}", seats, False))
            table_id += 1
    for n in range(1, rng.randint(2, 4) + 1):
        tables.append(Table(table_id, f"包间{n}", 12, True))
        table_id += 1
    used: set[int] = set()
    return ShopProfile(
        worker=index,
        shop_id=shop_id,
        brand_id=brand_id,
        brand_name=brand_name,
        sn=str(20001 + index),
        shop_name=f"【{district}】{brand_name}{district}{suffix}店",
        # The document says address and contact "may be null"; some shops leave them empty.
        shop_address=None if rng.random() < 0.25 else address,
        shop_contact=None if rng.random() < 0.25 else f"0755-{rng.randrange(2000_0000, 8999_9999)}",
        # Not zero padded ("2018-1-1"), as the verified facts record.
        business_on=None if no_business_on else f"{opened.year}-{opened.month}-{opened.day}",
        create_on=fmt_time(created),
        tables=tuple(tables),
        waiters=tuple(_person(rng, used) for _ in range(rng.randint(4, 7))),
        cashiers=tuple(_person(rng, used) for _ in range(2)),
        manager=_person(rng, used),
        rounding=rng.choice(("yuan", "yuan", "jiao", "none")),
        room_service_rate=Decimal("0.1"),
        room_min_spend=Decimal(rng.choice((600, 800, 1000))),
    )


def shop_row(shop: ShopProfile, latest_business_day: dt.date) -> dict[str, object]:
    """The shop as a ``qianhub.agent.list-shop`` row."""
    return {
        "brand_id": shop.brand_id,
        "brand_name": shop.brand_name,
        "shop_id": shop.shop_id,
        "sn": shop.sn,
        "shop_name": shop.shop_name,
        "shop_address": shop.shop_address,
        "shop_contact": shop.shop_contact,
        "business_on": shop.business_on,
        "latest_business_day": latest_business_day.isoformat(),
        "create_on": shop.create_on,
    }
