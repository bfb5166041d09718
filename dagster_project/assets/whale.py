"""WHALE e-voucher notification status (group ``whale``): thin glue over ``etl.pipeline.whale``.

Unpartitioned: each materialisation queries every order id the ERP lists
(``WHALE_ORDER_IDS_FILE`` / ``WHALE_ORDER_IDS_TABLE``). ``whale_retry_failed`` re-sends failed
make-code notifications and reloads them.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg

from dagster_project.resources import WarehouseResource
from dagster_project.whale_resources import WhaleResource
from etl.pipeline.whale import (
    NotificationLoad,
    load_make_code_notifications,
    load_verify_notifications,
    retry_failed,
)
from etl.raw import RawStore
from etl.warehouse import Warehouse
from etl.whale.client import WhaleClient

GROUP = "whale"
MAKE_CODE_KEY = dg.AssetKey(["whale", "make_code_notifications"])
VERIFY_KEY = dg.AssetKey(["whale", "verify_notifications"])
RETRY_JOB = "whale_retry_failed"
NOTIFICATIONS_JOB = "whale_notifications"

Loader = Callable[[WhaleClient, Warehouse, RawStore, list[str]], NotificationLoad]


def _metadata(load: NotificationLoad) -> dict[str, Any]:
    missing = [f"{oid}: {why}" for oid, why in sorted(load.missing.items())]
    return {
        "order_ids": load.requested,
        "rows": load.rows,
        "rejects": load.result.rejects,
        "missing": len(load.missing),
        "missing_detail": "\n".join(missing[:20]) or "none",
        "load_id": load.result.load_id,
    }


def _build(key: dg.AssetKey, loader: Loader, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=key,
        group_name=GROUP,
        kinds={"duckdb", "parquet"},
        owners=["team:data-platform"],
        pool="duckdb",
        tags={"vendor": "whale"},
        description=description,
    )
    def _asset(whale: WhaleResource, warehouse: WarehouseResource) -> dg.MaterializeResult[Any]:
        with warehouse.open() as wh, whale.get_client() as client:
            load = loader(client, wh, warehouse.raw_store(), whale.order_ids(wh.con))
        return dg.MaterializeResult(metadata=_metadata(load))

    return _asset


def build_whale_assets() -> list[dg.AssetsDefinition]:
    """``whale/make_code_notifications`` and ``whale/verify_notifications``."""
    return [
        _build(
            MAKE_CODE_KEY,
            load_make_code_notifications,
            "One row per sale-channel order id the ERP lists: its latest WHALE make-code (制码) "
            "notification (makeNotifyQuery), key sale_channel_order_id; succeeded = false marks "
            "the failed ones whale_retry_failed re-sends.",
        ),
        _build(
            VERIFY_KEY,
            load_verify_notifications,
            "One row per sale-channel order id the ERP lists that WHALE has a verification "
            "(核销) notification for, key sale_channel_order_id; ids without one are counted in "
            "the 'missing' metadata.",
        ),
    ]


@dg.op(
    description="makeNotifyRetry for every failed make-code notification in "
    "whale.make_code_notifications, then reloads those orders.",
    pool="duckdb",
    tags={"vendor": "whale"},
)
def whale_retry_failed_op(
    context: dg.OpExecutionContext, whale: WhaleResource, warehouse: WarehouseResource
) -> dg.Output[None]:
    with warehouse.open() as wh, whale.get_client() as client:
        result = retry_failed(client, wh, warehouse.raw_store())
    if result.errors:
        context.log.warning("WHALE refused %d retries", len(result.errors))
    return dg.Output(
        None,
        metadata={
            "retried": len(result.retried),
            "fixed": ", ".join(result.fixed) or "none",
            "still_failed": ", ".join(result.still_failed) or "none",
            "refused": "\n".join(f"{k}: {v}" for k, v in result.errors.items()) or "none",
        },
    )


def build_whale_retry_job() -> dg.JobDefinition:
    """The ``whale_retry_failed`` job (needs the ``whale`` and ``warehouse`` resources)."""

    @dg.job(name=RETRY_JOB, description="Re-sends failed WHALE make-code notifications.")
    def _job() -> None:
        whale_retry_failed_op()

    return _job


def build_whale_notifications_job() -> Any:  # an unresolved asset job
    """``whale_notifications``: materialises the two WHALE assets."""
    return dg.define_asset_job(
        NOTIFICATIONS_JOB,
        selection=dg.AssetSelection.groups(GROUP),
        description="Loads WHALE make-code and verification notification status for the "
        "order ids the ERP lists.",
    )
