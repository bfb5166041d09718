"""Loading several units in one transaction (``Warehouse.load_many``) ends exactly as loading
them one by one: same rows, same lineage, same lake; and a stack that fails loses nothing."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from etl.batch import REC, FlatBatch, stack
from etl.config import WarehouseSettings
from etl.errors import LoadError
from etl.pipeline.qianhub import _load_stack
from etl.warehouse import LoadUnit, Warehouse, upsert
from etl.warehouse.lake_check import lake_differences
from etl.warehouse.lake_follow import LakeFollower
from tests.warehouse.test_upsert import BIG, D1, D2, SPEC, _create, batch

DATES = (D1, D2, D2 + dt.timedelta(days=1))
IDS = (1, 2, 3, BIG)
CONTENT = {
    "t.parent": "SELECT * EXCLUDE (loaded_at) FROM t.parent ORDER BY ALL",
    "t.child": "SELECT * EXCLUDE (loaded_at) FROM t.child ORDER BY ALL",
    "meta.lake_dirty": "SELECT * FROM meta.lake_dirty ORDER BY ALL",
}


def random_unit(rng: random.Random, name: str) -> tuple[LoadUnit, FlatBatch]:
    """A unit of 0-5 bills from a small id pool: duplicates in the unit, across units, older
    and newer versions, bills moving between days, equal versions with other contents."""
    bills = [
        (
            rng.choice(IDS),
            rng.choice(DATES),
            rng.randint(0, 2),
            rng.choice(("10:00", "11:00")),
            f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}",
            [f"{name}-{i}" for i in range(rng.randint(0, 3))],
        )
        for _ in range(rng.randint(0, 5))
    ]
    return LoadUnit("test", "ep", name, D1, load_id=name), batch(*bills)


def content(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    return {table: wh.con.execute(sql).fetchall() for table, sql in CONTENT.items()}


def logged(wh: Warehouse) -> list[tuple[object, ...]]:
    return wh.con.execute(
        "SELECT unit, status, records, rejects FROM meta.loads ORDER BY unit"
    ).fetchall()


@pytest.fixture
def two(tmp_path: Path) -> tuple[WarehouseSettings, WarehouseSettings]:
    return WarehouseSettings(home=tmp_path / "one"), WarehouseSettings(home=tmp_path / "stack")


def test_stacked_units_end_as_units_loaded_one_by_one(
    two: tuple[WarehouseSettings, WarehouseSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20261123)
    # Both ways of merging a stack are taken: every staged row written as staged, and some
    # rows losing (the INSERT reading the staged rows through their mask).
    every_row_wins: list[bool] = []
    decide = upsert._winning_masks

    def recorded(*args: Any) -> dict[str, pa.ChunkedArray | None]:
        masks = decide(*args)
        every_row_wins.append(all(mask is None for mask in masks.values()))
        return masks

    monkeypatch.setattr(upsert, "_winning_masks", recorded)
    with Warehouse.open(two[0]) as one, Warehouse.open(two[1]) as stacked:
        for wh in (one, stacked):
            _create(wh)
        for trial in range(40):
            units = [random_unit(rng, f"u{trial:02d}-{i}") for i in range(rng.randint(1, 6))]
            for unit, flat in units:
                one.load(unit, flat, [SPEC])
            results = stacked.load_many(units, [SPEC])
            assert [r.load_id for r in results] == [unit.load_id for unit, _ in units]
            assert [r.records for r in results] == [flat.records for _, flat in units]
            assert content(stacked) == content(one), f"trial {trial}"
        assert logged(stacked) == logged(one)
        for wh in (one, stacked):
            for table in ("t.parent", "t.child"):
                assert lake_differences(wh.con, wh.lake_dir, table, "business_date") == 0
        assert set(every_row_wins) == {True, False}
        # Not vacuous: bills were replaced, moved and kept their greater version.
        (parents,) = one.con.execute("SELECT count(*) FROM t.parent").fetchall()[0]
        assert parents == len(IDS)


def test_rows_and_partitions_are_reported_per_unit(settings: WarehouseSettings) -> None:
    first = LoadUnit("test", "ep", "a", D1, load_id="a")
    second = LoadUnit("test", "ep", "b", D1, load_id="b")
    with Warehouse.open(settings) as wh:
        _create(wh)
        wh.load(first, batch((1, D1, 0, "10:00", "1.00", ["x"])), [SPEC])
        # b moves bill 1 to D2 (replacing a's row) and adds bill 2 on D2; c adds bill 3 on D1.
        third = LoadUnit("test", "ep", "c", D1, load_id="c")
        results = wh.load_many(
            [
                (
                    second,
                    batch((1, D2, 1, "10:00", "2.00", ["y", "z"]), (2, D2, 0, "11:00", "3.00", [])),
                ),
                (third, batch((3, D1, 0, "12:00", "4.00", ["w"]))),
            ],
            [SPEC],
        )
        rows = wh.con.execute(
            "SELECT unit, rows_written::VARCHAR, partitions_touched FROM meta.loads "
            "WHERE unit <> 'a' ORDER BY unit"
        ).fetchall()
        lineage = wh.con.execute("SELECT id, load_id FROM t.parent ORDER BY id").fetchall()
    assert [(r.rows, sorted(r.partitions)) for r in results] == [
        ({"t.parent": 2, "t.child": 2}, ["2026-11-01", "2026-11-02"]),
        ({"t.parent": 1, "t.child": 1}, ["2026-11-01"]),
    ]
    assert rows == [
        ("b", '{"t.child": 2, "t.parent": 2}', ["2026-11-01", "2026-11-02"]),
        ("c", '{"t.child": 1, "t.parent": 1}', ["2026-11-01"]),
    ]
    assert lineage == [(1, "b"), (2, "b"), (3, "c")]


@pytest.fixture
def settings(tmp_path: Path) -> WarehouseSettings:
    return WarehouseSettings(home=tmp_path / "home")


def broken() -> FlatBatch:
    """A batch the warehouse refuses: a column the table does not have."""
    flat = batch((9, D1, 0, "10:00", "9.00", []))
    parent = flat.tables["t.parent"]
    flat.tables["t.parent"] = parent.append_column("no_such_column", pa.array([1]))
    return flat


def test_a_failed_stack_is_rolled_back_and_logs_nothing(settings: WarehouseSettings) -> None:
    good = (
        LoadUnit("test", "ep", "good", D1, load_id="good"),
        batch((1, D1, 0, "10:00", "1.00", ["x"])),
    )
    bad = (LoadUnit("test", "ep", "bad", D1, load_id="bad"), broken())
    with Warehouse.open(settings) as wh:
        _create(wh)
        with pytest.raises(LoadError, match=r"good.*bad"):
            wh.load_many([good, bad], [SPEC])
        assert wh.con.execute("SELECT count(*) FROM t.parent").fetchall() == [(0,)]
        assert logged(wh) == []  # the caller loads them one by one to find the bad one


def test_replay_falls_back_to_one_unit_at_a_time(settings: WarehouseSettings) -> None:
    """The units before the bad one land and are reported; the bad one fails alone, logged."""
    day = dt.date(2026, 11, 1)
    stack = [
        (
            day,
            1,
            (
                LoadUnit("test", "ep", "s1", D1, load_id="s1"),
                batch((1, D1, 0, "10:00", "1.00", ["x"])),
            ),
        ),
        (
            day,
            2,
            (
                LoadUnit("test", "ep", "s2", D1, load_id="s2"),
                batch((2, D1, 0, "10:00", "2.00", [])),
            ),
        ),
        (day, 3, (LoadUnit("test", "ep", "s3", D1, load_id="s3"), broken())),
        (
            day,
            4,
            (
                LoadUnit("test", "ep", "s4", D1, load_id="s4"),
                batch((4, D1, 0, "10:00", "4.00", [])),
            ),
        ),
    ]
    yielded = []
    with Warehouse.open(settings) as wh:
        _create(wh)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("etl.pipeline.qianhub.BATCH_ENTITIES", [SPEC])
            with pytest.raises(LoadError, match="s3"):
                for _, shop, result in _load_stack(wh, stack):
                    yielded.append((shop, result.load_id))
        assert stack == []  # taken
        ids = wh.con.execute("SELECT id FROM t.parent ORDER BY id").fetchall()
        log = wh.con.execute("SELECT unit, status FROM meta.loads ORDER BY unit").fetchall()
    assert yielded == [(1, "s1"), (2, "s2")]
    assert ids == [(1,), (2,)]
    assert log == [("s1", "committed"), ("s2", "committed"), ("s3", "failed")]


def test_lake_of_a_stack_equals_duckdb(settings: WarehouseSettings) -> None:
    units = [random_unit(random.Random(seed), f"l{seed}") for seed in range(8)]
    with Warehouse.open(settings) as wh:
        _create(wh)
        wh.load_many(units, [SPEC])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for table in ("t.parent", "t.child"):
            assert lake_differences(con, settings.lake_dir, table, "business_date") == 0


def test_what_a_stack_writes_is_counted_alike_in_arrow_and_in_duckdb(
    settings: WarehouseSettings,
) -> None:
    """Each unit's rows per lake file are counted from the staged Arrow table, through the
    winners' mask when some rows lose; DuckDB counting the same rows agrees."""
    units = [
        ("a", batch((1, D1, 0, "10:00", "1.00", ["x"]), (2, D2, 0, "11:00", "2.00", ["y", "z"]))),
        ("b", batch((BIG, D2, 0, "12:00", "3.00", []), (3, D1, 1, "12:00", "4.00", ["w"]))),
    ]
    stacked = stack([(name, flat) for name, flat in units], SPEC.tables)
    with Warehouse.open(settings) as wh:
        for table, rows in stacked.items():
            # every row, then every other row (a mask as a stack with losers has one)
            wins = pa.chunked_array([[i % 2 == 0 for i in range(rows.num_rows)]])
            for mask in (None, wins):
                in_arrow = sorted(upsert._staged_by_load(SPEC, upsert.Inserted(rows, mask)))
                kept = rows if mask is None else rows.filter(mask)
                wh.con.register("staged", kept)
                in_duckdb = sorted(
                    upsert._by_load(
                        wh.con,
                        "SELECT load_id, business_date, NULL, count(*) FROM staged GROUP BY ALL",
                    )
                )
                wh.con.unregister("staged")
                assert in_arrow == in_duckdb, (table, mask)
                assert sum(n for _, _, n in in_arrow) == kept.num_rows
    parents = upsert.Inserted(stacked["t.parent"])
    assert sorted(upsert._staged_by_load(SPEC, parents)) == [
        ("a", ("2026-11-01", ""), 1),
        ("a", ("2026-11-02", ""), 1),
        ("b", ("2026-11-01", ""), 1),
        ("b", ("2026-11-02", ""), 1),
    ]
    odd = pa.chunked_array([[False, True, True, False]])
    assert sorted(upsert._staged_by_load(SPEC, upsert.Inserted(stacked["t.parent"], odd))) == [
        ("a", ("2026-11-02", ""), 1),
        ("b", ("2026-11-02", ""), 1),
    ]


def test_a_child_row_without_its_parent_in_the_stack_is_not_written(
    settings: WarehouseSettings,
) -> None:
    """Every parent row wins, but a child row's record has no parent row: the stack takes the
    join path, so only rows of winning records are written, as before."""
    flat = batch((1, D1, 0, "10:00", "1.00", ["x"]))
    child = flat.tables["t.child"]
    stray = pa.table(
        {
            "id": pa.array([7], pa.int64()),
            "line_no": pa.array([0], pa.int32()),
            "business_date": pa.array([D1], pa.date32()),
            "note": pa.array(["orphan"]),
            REC: pa.array([5], pa.int64()),
        }
    ).cast(child.schema)
    flat.tables["t.child"] = pa.concat_tables([child, stray])
    other = batch((2, D1, 0, "10:00", "2.00", []))
    with Warehouse.open(settings) as wh:
        _create(wh)
        wh.load_many(
            [
                (LoadUnit("test", "ep", "a", D1, load_id="a"), flat),
                (LoadUnit("test", "ep", "b", D1, load_id="b"), other),
            ],
            [SPEC],
        )
        notes = wh.con.execute("SELECT note FROM t.child ORDER BY ALL").fetchall()
    assert notes == [("x",)]


OUT_OF_MEMORY = (
    "TransactionContext Error: Failed to commit: failed to pin block of size 256.0 KiB "
    "(183.2 MiB/183.1 MiB used)"
)


class CommitFails:
    """The warehouse's connection, whose next ``failures`` COMMITs fail as DuckDB's does
    out of memory: the transaction rolled back by itself, a TransactionException."""

    def __init__(self, con: duckdb.DuckDBPyConnection, failures: int = 1) -> None:
        self.con, self.failures = con, failures

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        if sql == "COMMIT" and self.failures:
            self.failures -= 1
            self.con.execute("ROLLBACK")
            raise duckdb.TransactionException(OUT_OF_MEMORY)
        return self.con.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def test_a_unit_whose_commit_fails_raises_a_load_error_and_is_logged(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = LoadUnit("test", "ep", "one", D1, load_id="one")
    with Warehouse.open(settings) as wh:
        _create(wh)
        monkeypatch.setattr(wh, "con", CommitFails(wh.con))
        with pytest.raises(LoadError, match=r"one.*commit failed, rolled back.*pin block"):
            wh.load(unit, batch((1, D1, 0, "10:00", "1.00", ["x"])), [SPEC])
        monkeypatch.undo()
        assert wh.con.execute("SELECT count(*) FROM t.parent").fetchall() == [(0,)]
        assert logged(wh) == [("one", "failed", 0, 0)]


def test_a_stack_whose_commit_fails_lands_unit_by_unit_once_the_follower_settled(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Out of DuckDB memory at COMMIT (the lake follower's rewrite beside the merge, as a
    1M-bill replay with one flatten worker met it): the follower's rewrites are waited for
    and the units land one by one; nothing lost, the lake still equal."""
    settled: list[int] = []
    real_settle = LakeFollower.settle

    def settle(follower: LakeFollower) -> None:
        settled.append(len(follower._pending))
        real_settle(follower)

    units = [
        (LoadUnit("test", "ep", name, D2, load_id=name), batch((n, D2, 0, "10:00", "1.00", [])))
        for n, name in ((2, "b"), (3, "c"))
    ]
    with Warehouse.open(settings) as wh:
        _create(wh)
        with wh.lake_deferred(follow=True):
            wh.load(
                LoadUnit("test", "ep", "a", D1), batch((1, D1, 0, "10:00", "1.00", ["x"])), [SPEC]
            )
            monkeypatch.setattr(LakeFollower, "settle", settle)
            monkeypatch.setattr(wh, "con", CommitFails(wh.con))
            results = list(wh.load_stacked(units, [SPEC]))
            monkeypatch.undo()
        assert [r.load_id for r in results] == ["b", "c"]
        assert len(settled) == 1  # waited for once, before the fallback
        assert logged(wh)[1:] == [("b", "committed", 1, 0), ("c", "committed", 1, 0)]
        for table in ("t.parent", "t.child"):
            assert lake_differences(wh.con, wh.lake_dir, table, "business_date") == 0
    assert "units loaded together failed, loading them one by one" in caplog.text
    assert "pin block" in caplog.text
