"""Simulated Pospal stores and the chain's members: pure functions of (seed, index).

Each store is one Pospal account: its own ``appId`` (32 upper-case hex digits, the shape the
vendor issues) and ``appKey`` (18 digits), cashiers, ``productUid``\\ s, trading hours, 抹零
policy and pay-method table. Members (``customerUid``) belong to the chain, not to a store:
the same member buys in several stores, which is what ``queryAllStoreConsume`` is about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal

from etl.simulator.pospal_catalog import (
    ALIPAY,
    BALANCE,
    CASH_CODE,
    CASH_NAME,
    GIVEN,
    GOODS,
    OPTIONAL_PAY_NAMES,
    STORE_NAMES,
    SURNAMES,
    WECHAT,
    Goods,
)
from etl.simulator.pospal_common import MAX_STORES, big_id


@dataclass(frozen=True)
class Product:
    """A catalogue goods as one store sells it."""

    uid: int
    goods: Goods
    sell: Decimal
    member: Decimal


@dataclass(frozen=True)
class Cashier:
    uid: int
    job_number: str
    name: str


@dataclass(frozen=True)
class Member:
    """A chain member: ``uid`` is the ``customerUid``, ``number`` the 会员号 of online orders."""

    uid: int
    number: str
    name: str
    tel: str
    weight: float  # how often the member shops (regulars shop a lot)


@dataclass(frozen=True)
class StoreProfile:
    """One store / Pospal account. ``index`` is the snowflake worker of its ticket uids.

    ``open_after`` / ``close_after`` are offsets from the business day's start: a store with
    ``close_after`` past 18 h (for a 06:00 start) trades after midnight.
    """

    index: int
    name: str
    app_id: str
    app_key: str
    cashiers: tuple[Cashier, ...]
    products: tuple[Product, ...]
    open_after: dt.timedelta
    close_after: dt.timedelta
    rounding: str  # "jiao": 抹零 cuts fen; "yuan": cuts jiao and fen; "none"
    pay_methods: tuple[tuple[str, str], ...]  # (payCode_N, name), payCode_1 = 现金 first

    def pay_code(self, name: str) -> str:
        """The store's code for a pay-method name (KeyError if the store has none)."""
        for code, label in self.pay_methods:
            if label == name:
                return code
        raise KeyError(name)


def make_stores(seed: int, count: int) -> list[StoreProfile]:
    if not 1 <= count <= MAX_STORES:
        raise ValueError(f"stores must be 1..{MAX_STORES}, got {count}")
    return [_make_store(seed, index) for index in range(count)]


def _make_store(seed: int, index: int) -> StoreProfile:
    rng = random.Random(f"{seed}:pospal:store:{index}")
    digest = hashlib.md5(f"{seed}:pospal:app:{index}".encode()).hexdigest().upper()
    app_key = str(rng.randrange(10**17, 10**18))
    name = STORE_NAMES[index % len(STORE_NAMES)]
    if index >= len(STORE_NAMES):
        name = f"{name[:-1]}{index // len(STORE_NAMES) + 1}店"
    cashiers = tuple(
        Cashier(big_id(rng), f"{1001 + k}", rng.choice(SURNAMES) + rng.choice(GIVEN))
        for k in range(rng.randint(2, 4))
    )
    products = []
    for goods in GOODS:
        if rng.random() < 0.15:
            continue  # not every store stocks everything
        markup = Decimal(rng.choice((0, 0, 0, 1, -1))) / 10  # local repricing by ±0.1
        sell = max(goods.sell + markup, goods.buy)
        member = min(goods.member, sell)
        products.append(Product(big_id(rng), goods, sell, member))
    codes = rng.sample(range(2, 13), 3 + rng.randint(1, 3))
    names = [WECHAT, ALIPAY, BALANCE, *rng.sample(OPTIONAL_PAY_NAMES, len(codes) - 3)]
    pay_methods = [(CASH_CODE, CASH_NAME)]
    pay_methods += sorted(
        ((f"payCode_{code}", label) for code, label in zip(codes, names, strict=True)),
        key=lambda item: int(item[0].removeprefix("payCode_")),
    )
    late_night = index % 3 == 1  # one store in three trades past midnight
    return StoreProfile(
        index=index,
        name=f"银豹优选{name}",
        app_id=digest,
        app_key=app_key,
        cashiers=cashiers,
        products=tuple(products),
        open_after=dt.timedelta(minutes=rng.choice((30, 60, 90))),
        close_after=dt.timedelta(hours=19, minutes=30 if late_night else -150),
        rounding=rng.choice(("jiao", "jiao", "yuan", "none")),
        pay_methods=tuple(pay_methods),
    )


def make_members(seed: int, count: int) -> list[Member]:
    """``count`` chain members; about one in ten is a regular who shops five times as often."""
    rng = random.Random(f"{seed}:pospal:members")
    members = []
    for k in range(count):
        tel = f"1{rng.choice((3, 5, 7, 8, 9))}{rng.randrange(10**8, 10**9)}"
        number = tel if rng.random() < 0.7 else f"V{100000 + k}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))
        members.append(Member(big_id(rng), number, name, tel, 5.0 if rng.random() < 0.1 else 1.0))
    return members


def pay_method_rows(store: StoreProfile) -> list[dict[str, object]]:
    """``queryAllPayMethod`` rows: ``code`` -> ``name`` (``showName`` and ``enable`` as real
    answers carry them). A store with two or more optional methods has disabled its last one;
    old tickets may still name it."""
    optional = [code for code, name in store.pay_methods if name in OPTIONAL_PAY_NAMES]
    disabled = optional[-1] if len(optional) >= 2 else None
    return [
        {"code": code, "name": name, "showName": name, "enable": 0 if code == disabled else 1}
        for code, name in store.pay_methods
    ]
