"""Asset and check specs for the analysts' marts: one asset per ``marts`` view, each stating its
grain, built from the vendor tables it reads, and refreshed when any of them is."""

import dagster as dg

from dagster_project.assets import pospal_specs, qianhub_specs
from dagster_project.assets.schema import table_metadata

GROUP = "marts"
KINDS = {"duckdb", "sql"}
OWNERS = ["team:analytics"]

_QIANHUB_BILLS = [
    qianhub_specs.key(t)
    for t in ("bills", "bill_orders", "bill_details", "bill_payments", "bill_versions")
]
_POSPAL_TICKETS = [pospal_specs.key(t) for t in ("tickets", "ticket_items", "ticket_payments")]

MARTS: dict[str, tuple[str, list[dg.AssetKey]]] = {
    "stores": (
        "One row per store of either vendor (vendor, store_id) with the name analysts see.",
        [qianhub_specs.SHOPS_KEY, qianhub_specs.key("bills"), pospal_specs.key("tickets")],
    ),
    "daily_sales": (
        "One row per vendor, store and business date: transactions, gross, discounts, "
        "rounding, refunds, net, average ticket, guests (QianHub), voids (Pospal), "
        "re-checkouts and delivery orders (QianHub). Voids excluded, returns negated.",
        [
            *_QIANHUB_BILLS,
            *_POSPAL_TICKETS,
            qianhub_specs.key("dayend_stats"),
            qianhub_specs.key("delivery_orders"),
        ],
    ),
    "payment_mix": (
        "One row per vendor, store, business date and payment method: lines, amount, share.",
        [qianhub_specs.key("bill_payments"), *_POSPAL_TICKETS, pospal_specs.key("pay_methods")],
    ),
    "top_goods": (
        "One row per vendor, store, business date and product: quantity, amount, rank.",
        [qianhub_specs.key("bill_details"), *_POSPAL_TICKETS],
    ),
    "hourly_traffic": (
        "One row per vendor, store, business date and shop-local clock hour: transactions, "
        "net sales, guests.",
        [qianhub_specs.key("bills"), qianhub_specs.key("bill_orders"), *_POSPAL_TICKETS],
    ),
    "refunds_and_voids": (
        "One row per Pospal return or voided ticket and per QianHub dish sent back (退菜).",
        [qianhub_specs.key("bill_details"), *_POSPAL_TICKETS],
    ),
    "delivery_channels": (
        "One row per QianHub shop, business date and delivery platform (Meituan / Ele.me): "
        "orders, cancellations, and the money split between customer, platform and shop.",
        [qianhub_specs.key("delivery_orders"), qianhub_specs.key("delivery_order_items")],
    ),
    "recheckout_audit": (
        "One row per QianHub bill changed after checkout (反结账): versions loaded, amount "
        "paid before and after.",
        [qianhub_specs.key("bills"), qianhub_specs.key("bill_versions")],
    ),
}


def key(mart: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", mart])


# Refresh a mart whenever a table it reads was updated (any partition of it), once that load is
# over. Not `eager()`: with daily-partitioned parents, eager waits for *every* partition since
# the partition start to exist, which never happens.
REFRESH_CONDITION = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("a table it reads was updated")


def mart_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=key(mart),
            deps=[*dict.fromkeys(deps)],
            description=f"{grain} DuckDB view marts.{mart} (sql/marts/); unpartitioned: it "
            "always shows every loaded business date (shop-local, Asia/Shanghai).",
            group_name=GROUP,
            kinds=KINDS,
            owners=OWNERS,
            tags={"layer": "mart"},
            metadata=table_metadata(f"marts.{mart}"),
            automation_condition=REFRESH_CONDITION,
        )
        for mart, (grain, deps) in MARTS.items()
    ]


QIANHUB_RECONCILED = dg.AssetCheckSpec(
    "reconciles_with_qianhub_dayend",
    asset=key("daily_sales"),
    description="Per QianHub shop and business date with a day-end report: transactions and "
    "net_sales equal dayend.stat's `bill` count and `cashierSum`.",
)
POSPAL_RECONCILED = dg.AssetCheckSpec(
    "reconciles_with_pospal_payments",
    asset=key("daily_sales"),
    description="Per Pospal account and business date: transactions and net_sales equal the "
    "tickets' payment lines (returns negative, voids left out).",
)
CHECK_SPECS = [QIANHUB_RECONCILED, POSPAL_RECONCILED]
