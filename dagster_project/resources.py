"""Resources vend plain ``etl`` objects; they implement nothing themselves.

Secrets reach Dagster only as ``dg.EnvVar`` (resolved when a run starts, never stored in the
definitions or shown in the UI), or not at all: Pospal app keys are read by ``etl`` from the
environment or key files when a run starts. Warehouse settings are not secret and fall back to the
``POS_WAREHOUSE_*`` environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from dagster_project.whale_resources import WhaleResource
from etl.config import QianhubSettings, WarehouseSettings
from etl.errors import ConfigError
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount, PospalTuning, load_accounts
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


BUDGET_FILE = "pospal-budget.sqlite"


class PospalResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Vends a :class:`~etl.pospal.client.PospalClient` per configured account, all drawing on
    one persisted daily call budget (``POSPAL_BUDGET_FILE``, by default
    ``$POS_WAREHOUSE_HOME/pospal-budget.sqlite``).

    Accounts come from ``POSPAL_BASE_URL``/``POSPAL_APP_ID``/``POSPAL_APP_KEY`` or
    ``POSPAL_ACCOUNTS_FILE``, read when a run starts (never when definitions load);
    app keys never enter Dagster config, run records or the UI.
    """

    def accounts(self) -> list[PospalAccount]:
        return load_accounts()

    def account(self, name: str) -> PospalAccount:
        accounts = {a.name: a for a in self.accounts()}
        if name not in accounts:
            raise ConfigError(
                f"Pospal account {name!r} is not configured (configured: "
                f"{', '.join(sorted(accounts))}); it was removed from the settings"
            )
        return accounts[name]

    def tuning(self) -> PospalTuning:
        return PospalTuning.from_env()

    def budget(self, settings: WarehouseSettings) -> CallBudget:
        tuning = self.tuning()
        path = tuning.budget_file or settings.home / BUDGET_FILE
        return CallBudget(path, limit=tuning.daily_quota, reserve=tuning.quota_reserve)

    def get_client(self, account: PospalAccount, budget: CallBudget) -> PospalClient:
        return PospalClient.from_settings(account, self.tuning(), budget)


def default_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(),
        "qianhub": QianhubResource(
            gateway_url=dg.EnvVar("QIANHUB_GATEWAY_URL"),
            app_id=dg.EnvVar("QIANHUB_APP_ID"),
            private_key_file=dg.EnvVar("QIANHUB_PRIVATE_KEY_FILE"),
        ),
        "pospal": PospalResource(),
        "whale": WhaleResource(),
    }
