"""Faults against the simulator: transient ones (5xx, drops, timeouts, slow answers, repeated
rows) are retried until the tables equal a clean load, malformed records are kept in
meta.rejects with their raw payload and a reason, and permanent errors (a wrong app key, an
unknown appId) fail at once -- one request, no retry -- naming the account, never the key."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from pydantic import SecretStr

from etl.config import WarehouseSettings
from etl.errors import LoadError, VendorAuthError
from etl.pospal.auth import sign
from etl.pospal.envelope import encode_body
from etl.pospal.settings import PospalAccount
from etl.simulator import FaultConfig, PospalWorld
from etl.simulator.pospal_faults import with_malformed_tickets
from etl.warehouse import TableFingerprint
from tests.pipeline.conftest import (
    DAYS,
    StartPospal,
    load_pospal,
    members_of,
    pospal_accounts,
    pospal_budget,
    pospal_snapshot,
    read_rows,
)

# Rates far above real life; with seed 3 this load meets every kind (the draws follow the
# request order, which a single-threaded load keeps fixed).
FAULTS = (
    "5xx=0.15,drop=0.1,timeout=0.1,slow=0.1,duplicate=0.3,malformed=0.1,"
    "timeout_delay=0.8,slow_delay=0.05,seed=3"
)
PAGES = "queryTicketPages"
HISTORY = "queryCustomerHistoryTicketsByUid"
EXACT = msgspec.json.Decoder(float_hook=Decimal)
WRONG_KEY = "wr0ng-K3Y-e2e-0nly-4c1d"  # distinctive, so a leak is easy to spot


def copies(records: Iterable[dict[str, object]], config: FaultConfig) -> list[object]:
    """The simulator's corrupted copies of ``records`` (a pure function of record and seed)."""
    originals = list(records)
    out, _ = with_malformed_tickets(list(originals), config)
    return [r for r in out if not any(r is o for o in originals)]


def expected_rejects(world: PospalWorld, config: FaultConfig) -> list[tuple[str, str | None]]:
    """(endpoint, sn) of every corrupted copy the load meets; ``null`` copies are one reject
    per endpoint (same bytes, same reason)."""
    app_id = world.stores()[0].app_id
    found: set[tuple[str, str | None]] = set()
    for day in DAYS:
        tickets = world.tickets(app_id, day)
        history = [t for m in members_of(tickets) for t in world.customer_tickets(m, day)]
        for endpoint, records in ((PAGES, tickets), (HISTORY, history)):
            for copy in copies(records, config):
                found.add((endpoint, str(copy["sn"]) if isinstance(copy, dict) else None))
    return sorted(found, key=str)


def test_faults_end_with_the_clean_tables_and_malformed_records_kept(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    clean_pospal_snapshot: list[TableFingerprint],
    tmp_path: Path,
) -> None:
    # Pages of 5 make ~45 requests, enough to meet every fault kind at these rates.
    simulator = start_pospal(FAULTS, page_sizes={"tickets": 5})
    budget = pospal_budget(tmp_path / "budget.sqlite")
    results = load_pospal(simulator, warehouse_settings, budget, timeout=0.4, max_attempts=12)
    assert [r.left for r in results] == [[], []]
    faults = simulator.stats.faults
    for kind in ("5xx", "drop", "timeout", "slow", "duplicate", "malformed"):
        assert faults.get(kind, 0) > 0, f"no {kind} fault met: {dict(faults)}"
    assert pospal_snapshot(warehouse_settings) == clean_pospal_snapshot

    rejects = read_rows(
        warehouse_settings,
        "SELECT endpoint, record_key, reason, raw_payload FROM meta.rejects "
        "WHERE vendor = 'pospal'",
    )
    expected = expected_rejects(pospal_world, simulator.faults)
    assert sorted(((e, k) for e, k, _, _ in rejects), key=str) == expected
    assert any(k is None for _, k in expected) and any(k for _, k in expected)
    tickets = {
        t["sn"]: t for d in DAYS for t in pospal_world.tickets(pospal_world.stores()[0].app_id, d)
    }
    for _, key, reason, payload in rejects:
        assert reason.startswith("ticket")  # names the bad field or the record
        if key is None:
            assert payload == "null"
            continue
        sent = EXACT.decode(payload)  # the record as the vendor sent it, corruption included
        original = tickets[key]
        assert sent["sn"] == key and sent != original
        assert {k for k in sent if sent[k] != original[k]} <= {
            "totalAmount",
            "datetime",
            "uid",
            "items",
        }


def test_a_wrong_app_key_fails_at_once_naming_the_account_not_the_key(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator = start_pospal()
    (good,) = pospal_accounts(pospal_world, simulator)
    wrong = PospalAccount(good.name, good.base_url, good.app_id, SecretStr(WRONG_KEY))
    budget = pospal_budget(tmp_path / "budget.sqlite")
    with caplog.at_level(logging.DEBUG), pytest.raises(LoadError) as caught:
        load_pospal(simulator, warehouse_settings, budget, accounts=[wrong])
    message = str(caught.value)
    assert "pospal account store-1" in message and "queryAllPayMethod" in message
    assert "code 1032" in message
    assert isinstance(caught.value.__cause__, VendorAuthError)
    assert simulator.stats.requests == {"ticketOpenApi/queryAllPayMethod": 1}  # no retry
    assert simulator.stats.errors == {1032: 1}
    assert budget.used(good.app_id) == 1
    signature = sign(WRONG_KEY, encode_body({"appId": good.app_id}))  # what was sent
    secrets = (WRONG_KEY, good.app_key.get_secret_value(), signature)
    for text in (message, repr(caught.value), str(caught.value.__cause__), caplog.text):
        assert not any(secret in text for secret in secrets)

    # With the pay methods fresh, the first call is the day's tickets: the error also names
    # the business date and its window.
    load_pospal(simulator, warehouse_settings, budget, DAYS[:1])
    before = simulator.stats.total_requests
    with pytest.raises(LoadError) as caught:
        load_pospal(simulator, warehouse_settings, budget, DAYS[1:], accounts=[wrong])
    message = str(caught.value)
    assert f"pospal account store-1, business date {DAYS[1]}" in message
    assert "window [2026-11-02 06:00:00, 2026-11-03 06:00:00]" in message
    assert "queryTicketPages" in message and WRONG_KEY not in message
    assert simulator.stats.total_requests == before + 1


def test_an_unknown_app_id_fails_at_once(
    start_pospal: StartPospal,
    pospal_world: PospalWorld,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> None:
    simulator = start_pospal()
    (good,) = pospal_accounts(pospal_world, simulator)
    stranger = PospalAccount("store-9", good.base_url, "F" * 32, good.app_key)
    with pytest.raises(LoadError, match=r"pospal account store-9, queryAllPayMethod") as caught:
        load_pospal(
            simulator,
            warehouse_settings,
            pospal_budget(tmp_path / "budget.sqlite"),
            accounts=[stranger],
        )
    assert "code 1034" in str(caught.value)
    assert good.app_key.get_secret_value() not in str(caught.value)
    assert simulator.stats.requests == {"ticketOpenApi/queryAllPayMethod": 1}
    assert simulator.stats.errors == {1034: 1}
    assert read_rows(warehouse_settings, "SELECT count(*) FROM pospal.tickets") == [(0,)]
