"""The published read copy: what a copy after CHECKPOINT holds (checked against the installed
DuckDB), when the warehouse publishes, and how analysts open it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from dagster_project.cli import app
from etl.batch import REC, EntitySpec, FlatBatch
from etl.config import WarehouseSettings
from etl.warehouse import LoadUnit, Warehouse
from etl.warehouse.reader import NoReadCopyError, open_for_reading, open_reader
from etl.warehouse.replica import needs_publish, publish, remove_stale_copies

ITEMS = EntitySpec("t.items", key=("id",), version=("v",))
DAY = dt.date(2026, 11, 3)
BIG = 9_223_372_036_854_775_001


def create_items(wh: Warehouse) -> None:
    wh.con.execute("CREATE SCHEMA IF NOT EXISTS t")
    wh.con.execute(
        "CREATE TABLE IF NOT EXISTS t.items (id BIGINT, business_date DATE, v INTEGER, "
        "note VARCHAR, load_id VARCHAR, loaded_at TIMESTAMPTZ)"
    )
    wh.con.execute("COMMENT ON TABLE t.items IS 'One row per test item.'")


def items(*ids: int) -> FlatBatch:
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "business_date": pa.array([DAY] * len(ids), pa.date32()),
            "v": pa.array([1] * len(ids), pa.int32()),
            "note": pa.array([f"item {i}" for i in ids], pa.string()),
            REC: pa.array(range(len(ids)), pa.int64()),
        }
    )
    return FlatBatch(tables={"t.items": table}, records=len(ids))


def load_items(wh: Warehouse, *ids: int) -> None:
    wh.load(LoadUnit("test", "items", f"ids={ids[0]}", DAY), items(*ids), [ITEMS])


def count(path: Path, sql: str = "SELECT count(*) FROM t.items") -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute(sql).fetchall()[0][0])


@pytest.fixture
def settings(tmp_path: Path) -> WarehouseSettings:
    """Publishing after every unit, so a test sees each unit in the copy at once."""
    return WarehouseSettings(home=tmp_path / "home", reader_publish_seconds=0)


OPEN_BOTH = """
import duckdb, sys
try:
    duckdb.connect(sys.argv[1], read_only=True)
    print("opened")
except duckdb.IOException as exc:
    print("locked" if "lock" in str(exc).lower() else exc)
if len(sys.argv) > 2:
    with duckdb.connect(sys.argv[2], read_only=True) as con:
        print(con.execute(sys.argv[3]).fetchall())
"""


def other_process(
    locked: Path, copy: Path | None = None, sql: str = "SELECT count(*), max(id), min(id) FROM t"
) -> list[str]:
    """What a separate process sees opening ``locked`` (and running ``sql`` on ``copy``)."""
    paths = [str(locked)] if copy is None else [str(locked), str(copy), sql]
    return subprocess.run(
        [sys.executable, "-c", OPEN_BOTH, *paths],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()


def test_copy_has_every_commit_and_the_writer_keeps_its_lock(tmp_path: Path) -> None:
    source, target = tmp_path / "w.duckdb", tmp_path / "w-read.duckdb"
    with duckdb.connect(str(source)) as con:
        con.execute("CREATE TABLE t (id BIGINT, note VARCHAR)")
        con.execute("INSERT INTO t VALUES (?, 'big id')", [BIG])
        # Large enough that DuckDB writes row groups straight to the file before COMMIT.
        con.execute("INSERT INTO t SELECT i, 'row ' || i FROM range(300000) r(i)")
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM t WHERE id < 1000")
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO t VALUES (-1, 'rolled back')")
        con.execute("ROLLBACK")
        result = publish(con, source, target)
        # Another process: the warehouse is still locked by our connection; the copy opens.
        seen = other_process(source, target)
        con.execute("INSERT INTO t VALUES (-2, 'after the publish')")  # the writer goes on
    assert seen == ["locked", f"[(299001, {BIG}, 1000)]"]
    assert result.path == target
    assert result.bytes == target.stat().st_size > 0
    assert count(target, "SELECT count(*) FROM t WHERE id < 0") == 0
    assert count(source, "SELECT count(*) FROM t WHERE id < 0") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-read.duckdb", "w.duckdb"]


def test_a_plain_file_copy_would_drop_the_writers_lock(tmp_path: Path) -> None:
    """Why :func:`publish` does not simply copy the file: DuckDB's lock is a POSIX fcntl lock,
    released when the process closes *any* descriptor of the file, the copy's included."""
    source = tmp_path / "w.duckdb"
    with duckdb.connect(str(source)) as con:
        con.execute("CREATE TABLE t (id BIGINT)")
        con.execute("CHECKPOINT")
        before = other_process(source)
        shutil.copyfile(source, tmp_path / "copy.duckdb")
        after = other_process(source)
    assert (before, after) == (["locked"], ["opened"])


def test_comments_and_views_survive_in_the_copy(settings: WarehouseSettings) -> None:
    catalog = (
        "SELECT 'table', schema_name, table_name, NULL, comment FROM duckdb_tables() "
        "UNION ALL SELECT 'column', schema_name, table_name, column_name, comment "
        "FROM duckdb_columns() "
        "UNION ALL SELECT 'view', schema_name, view_name, sql, comment FROM duckdb_views() "
        "WHERE NOT internal "
        "UNION ALL SELECT 'macro', schema_name, function_name, macro_definition, comment "
        "FROM duckdb_functions() WHERE NOT internal "
        "UNION ALL SELECT 'constraint', schema_name, table_name, constraint_text, NULL "
        "FROM duckdb_constraints() ORDER BY ALL"
    )
    with Warehouse.open(settings) as wh:
        create_items(wh)
        wh.con.execute("CREATE SCHEMA IF NOT EXISTS t_marts")
        wh.con.execute(
            "CREATE OR REPLACE VIEW t_marts.items_per_day AS "
            "SELECT business_date, count(*) AS items FROM t.items GROUP BY ALL"
        )
        wh.con.execute("COMMENT ON VIEW t_marts.items_per_day IS 'One row per business date.'")
        wh.con.execute("COMMENT ON COLUMN t_marts.items_per_day.items IS 'Items that day.'")
        wh.con.execute("CREATE OR REPLACE MACRO t_marts.cents(x) AS (x * 100)::BIGINT")
        load_items(wh, 1, 2, 3)
        original = wh.con.execute(catalog).fetchall()
    with duckdb.connect(str(settings.reader_path), read_only=True) as con:
        copied = con.execute(catalog).fetchall()
        per_day = con.execute(
            "SELECT business_date, items, t_marts.cents(items) FROM t_marts.items_per_day"
        ).fetchall()
        loads_comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'meta' "
            "AND table_name = 'loads'"
        ).fetchall()
    assert copied == original
    assert ("column", "t_marts", "items_per_day", "items", "Items that day.") in copied
    assert per_day == [(DAY, 3, 300)]
    assert loads_comment[0][0].startswith("Append-only log")  # the project's own DDL comments


def test_a_reader_keeps_its_copy_while_a_newer_one_is_published(
    settings: WarehouseSettings,
) -> None:
    with Warehouse.open(settings) as wh:
        create_items(wh)
        load_items(wh, 1)
        with duckdb.connect(str(settings.reader_path), read_only=True) as old:
            load_items(wh, 2, 3)  # published over the copy ``old`` has open
            seen_by_old = old.execute("SELECT count(*) FROM t.items").fetchall()
            # A new reader is another process: within one process, connections to the same
            # path share the database instance that is already open (the old copy).
            seen_by_new = other_process(
                settings.warehouse_path, settings.reader_path, "SELECT count(*) FROM t.items"
            )
    assert seen_by_old == [(1,)]
    assert seen_by_new == ["locked", "[(3,)]"]


def test_publish_interval_defers_to_close(settings: WarehouseSettings) -> None:
    settings = settings.model_copy(update={"reader_publish_seconds": 3600})
    with Warehouse.open(settings) as wh:
        create_items(wh)
    with Warehouse.open(settings) as wh:
        load_items(wh, 1)
        during = count(settings.reader_path)
    assert during == 0  # the table is there (published at open), the unit not yet
    assert count(settings.reader_path) == 1  # the final state, published at close


def test_open_publishes_only_a_missing_or_older_copy(settings: WarehouseSettings) -> None:
    assert needs_publish(settings.warehouse_path, settings.reader_path)
    with Warehouse.open(settings) as wh:
        assert settings.reader_path.is_file()  # published at open: a first-time analyst's copy
        create_items(wh)
        load_items(wh, 1)
    published = settings.reader_path.stat()
    assert not needs_publish(settings.warehouse_path, settings.reader_path)
    with Warehouse.open(settings):
        pass
    unchanged = settings.reader_path.stat()
    assert (unchanged.st_ino, unchanged.st_mtime_ns) == (published.st_ino, published.st_mtime_ns)
    settings.reader_path.unlink()
    with Warehouse.open(settings):
        assert count(settings.reader_path) == 1


def test_stale_temp_copies_are_removed_when_the_warehouse_opens(
    settings: WarehouseSettings,
) -> None:
    settings.home.mkdir(parents=True)
    stale = settings.home / ".warehouse-read.duckdb.0123abcd.tmp"
    stale.write_bytes(b"half a copy")
    stale_wal = settings.home / ".warehouse-read.duckdb.0123abcd.tmp.wal"
    stale_wal.write_bytes(b"its log")
    other = settings.home / ".keep.tmp"
    other.write_bytes(b"not ours")
    with Warehouse.open(settings):
        pass
    assert not stale.exists()
    assert not stale_wal.exists()
    assert other.exists()
    assert remove_stale_copies(settings.reader_path) == 0


def test_reader_copy_can_be_turned_off(settings: WarehouseSettings) -> None:
    settings = settings.model_copy(update={"reader_copy": False})
    with Warehouse.open(settings) as wh:
        create_items(wh)
        load_items(wh, 1)
    assert not settings.reader_path.exists()


def test_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: WarehouseSettings
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    defaults = WarehouseSettings.from_env(home=tmp_path)
    monkeypatch.setenv("POS_WAREHOUSE_READER_PUBLISH_SECONDS", "0")
    monkeypatch.setenv("POS_WAREHOUSE_READER_COPY", "false")
    changed = WarehouseSettings.from_env(home=tmp_path)
    assert (defaults.reader_publish_seconds, defaults.reader_copy) == (30.0, True)
    assert (changed.reader_publish_seconds, changed.reader_copy) == (0.0, False)
    assert settings.reader_path == settings.home / "warehouse-read.duckdb"


def test_open_reader_is_read_only_and_names_a_missing_copy(settings: WarehouseSettings) -> None:
    message = f"no read copy yet at {settings.reader_path}: run a load first"
    with pytest.raises(NoReadCopyError, match=re.escape(message)):
        open_reader(settings)
    with Warehouse.open(settings) as wh:
        create_items(wh)
        load_items(wh, BIG)
        con = open_reader(settings)  # while the load still holds the warehouse
    with con:
        assert con.execute("SELECT id FROM t.items").fetchall() == [(BIG,)]
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.execute("DELETE FROM t.items")


def test_cli_sql_prints_the_query_result_from_the_read_copy(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POS_WAREHOUSE_HOME", str(settings.home))
    runner = CliRunner()
    missing = runner.invoke(app, ["sql", "SELECT 1"])
    with Warehouse.open(settings) as wh:
        create_items(wh)
        load_items(wh, BIG, 7)
        shown = runner.invoke(app, ["sql", "SELECT id, note FROM t.items ORDER BY id"])
    broken = runner.invoke(app, ["sql", "SELECT nope FROM t.items"])
    assert missing.exit_code == 1
    assert "no read copy yet" in missing.output
    assert shown.exit_code == 0, shown.output
    assert shown.output.index("item 7") < shown.output.index(str(BIG))
    assert "2 rows" in shown.output
    assert broken.exit_code == 1
    assert "nope" in broken.output


def test_open_for_reading_prefers_the_read_copy(tmp_path: Path) -> None:
    settings = WarehouseSettings(home=tmp_path / "home")
    settings.home.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE TABLE t AS SELECT 'warehouse' AS source")
    with duckdb.connect(str(settings.reader_path)) as con:
        con.execute("CREATE TABLE t AS SELECT 'read copy' AS source")
    with open_for_reading(settings) as con:
        assert con.execute("SELECT source FROM t").fetchall() == [("read copy",)]
    off = WarehouseSettings(home=settings.home, reader_copy=False)
    with open_for_reading(off) as con:  # publishing off: a leftover copy may be stale
        assert con.execute("SELECT source FROM t").fetchall() == [("warehouse",)]
    settings.reader_path.unlink()
    with open_for_reading(settings) as con:
        assert con.execute("SELECT source FROM t").fetchall() == [("warehouse",)]
