"""Replay with stacked units (several shop-days per transaction) against a load through the
simulator: the same warehouse, one log row per unit, and a replay killed inside a stack leaves
every shop-day whole or absent, then finishes on a re-run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from etl.chaos.hooks import KILL_AT_ENV
from etl.config import WarehouseSettings
from etl.flatten.qianhub import BATCH_ENTITIES
from etl.pipeline.qianhub import landed_shops, replay_days, replay_shops
from etl.raw import RawStore
from etl.simulator import DemoKeys, QianhubWorld
from etl.warehouse import Warehouse, lake
from etl.warehouse.lake import Partition
from etl.warehouse.lake_check import lake_differences
from etl.warehouse.store import LAKE_THREADS
from tests.conftest import StartQianhub, qianhub_settings_for
from tests.pipeline.test_qianhub_pipeline import DAY, load_days, snapshot

STACK_RECORDS = 150  # each shop-day of the test world holds more: stacks of two units
ROOT = Path(__file__).resolve().parents[2]


def replay(home: Path, *, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_WAREHOUSE_")}
    env["PYTHONPATH"] = str(ROOT)
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.pipeline.replay_victim",
            str(home),
            DAY.isoformat(),
            str(STACK_RECORDS),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"qianhub.{name}"
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'qianhub' "
            "AND table_name <> 'shops' ORDER BY 1"
        ).fetchall()
    ]


def shop_rows(path: Path, shop_id: int) -> dict[str, list[tuple[object, ...]]]:
    """Every row of one shop in every QianHub table but shops, lineage left out."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(
                f"SELECT * EXCLUDE (load_id, loaded_at) FROM {table} WHERE shop_id = ? "
                "ORDER BY ALL",
                [shop_id],
            ).fetchall()
            for table in tables(con)
        }


@pytest.fixture
def home(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    warehouse_settings: WarehouseSettings,
    tmp_path: Path,
) -> WarehouseSettings:
    """A clean load of DAY in ``warehouse_settings``, and a second home holding only a copy
    of its raw landing, to replay."""
    load_days(qianhub_settings_for(start_qianhub(), demo_keys), warehouse_settings, [DAY])
    home = WarehouseSettings(home=tmp_path / "replayed", reader_copy=False)
    shutil.copytree(warehouse_settings.raw_dir, home.raw_dir)
    return home


def test_stacked_replay_equals_the_load_with_a_log_row_per_unit(
    home: WarehouseSettings, warehouse_settings: WarehouseSettings
) -> None:
    done = replay(home.home)
    assert done.returncode == 0, done.stderr
    assert snapshot(home) == snapshot(warehouse_settings)
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        log = con.execute(
            "SELECT unit, status, source, started_at FROM meta.loads "
            "WHERE endpoint = 'batch-query' ORDER BY unit"
        ).fetchall()
        units = con.execute(
            "SELECT DISTINCT 'shop_id=' || shop_id FROM qianhub.bills ORDER BY 1"
        ).fetchall()
    assert [(unit, status, source) for unit, status, source, _ in log] == [
        (unit, "committed", "replay") for (unit,) in units
    ]
    stacks = {started for *_, started in log}
    assert 1 < len(stacks) < len(log)  # units were loaded together, in more than one stack


def test_a_replay_killed_inside_a_stack_leaves_whole_shop_days_and_finishes_on_a_rerun(
    home: WarehouseSettings, warehouse_settings: WarehouseSettings, e2e_world: QianhubWorld
) -> None:
    # The second entity of the second stack: the first stack is committed, the second merged
    # its bills and was killed before its commit.
    killed = replay(home.home, kill_at=f"upsert:{len(BATCH_ENTITIES) + 2}")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with duckdb.connect(str(home.warehouse_path)) as con:  # opening recovers from the kill
        committed = [
            int(unit.split("=")[1])
            for (unit,) in con.execute(
                "SELECT unit FROM meta.loads WHERE endpoint = 'batch-query' "
                "AND status = 'committed'"
            ).fetchall()
        ]
    shops = sorted(int(s["shop_id"]) for s in e2e_world.shops())
    assert 0 < len(committed) < len(shops)
    assert sorted(f"replayed {s}" for s in committed) == sorted(killed.stdout.split("\n")[:-1])
    for shop in shops:
        rows = shop_rows(home.warehouse_path, shop)
        if shop in committed:
            assert rows == shop_rows(warehouse_settings.warehouse_path, shop), shop
        else:
            assert all(not r for r in rows.values()), shop  # absent: nothing half-written
    again = replay(home.home)
    assert again.returncode == 0, again.stderr
    assert snapshot(home) == snapshot(warehouse_settings)
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        for table in tables(con):
            assert lake_differences(con, home.lake_dir, table, "business_date") == 0, table


def test_a_replay_killed_while_renaming_its_new_lake_files_converges_at_the_next_open(
    home: WarehouseSettings,
) -> None:
    """The new partitions' files are written from the loads and renamed into place when the
    replay ends (etl.warehouse.lake_append): killed between two renames, the marks are still
    there, and the next open rewrites what they name from DuckDB."""
    # parquet:1 is the shops file, rewritten after its own load; then the replay's renames.
    killed = replay(home.home, kill_at="parquet:4")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        ((marked,),) = con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall()
        behind = sum(
            lake_differences(con, home.lake_dir, table, "business_date") for table in tables(con)
        )
    assert marked > 0
    assert behind > 0  # renamed but a few: the rest of the lake is missing
    # Every other new file is written whole, waiting for its rename (a rewrite from DuckDB
    # has at most one temp file per lake thread).
    assert len(list(home.lake_dir.rglob(".*.tmp"))) > LAKE_THREADS
    with Warehouse.open(home) as wh:  # the open removes the temp files and syncs the marks
        for table in tables(wh.con):
            assert lake_differences(wh.con, wh.lake_dir, table, "business_date") == 0, table
        assert wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall() == [(0,)]
    assert not list(home.lake_dir.rglob(".*.tmp"))


def test_a_replay_writes_its_new_lake_partitions_from_its_loads(
    home: WarehouseSettings, warehouse_settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an empty warehouse every partition is new: none is read back from DuckDB, and the
    lake still holds exactly what DuckDB holds (re-checkouts in the stacks included)."""
    rewritten: list[str] = []
    real = lake.rewrite_partition

    def spy(con: duckdb.DuckDBPyConnection, lake_dir: Path, part: Partition, files: Any) -> None:
        rewritten.append(part[0])
        real(con, lake_dir, part, files)

    monkeypatch.setattr(lake, "rewrite_partition", spy)
    raw = RawStore(home.raw_dir)
    with Warehouse.open(home) as wh:
        replay_shops(wh, raw)
        units = [(DAY, shop) for shop in landed_shops(raw, DAY)]
        loaded = list(replay_days(wh, raw, units, settings=home, stack_records=STACK_RECORDS))
        assert len(loaded) == len(units) > 2
        assert rewritten == ["qianhub.shops"]  # loaded alone, before the replay
        for table in tables(wh.con):
            assert lake_differences(wh.con, wh.lake_dir, table, "business_date") == 0, table
        assert wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall() == [(0,)]
    assert snapshot(home) == snapshot(warehouse_settings)
