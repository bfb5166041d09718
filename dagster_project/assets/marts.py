"""The marts: DuckDB views over both vendors' tables, re-created and described in one step.

Opening the warehouse applies ``sql/marts/`` (views and their comments), so a materialisation
proves the views bind against the current tables and records what they show now.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from dagster_project.assets import marts_metadata as md
from dagster_project.assets.marts_specs import CHECK_SPECS, MARTS, mart_specs
from dagster_project.resources import WarehouseResource


@dg.multi_asset(
    name="marts_refresh",
    specs=mart_specs(),
    check_specs=CHECK_SPECS,
    pool="duckdb",
)
def marts(warehouse: WarehouseResource) -> Iterator[Any]:
    with warehouse.open() as wh:
        yield from md.materializations(wh.con, list(MARTS))
        yield from md.check_results(wh.con)
