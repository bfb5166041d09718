"""The WHALE resource: vends a plain :class:`~etl.whale.client.WhaleClient` and the order ids.

Nothing WHALE-related is read when definitions load: ``WHALE_*`` settings (base URL, header
file, signer, order ids) are read by ``etl`` when a run starts; header values never enter
Dagster config, run records or the UI.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from etl.whale.client import WhaleClient
from etl.whale.settings import WhaleSettings


class WhaleResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """WHALE e-voucher admin API (settings from the ``WHALE_*`` environment)."""

    def settings(self) -> WhaleSettings:
        return WhaleSettings.from_env()

    def get_client(self) -> WhaleClient:
        return WhaleClient.from_settings(self.settings())

    def order_ids(self, con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
        from etl.pipeline.whale import order_ids_for

        return order_ids_for(self.settings(), con)
