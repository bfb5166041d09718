"""Asset and check specs for Pospal: one asset per warehouse table, descriptions state grain.
Partitions are business date × account (each account has its own daily call quota)."""

from __future__ import annotations

import dagster as dg

from dagster_project.assets.schema import table_metadata

GROUP = "pospal"
KINDS = {"duckdb", "parquet"}

TABLES: dict[str, str] = {
    "tickets": "One row per ticket (sale or return) of an account, key (account, sn), latest "
    "state: a re-checkout (反结账) changes a ticket in place and the latest load wins. "
    "ticket_type normalised, is_void and is_return flags, signed_amount negates returns.",
    "ticket_items": "One row per ticket line (account, sn, line_no), replaced with the ticket.",
    "ticket_item_attributes": "One row per taste option or note of a ticket line "
    "(account, sn, line_no, attr_no).",
    "ticket_payments": "One row per payment line of a ticket (account, sn, line_no), with the "
    "pay method's name.",
    "refund_links": "One row per return ticket naming the sale it returns (account, sn).",
    "orders": "One row per online order (account, order_no), latest state.",
    "order_items": "One row per online order line (account, order_no, line_no).",
    "customer_tickets": "One row per member and ticket across stores (customer_uid, store, sn), "
    "from queryCustomerHistoryTicketsByUid for the members seen in the day's tickets.",
    "pay_methods": "One row per payment method of an account (account, code); refreshed at most "
    "once in 20 hours per account (each call counts against the quota).",
}

# Which pipeline query writes which tables: a quota cut materialises only the finished ones.
QUERY_TABLES: dict[str, tuple[str, ...]] = {
    "pay methods": ("pay_methods",),
    "tickets": (
        "tickets",
        "ticket_items",
        "ticket_item_attributes",
        "ticket_payments",
        "refund_links",
    ),
    "orders": ("orders", "order_items"),
    "member histories": ("customer_tickets",),
}


def key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["pospal", table])


def table_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=key(table),
            description=f"{grain} Partition = business date (store-local, Asia/Shanghai by "
            f"default) × Pospal account. Stored in DuckDB table pospal.{table} and the "
            "Parquet lake.",
            group_name=GROUP,
            kinds=KINDS,
            owners=["team:data-platform"],
            tags={"vendor": "pospal"},
            metadata=table_metadata(f"pospal.{table}"),
        )
        for table, grain in TABLES.items()
    ]


UNIQUE_KEYS_CHECK = dg.AssetCheckSpec(
    "unique_keys",
    asset=key("tickets"),
    description="Every Pospal table's key is unique within the business date (all accounts).",
)
NO_ORPHANS_CHECK = dg.AssetCheckSpec(
    "no_orphan_children",
    asset=key("ticket_items"),
    description="No ticket item, attribute, payment, refund link or order item without its "
    "parent ticket or order.",
)
VOIDS_RETURNS_CHECK = dg.AssetCheckSpec(
    "voids_returns_consistent",
    asset=key("tickets"),
    description="Type and is_return agree, signed_amount negates returns only, refund links "
    "sit on returns and match them, no return of a return, no live return of a voided sale "
    "(sql/checks/pospal_voids_returns.sql).",
)
LAKE_CHECK = dg.AssetCheckSpec(
    "lake_matches_duckdb",
    asset=key("tickets"),
    description="Every Pospal table's Parquet file of the account and business date holds "
    "exactly the rows DuckDB holds (multiset comparison, lineage included).",
)
CHECK_SPECS = [UNIQUE_KEYS_CHECK, NO_ORPHANS_CHECK, VOIDS_RETURNS_CHECK, LAKE_CHECK]
