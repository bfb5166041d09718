"""Asset and check specs for QianHub: one asset per warehouse table, descriptions state grain."""

from __future__ import annotations

import dagster as dg

from dagster_project.assets.schema import table_metadata

GROUP = "qianhub"
KINDS = {"duckdb", "parquet"}
SHOPS_KEY = dg.AssetKey(["qianhub", "shops"])

TABLES: dict[str, str] = {
    "bills": "One row per bill_id (cashier.finish), latest version: highest undo_index, then "
    "latest cashier_on. Re-checkouts (反结账) replace the bill and all its child rows.",
    "bill_versions": "One row per version of a bill ever loaded (bill_id, undo_index): "
    "re-checkouts keep their earlier versions here for the audit.",
    "bill_orders": "One row per order in a bill (bill_id, order_id).",
    "bill_details": "One row per bill detail node, nested children (做法/加料/套餐) flattened "
    "with parent_detail_id, root_detail_id, path and depth.",
    "bill_payments": "One row per payment line of a bill (bill_id, line_no).",
    "bill_promotions": "One row per promotion line of a bill (bill_id, line_no); values negative.",
    "bill_discounts": "One row per discount line of a bill (bill_id, line_no); values negative.",
    "handover_stats": "One row per handover (交接) report: shop, staff, create_on.",
    "handover_stat_lines": "One row per handover report line, subdetail nested (section, line_no).",
    "dayend_stats": "One row per shop and business day: the vendor's day-end (日结) report.",
    "dayend_stat_lines": "One row per day-end report line, subdetail nested (section, line_no).",
    "delivery_orders": "One row per delivery order (waimai.order, Meituan / Ele.me), latest "
    "state; Canceled is the only cancellation. Platform and shop amounts from extra.",
    "delivery_order_items": "One row per line of a delivery order (order_id, line_no): the "
    "platform's goods and the shop goods it maps to.",
    "delivery_order_promotions": "One row per promotion of a delivery order (order_id, line_no), "
    "kept whole as JSON.",
}


def key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["qianhub", table])


def table_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=key(table),
            deps=[SHOPS_KEY],
            description=f"{grain} Daily partition = business date (shop-local, Asia/Shanghai "
            f"by default). Stored in DuckDB table qianhub.{table} and the Parquet lake.",
            group_name=GROUP,
            kinds=KINDS,
            owners=["team:data-platform"],
            tags={"vendor": "qianhub"},
            metadata=table_metadata(f"qianhub.{table}"),
        )
        for table, grain in TABLES.items()
    ]


UNIQUE_KEYS_CHECK = dg.AssetCheckSpec(
    "unique_keys",
    asset=key("bills"),
    description="Every QianHub table's key is unique within the business date.",
)
NO_ORPHANS_CHECK = dg.AssetCheckSpec(
    "no_orphan_children",
    asset=key("bill_details"),
    description="No order, detail, payment, promotion, discount or stat line without its parent.",
)
DAYEND_CHECK = dg.AssetCheckSpec(
    "bill_totals_match_dayend",
    asset=key("dayend_stats"),
    description="Per shop: bill count and sum of paid equal the day-end report's `bill` and "
    "`cashierSum` for the business date.",
)
LAKE_CHECK = dg.AssetCheckSpec(
    "lake_matches_duckdb",
    asset=key("bills"),
    description="Every QianHub table's Parquet partition for the business date holds exactly "
    "the rows DuckDB holds (multiset comparison, lineage included).",
)
CHECK_SPECS = [UNIQUE_KEYS_CHECK, NO_ORPHANS_CHECK, DAYEND_CHECK, LAKE_CHECK]
