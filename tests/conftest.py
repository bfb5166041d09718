"""Shared fixtures: a QianHub simulator on 127.0.0.1 with a throwaway key pair, settings that
point at it, and a warehouse in a temp folder. Nothing here reaches the internet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from etl.config import QianhubSettings, WarehouseSettings
from etl.simulator import DemoKeys, FaultConfig, QianhubSimulator, QianhubWorld, ensure_demo_keypair

E2E_SEED = 424242


@pytest.fixture(scope="session")
def demo_keys(tmp_path_factory: pytest.TempPathFactory) -> DemoKeys:
    return ensure_demo_keypair(tmp_path_factory.mktemp("keys"), app_id="e2e-app")


@pytest.fixture(scope="session")
def e2e_world() -> QianhubWorld:
    """Three shops (one speaks the ``shop_<id>`` key variant), real-world sized days."""
    return QianhubWorld(seed=E2E_SEED, shop_count=3)


StartQianhub = Callable[..., QianhubSimulator]


@pytest.fixture
def start_qianhub(e2e_world: QianhubWorld, demo_keys: DemoKeys) -> Iterator[StartQianhub]:
    started: list[QianhubSimulator] = []

    def start(faults: str = "") -> QianhubSimulator:
        simulator = QianhubSimulator(
            e2e_world,
            apps={demo_keys.app_id: demo_keys.public_key},
            faults=FaultConfig.parse(faults),
        )
        started.append(simulator.start())
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def qianhub_settings_for(
    simulator: QianhubSimulator, keys: DemoKeys, **extra: object
) -> QianhubSettings:
    values: dict[str, object] = {
        "gateway_url": simulator.url,
        "app_id": keys.app_id,
        "private_key_file": keys.private_key_file,
        "timeout_seconds": 2.0,
        "max_attempts": 6,
    }
    values.update(extra)
    return QianhubSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def warehouse_settings(tmp_path: Path) -> WarehouseSettings:
    return WarehouseSettings(home=tmp_path / "home")
