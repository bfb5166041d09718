"""New lake partitions written from the rows a backfill inserts (:mod:`etl.warehouse.lake_append`):
equal to DuckDB, and every partition the appender cannot vouch for (held before, rows replaced,
a failed transaction, a type or a count that does not match, touched out of order) left to the
rewrite from DuckDB instead."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl.batch import FlatBatch
from etl.config import WarehouseSettings
from etl.warehouse import LoadUnit, Warehouse, lake, lake_append, lake_files, lake_follow, store
from etl.warehouse.lake import Partition
from etl.warehouse.lake_check import lake_differences
from tests.warehouse import test_lake_split as split
from tests.warehouse.test_upsert import D1, D2, SPEC, _create, batch

D3 = dt.date(2026, 11, 3)
TABLES = ("t.parent", "t.child")
Files = tuple[str | None, set[str | None]]


@pytest.fixture
def rewritten(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every partition rewritten from DuckDB, as ``(table, partition value)``."""
    seen: list[tuple[str, str]] = []
    real = lake.rewrite_partition

    def spy(con: object, lake_dir: Path, part: Partition, files: Files) -> None:
        seen.append((part[0], part[2]))
        real(con, lake_dir, part, files)  # type: ignore[arg-type]

    monkeypatch.setattr(lake, "rewrite_partition", spy)
    monkeypatch.setattr(lake_follow, "rewrite_partition", spy)
    return seen


def _load(wh: Warehouse, name: str, flat: FlatBatch, day: dt.date = D1) -> None:
    wh.load(LoadUnit("test", "ep", name, day), flat, [SPEC])


def _equal_everywhere(wh: Warehouse, tables: tuple[str, ...] = TABLES) -> None:
    for table in tables:
        assert lake_differences(wh.con, wh.lake_dir, table, "business_date") == 0, table
    assert wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall() == [(0,)]


def _file(wh: Warehouse, table: str, day: dt.date) -> Path:
    return lake_files.partition_file(wh.lake_dir, table, "business_date", day.isoformat())


def both(day: dt.date) -> set[tuple[str, str]]:
    return {(table, day.isoformat()) for table in TABLES}


def test_new_partitions_are_written_from_the_loads_not_read_back(
    tmp_path: Path, rewritten: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="etl.warehouse.store")
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(append=True):
            _load(
                wh, "a", batch((1, D1, 0, "10:00", "1.00", ["x"]), (2, D1, 0, "11:00", "2.00", []))
            )
            _load(wh, "b", batch((3, D1, 0, "12:00", "3.00", ["y", "z"])))
            _load(wh, "c", batch((4, D2, 0, "10:00", "4.00", ["w"])), D2)
            assert not _file(wh, "t.parent", D1).exists()  # nothing published before the end
        _equal_everywhere(wh)
        assert rewritten == []
        parent = pq.read_table(_file(wh, "t.parent", D1))
        assert sorted(parent.column("id").to_pylist()) == [1, 2, 3]
        assert parent.schema.names == ["id", "v", "ts", "amount", "load_id", "loaded_at"]
        assert not list(wh.lake_dir.rglob("*.tmp"))
    assert "lake: 4 partitions written from the loads" in caplog.text


@pytest.mark.parametrize("follow", [False, True])
def test_a_partition_held_before_the_block_is_rewritten_from_duckdb(
    tmp_path: Path, rewritten: list[tuple[str, str]], follow: bool
) -> None:
    """Once each, by the final sync or, with a follower beside the appender, by the
    follower; the new dates come from the loads either way."""
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        _load(wh, "before", batch((1, D1, 0, "10:00", "1.00", ["x"])))
        rewritten.clear()
        with wh.lake_deferred(append=True, follow=follow):
            _load(wh, "a", batch((2, D1, 0, "11:00", "2.00", ["y"])))
            _load(wh, "b", batch((3, D2, 0, "10:00", "3.00", [])), D2)
            _load(wh, "c", batch((4, D3, 0, "10:00", "4.00", [])), D3)
        _equal_everywhere(wh)
        assert sorted(rewritten) == sorted(both(D1))
        assert pq.read_table(_file(wh, "t.parent", D1)).num_rows == 2


def test_a_recheckout_moving_a_bill_loaded_earlier_hands_its_partition_to_the_rewrite(
    tmp_path: Path, rewritten: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(append=True):
            _load(wh, "a", batch((1, D1, 0, "10:00", "1.00", ["x"])))
            _load(wh, "b", batch((1, D2, 1, "10:05", "1.50", ["x", "more"])), D2)
        _equal_everywhere(wh)
        assert set(rewritten) == both(D1)  # D1 lost its only bill: no file, no folder left
        assert "DuckDB holds" not in caplog.text
        assert not _file(wh, "t.parent", D1).parent.exists()
        assert pq.read_table(_file(wh, "t.child", D2)).num_rows == 2


def test_a_transaction_that_does_not_commit_hands_what_it_touched_to_the_rewrite(
    tmp_path: Path,
    rewritten: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rows are appended while the transaction is still open; the rollback hands their
    partition over at once (not only when the count check at the end finds it long)."""

    def fail(label: str) -> None:
        if label == "upsert":
            raise RuntimeError("merge failed")

    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(append=True):
            _load(wh, "a", batch((1, D1, 0, "10:00", "1.00", ["x"])))
            with monkeypatch.context() as patched:
                patched.setattr(store, "kill_point", fail)
                with pytest.raises(Exception, match="merge failed"):
                    _load(wh, "b", batch((2, D1, 0, "11:00", "2.00", ["y"])))
            _load(wh, "c", batch((3, D2, 0, "10:00", "3.00", [])), D2)
        _equal_everywhere(wh)
        assert set(rewritten) == both(D1)
        assert sorted(pq.read_table(_file(wh, "t.parent", D1)).column("id").to_pylist()) == [1]
    assert "DuckDB holds" not in caplog.text


def test_a_column_staged_with_another_type_than_held_is_left_to_the_rewrite(
    tmp_path: Path, rewritten: list[tuple[str, str]]
) -> None:
    """t.parent.v is INTEGER; staged as int64 DuckDB casts it on INSERT, and the appender
    does not guess how: the partition is read back instead."""
    flat = batch((1, D1, 0, "10:00", "1.00", ["x"]))
    parent = flat.tables["t.parent"]
    index = parent.schema.get_field_index("v")
    flat.tables["t.parent"] = parent.set_column(index, "v", parent.column("v").cast(pa.int64()))
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(append=True):
            _load(wh, "a", flat)
        _equal_everywhere(wh)
        assert rewritten == [("t.parent", D1.isoformat())]  # the child's types matched


def test_a_file_short_of_the_rows_duckdb_holds_is_not_published(
    tmp_path: Path,
    rewritten: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real = lake_files.AtomicFile.write_table

    def drop_last(file: lake_files.AtomicFile, table: pa.Table) -> None:
        real(file, table.slice(0, table.num_rows - 1) if "parent" in str(file.target) else table)

    monkeypatch.setattr(lake_files.AtomicFile, "write_table", drop_last)
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(append=True):
            _load(
                wh, "a", batch((1, D1, 0, "10:00", "1.00", ["x"]), (2, D1, 0, "11:00", "2.00", []))
            )
        _equal_everywhere(wh)
        assert rewritten == [("t.parent", D1.isoformat())]
    assert "{'': 1} rows written, DuckDB holds {'': 2}" in caplog.text


def test_a_partition_touched_again_after_the_loads_moved_past_it_goes_to_the_rewrite(
    tmp_path: Path, rewritten: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(append=True):
            _load(wh, "a", batch((1, D1, 0, "10:00", "1.00", ["x"])))
            _load(wh, "b", batch((2, D2, 0, "10:00", "2.00", ["y"])), D2)  # D1 sealed
            _load(wh, "c", batch((3, D3, 0, "10:00", "3.00", [])), D3)
            _load(wh, "late", batch((4, D1, 0, "23:00", "4.00", ["late"])))
        _equal_everywhere(wh)
        assert set(rewritten) == both(D1)
    assert "DuckDB holds" not in caplog.text  # handed over when touched, not found short


def test_a_split_table_gets_one_file_per_account_from_the_loads(
    tmp_path: Path, rewritten: list[tuple[str, str]]
) -> None:
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        split._create(wh)
        with wh.lake_deferred(append=True):
            wh.load(
                LoadUnit("t", "ep", "a", D1),
                split.batch("a", (1, "1.00"), (2, "2.00")),
                [split.SPLIT],
            )
            wh.load(LoadUnit("t", "ep", "b", D1), split.batch("b", (3, "3.00")), [split.SPLIT])
        _equal_everywhere(wh, split.TABLES)
        assert rewritten == []
        folder = lake_files.partition_folder(wh.lake_dir, "t.sale", "business_date", D1.isoformat())
        assert sorted(p.name for p in folder.iterdir()) == [
            "account-a.parquet",
            "account-b.parquet",
        ]
        assert pq.read_table(folder / "account-a.parquet").num_rows == 2


def test_the_appender_is_off_without_append(
    tmp_path: Path, rewritten: list[tuple[str, str]]
) -> None:
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred():
            _load(wh, "a", batch((1, D1, 0, "10:00", "1.00", ["x"])))
        _equal_everywhere(wh)
        assert set(rewritten) == both(D1)
    assert lake_append.MOST_OPEN > 0


@pytest.mark.parametrize(("env", "append"), [("true", True), ("false", False), (None, True)])
def test_a_replay_appends_where_the_setting_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, append: bool
) -> None:
    """On by default: a replay's new partitions come from its loads."""
    from etl.pipeline.qianhub import replay_days
    from etl.raw import RawStore

    if env is None:
        monkeypatch.delenv("POS_WAREHOUSE_REPLAY_LAKE_APPEND", raising=False)
    else:
        monkeypatch.setenv("POS_WAREHOUSE_REPLAY_LAKE_APPEND", env)
    settings = WarehouseSettings(home=tmp_path)
    assert settings.replay_lake_append is append
    seen: list[bool] = []
    real = Warehouse.lake_deferred

    def recorded(self: Warehouse, *, follow: bool = False, append: bool = False) -> Any:
        context = real(self, follow=follow, append=append)
        seen.append(append)
        return context

    monkeypatch.setattr(Warehouse, "lake_deferred", recorded)
    with Warehouse.open(settings) as wh:
        out = list(replay_days(wh, RawStore(tmp_path / "raw"), [(D1, 10)], settings=settings))
    assert out == [(D1, 10, None)]
    assert seen == [append]
