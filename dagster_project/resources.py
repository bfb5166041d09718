"""Resources vend plain ``etl`` objects; they implement nothing themselves.

Secrets reach Dagster only as ``dg.EnvVar`` (resolved when a run starts, never stored in the
definitions or shown in the UI). Warehouse settings are not secret and fall back to the
``POS_WAREHOUSE_*`` environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from etl.config import QianhubSettings, WarehouseSettings
from etl.qianhub.client import QianhubClient
from etl.raw import RawStore
from etl.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The DuckDB warehouse and its Parquet lake under ``POS_WAREHOUSE_HOME``."""

    home: str | None = None

    def settings(self) -> WarehouseSettings:
        overrides = {"home": Path(self.home)} if self.home else {}
        return WarehouseSettings.from_env(**overrides)

    @contextmanager
    def open(self) -> Iterator[Warehouse]:
        with Warehouse.open(self.settings()) as warehouse:
            yield warehouse

    def raw_store(self) -> RawStore:
        return RawStore(self.settings().raw_dir)


class QianhubResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Vends a :class:`~etl.qianhub.client.QianhubClient` for the configured gateway."""

    gateway_url: str
    app_id: str
    private_key_file: str

    def settings(self) -> QianhubSettings:
        return QianhubSettings.from_env(
            gateway_url=self.gateway_url,
            app_id=self.app_id,
            private_key_file=Path(self.private_key_file),
        )

    def get_client(self) -> QianhubClient:
        return QianhubClient.from_settings(self.settings())


def default_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(),
        "qianhub": QianhubResource(
            gateway_url=dg.EnvVar("QIANHUB_GATEWAY_URL"),
            app_id=dg.EnvVar("QIANHUB_APP_ID"),
            private_key_file=dg.EnvVar("QIANHUB_PRIVATE_KEY_FILE"),
        ),
    }
