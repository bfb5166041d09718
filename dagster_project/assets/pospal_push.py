"""The push refresh: copy the webhook inbox into ``pospal.push_events`` and re-fetch the
tickets and orders the pushes name. Thin glue over ``etl.pipeline.pospal_push``; started by
the ``pospal_push`` sensor whenever the inbox changed."""

from contextlib import ExitStack
from typing import Any

import dagster as dg

from dagster_project.assets.pospal_specs import GROUP, KINDS, key
from dagster_project.resources import PospalResource, WarehouseResource
from etl.pipeline.pospal_push import refresh_pending
from etl.pospal.push_store import opened
from etl.webhook.server import push_store_path

PUSH_EVENTS_KEY = key("push_events")


@dg.asset(
    key=PUSH_EVENTS_KEY,
    group_name=GROUP,
    kinds=KINDS,
    owners=["team:data-platform"],
    pool="duckdb",
    tags={"vendor": "pospal"},
    description="One row per business event Pospal pushed (dedupe_key = appId|cmd|business "
    "key; redeliveries only count deliveries), copied from the webhook inbox. Materialising it "
    "also re-fetches the pushed tickets (queryTicketBySn, or the whole day when cheaper) and "
    "online orders (queryOrderByNo) into pospal.tickets / pospal.orders.",
)
def push_events(
    context: dg.AssetExecutionContext, pospal: PospalResource, warehouse: WarehouseResource
) -> dg.MaterializeResult[Any]:
    settings = warehouse.settings()
    budget = pospal.budget(settings)
    with ExitStack() as stack:
        clients = {
            account.name: stack.enter_context(pospal.get_client(account, budget))
            for account in pospal.accounts()
        }
        store = stack.enter_context(opened(push_store_path(pospal.tuning(), settings)))
        wh = stack.enter_context(warehouse.open())
        result = refresh_pending(store, wh, warehouse.raw_store(), clients, settings=settings)
    if result.quota_error:
        context.log.warning("push refresh stopped by the quota: %s", result.quota_error)
    return dg.MaterializeResult(
        metadata={
            "events_exported": result.events_exported,
            "rejects_exported": result.rejects_exported,
            "tickets_refreshed": result.tickets_refreshed,
            "orders_refreshed": result.orders_refreshed,
            "days_repulled": ", ".join(result.days_repulled) or "none",
            "quota_calls_this_run": result.calls,
            "pending_left": result.pending_left,
            "failed": len(result.failed),
            "failures": "\n".join(result.failed[:20]) or "none",
            "quota_error": result.quota_error or "none",
            "partitions_touched": ", ".join(f"{a} {d}" for a, d in sorted(result.touched))
            or "none",
        }
    )
