"""The marts: DuckDB views over both vendors' tables, re-created and described in one step.

Opening the warehouse applies ``sql/marts/`` (views and their comments), so a materialisation
proves the views bind against the current tables and records what they show now. Subsettable:
the automation sensor refreshes only the marts whose tables changed.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.assets import marts_metadata as md
from dagster_project.assets.marts_specs import CHECK_SPECS, MARTS, key, mart_specs
from dagster_project.resources import WarehouseResource


@dg.multi_asset(
    name="marts_views",
    specs=mart_specs(),
    check_specs=CHECK_SPECS,
    can_subset=True,
    pool="duckdb",
)
def marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[Any]:
    selected = [m for m in MARTS if key(m) in context.selected_asset_keys]
    with warehouse.open() as wh:
        yield from md.materializations(wh.con, selected)
        yield from md.check_results(wh.con, context.selected_asset_check_keys)
