"""The fault classes the chaos run added to the simulators: error envelopes in an HTTP 200 and
re-checkouts out of order. Off by default, drawn without disturbing the older kinds, and met by
the loader as retries (envelope) or as nothing at all (reorder)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from etl.chaos import world
from etl.errors import VendorUnavailable
from etl.qianhub.client import BOH_TYPES, QianhubClient
from etl.simulator import CASHIER_FINISH, FaultConfig, FaultInjector
from etl.simulator.faults import with_reordered

DAY = world.QIANHUB_DAYS[0]


def test_the_new_kinds_parse_and_are_off_by_default() -> None:
    config = FaultConfig.parse("envelope=0.03,reorder=0.5,seed=2")
    assert (config.envelope, config.reorder, config.seed) == (0.03, 0.5, 2)
    assert FaultConfig.parse(config.describe()) == config
    assert (FaultConfig().envelope, FaultConfig().reorder) == (0.0, 0.0)
    with pytest.raises(ValueError, match="envelope must not exceed 1"):
        FaultConfig(error_5xx=0.6, envelope=0.6)


def test_envelope_is_drawn_after_the_older_kinds() -> None:
    """A config without ``envelope`` draws exactly the sequence it drew before; with it, only
    requests that drew nothing can get an envelope."""
    old = FaultConfig(error_5xx=0.2, drop=0.1, seed=5)
    new = FaultConfig(error_5xx=0.2, drop=0.1, envelope=0.3, seed=5)
    a, b = FaultInjector(old), FaultInjector(new)
    drawn = [(a.draw(), b.draw()) for _ in range(300)]
    assert all(x == y for x, y in drawn if x is not None)
    assert {y.kind for x, y in drawn if x is None and y is not None} == {"envelope"}


def test_an_envelope_in_a_200_is_retried_by_the_qianhub_client(tmp_path: Path) -> None:
    keys = world.demo_keys(tmp_path / "keys")
    simulator = world.start_qianhub(keys, "envelope=1.0")
    try:
        response = httpx.post(simulator.url, content=b"{}", timeout=5)
        assert response.status_code == 200
        assert response.json()["error_code"] == 1000
        settings = world.QianhubSettings(
            gateway_url=simulator.url, app_id=keys.app_id, private_key_file=keys.private_key_file
        )
        with (
            QianhubClient.from_settings(settings, backoff_base=0.0, max_attempts=3) as client,
            pytest.raises(VendorUnavailable, match="HTTP 200 with a body that is not"),
        ):
            client.list_shops()
        assert simulator.stats.requests["qianhub.agent.list-shop"] == 3  # retried, not final
    finally:
        simulator.stop()


def test_reorder_shuffles_whole_answers_the_same_way_every_time() -> None:
    source = world.qianhub_world()
    shop = source.shop_ids()[0]
    begin, end = source.rule.window(DAY)
    records = source.records(shop, BOH_TYPES, begin, end)
    config = FaultConfig(reorder=1.0, seed=3)
    shuffled, changed = with_reordered(records, config)
    assert changed and shuffled != records
    assert sorted(map(id, shuffled)) == sorted(map(id, records))  # same records, new order
    assert with_reordered(records, config) == (shuffled, True)
    assert with_reordered(records, FaultConfig(seed=3)) == (records, False)
    # The world has re-checkouts; in some shuffled answer a newer version comes first.
    versions = [
        (r["json"]["bill_id"], r["json"]["undo_index"])  # type: ignore[index]
        for r in shuffled
        if r["boh_type"] == CASHIER_FINISH
    ]
    newest_first = any(
        b == b2 and u > u2 for i, (b, u) in enumerate(versions) for b2, u2 in versions[i + 1 :]
    )
    assert newest_first
