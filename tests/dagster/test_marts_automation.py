"""The marts follow their tables: a new materialisation of any partition of a table a mart
reads requests that mart once, and nothing is requested while nothing changed."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.definitions import build_definitions
from etl.config import WarehouseSettings


def _requested(result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    return {r.key.to_user_string() for r in result.results if r.true_subset.size}


@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")  # Dagster's own test helper
def test_a_table_update_requests_the_marts_that_read_it_once() -> None:
    defs = build_definitions(WarehouseSettings())
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert _requested(first) == set()

    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=dg.AssetKey(["qianhub", "bills"]), partition="2026-11-02")
    )
    second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert _requested(second) == {
        "marts/daily_sales",
        "marts/hourly_traffic",
        "marts/recheckout_audit",
        "marts/stores",
    }
    third = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
    assert _requested(third) == set()

    instance.add_dynamic_partitions("pospal_accounts", ["store-1"])
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey(["pospal", "pay_methods"]),
            partition=dg.MultiPartitionKey({"date": "2026-11-02", "account": "store-1"}),
        )
    )
    fourth = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=third.cursor)
    assert _requested(fourth) == {"marts/payment_mix"}
