"""A landed Pospal account-day, read and flattened: the work of a replay's worker processes.

Kept apart from :mod:`etl.pipeline.pospal` so that a worker imports what flattening needs (the
raw store, the flatteners) and not DuckDB or the warehouse (see :mod:`etl.pipeline.workers`).
How an endpoint's pages become rows (:func:`flattener`) lives here too, so a load and a replay
flatten the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from etl.batch import EntitySpec, FlatBatch
from etl.business_day import BusinessDayRule
from etl.flatten.pospal import (
    CUSTOMER_TICKETS_ENTITY,
    ORDERS_ENTITY,
    TICKETS_ENTITY,
    flatten_customer_history,
    flatten_order_pages,
    flatten_ticket_pages,
)
from etl.raw import RawStore

VENDOR = "pospal"
TICKETS_ENDPOINT = "queryTicketPages"
ORDERS_ENDPOINT = "queryOrderPages"
HISTORY_ENDPOINT = "queryCustomerHistoryTicketsByUid"

Flatten = Callable[[list[bytes]], FlatBatch]

ENTITIES: dict[str, EntitySpec] = {
    TICKETS_ENDPOINT: TICKETS_ENTITY,
    ORDERS_ENDPOINT: ORDERS_ENTITY,
    HISTORY_ENDPOINT: CUSTOMER_TICKETS_ENTITY,
}
"""The entity each endpoint's pages are upserted as."""


def account_unit(account: str) -> str:
    """The unit name of an account's tickets, orders and pay methods."""
    return f"account={account}"


def flattener(
    endpoint: str,
    account: str,
    rule: BusinessDayRule,
    pay_methods: dict[str, str],
    member: int | None = None,
) -> tuple[Flatten, EntitySpec]:
    """How one endpoint's pages become rows: the same for a load and a replay."""
    entity = ENTITIES[endpoint]
    if endpoint == TICKETS_ENDPOINT:
        return (
            lambda bodies: flatten_ticket_pages(
                bodies, rule, account=account, pay_methods=pay_methods
            ),
            entity,
        )
    if endpoint == ORDERS_ENDPOINT:
        return (lambda bodies: flatten_order_pages(bodies, rule, account=account), entity)
    assert member is not None
    return (
        lambda bodies: flatten_customer_history(bodies, rule, account=account, customer_uid=member),
        entity,
    )


@dataclass(frozen=True)
class LandedUnit:
    """One unit of an account-day as landed: where its newest complete landing is, and its
    rows (``member`` for a member history, else None)."""

    endpoint: str
    unit: str
    member: int | None
    path: Path
    batch: FlatBatch

    @property
    def name(self) -> str:
        """How a replay reports the unit: the endpoint, or a history's unit name."""
        return self.endpoint if self.member is None else self.unit


def flatten_account_day(
    raw: RawStore,
    account: str,
    day: dt.date,
    rule: BusinessDayRule,
    pay_methods: dict[str, str],
) -> list[LandedUnit]:
    """Every landed unit of an account-day, read and flattened, in load order: tickets,
    online orders, then the member histories landed for that day."""
    partition = day.isoformat()
    prefix = account_unit(account) + "+customer="
    wanted: list[tuple[str, str, int | None]] = [
        (TICKETS_ENDPOINT, account_unit(account), None),
        (ORDERS_ENDPOINT, account_unit(account), None),
    ]
    wanted += [
        (HISTORY_ENDPOINT, unit, int(unit.removeprefix(prefix)))
        for unit in raw.units(VENDOR, HISTORY_ENDPOINT, partition)
        if unit.startswith(prefix)
    ]
    units = []
    for endpoint, unit, member in wanted:
        landed = raw.latest(VENDOR, endpoint, partition, unit)
        if landed is None:
            continue
        flatten, _ = flattener(endpoint, account, rule, pay_methods, member)
        units.append(
            LandedUnit(endpoint, unit, member, landed.path, flatten(list(landed.bodies())))
        )
    return units
