"""The generic upsert and the lake, on a small made-up entity (independent of any vendor)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl.batch import REC, EntitySpec, FlatBatch, Reject
from etl.config import WarehouseSettings
from etl.errors import LoadError
from etl.warehouse import LoadUnit, Warehouse, fingerprints

SPEC = EntitySpec("t.parent", key=("id",), version=("v", "ts"), children=("t.child",))
BIG = 9_223_372_036_854_775_001  # > 2**53: must survive exactly
D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)


def _create(wh: Warehouse) -> None:
    wh.con.execute("CREATE SCHEMA IF NOT EXISTS t")
    wh.con.execute(
        "CREATE TABLE IF NOT EXISTS t.parent (id BIGINT, business_date DATE, v INTEGER, "
        "ts TIMESTAMP, amount DECIMAL(18,2), load_id VARCHAR, loaded_at TIMESTAMPTZ)"
    )
    wh.con.execute(
        "CREATE TABLE IF NOT EXISTS t.child (id BIGINT, line_no INTEGER, business_date DATE, "
        "note VARCHAR, load_id VARCHAR, loaded_at TIMESTAMPTZ)"
    )


def batch(*bills: tuple[int, dt.date, int, str, str, list[str]]) -> FlatBatch:
    """Each bill: (id, business_date, version, 'HH:MM' time, amount, child notes)."""
    parent: dict[str, list[object]] = {
        k: [] for k in ("id", "business_date", "v", "ts", "amount", REC)
    }
    child: dict[str, list[object]] = {
        k: [] for k in ("id", "line_no", "business_date", "note", REC)
    }
    for rec, (bill_id, day, version, at, amount, notes) in enumerate(bills):
        hour, minute = (int(x) for x in at.split(":"))
        for name, value in zip(
            ("id", "business_date", "v", "ts", "amount", REC),
            (
                bill_id,
                day,
                version,
                dt.datetime.combine(day, dt.time(hour, minute)),
                Decimal(amount),
                rec,
            ),
            strict=True,
        ):
            parent[name].append(value)
        for line_no, note in enumerate(notes):
            for name, value in zip(
                ("id", "line_no", "business_date", "note", REC),
                (bill_id, line_no, day, note, rec),
                strict=True,
            ):
                child[name].append(value)
    p_schema = pa.schema(
        [
            ("id", pa.int64()),
            ("business_date", pa.date32()),
            ("v", pa.int32()),
            ("ts", pa.timestamp("us")),
            ("amount", pa.decimal128(18, 2)),
            (REC, pa.int64()),
        ]
    )
    c_schema = pa.schema(
        [
            ("id", pa.int64()),
            ("line_no", pa.int32()),
            ("business_date", pa.date32()),
            ("note", pa.string()),
            (REC, pa.int64()),
        ]
    )
    return FlatBatch(
        tables={
            "t.parent": pa.table(parent, schema=p_schema),
            "t.child": pa.table(child, schema=c_schema),
        },
        records=len(bills),
    )


@pytest.fixture
def settings(tmp_path: Path) -> WarehouseSettings:
    return WarehouseSettings(home=tmp_path / "home")


def load(settings: WarehouseSettings, flat: FlatBatch) -> None:
    with Warehouse.open(settings) as wh:
        _create(wh)
        wh.load(LoadUnit("test", "ep", "u", D1), flat, [SPEC])


def rows(settings: WarehouseSettings, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_newest_version_wins_whatever_the_order(settings: WarehouseSettings) -> None:
    newer = (BIG, D1, 1, "21:30", "88.10", ["new-a"])
    older = (BIG, D1, 0, "21:00", "99.90", ["old-a", "old-b"])
    load(settings, batch(newer))
    load(settings, batch(older))  # the re-checkout arrived first; the old version must lose
    assert rows(settings, "SELECT id, v, amount FROM t.parent") == [(BIG, 1, Decimal("88.10"))]
    assert rows(settings, "SELECT note FROM t.child") == [("new-a",)]


def test_duplicates_in_one_batch_collapse_to_newest(settings: WarehouseSettings) -> None:
    load(
        settings,
        batch(
            (1, D1, 0, "10:00", "5.00", ["a", "b"]),
            (1, D1, 2, "10:40", "7.00", ["c"]),
            (1, D1, 1, "10:20", "6.00", ["d", "e", "f"]),
        ),
    )
    assert rows(settings, "SELECT v, amount FROM t.parent") == [(2, Decimal("7.00"))]
    assert rows(settings, "SELECT line_no, note FROM t.child") == [(0, "c")]


def test_same_version_reloaded_is_idempotent(settings: WarehouseSettings) -> None:
    flat = batch((1, D1, 0, "10:00", "5.00", ["a"]), (2, D2, 0, "11:00", "6.00", []))
    load(settings, flat)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = fingerprints(con, ("t",))
    load(settings, flat)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert fingerprints(con, ("t",)) == before
    assert [fp.rows for fp in before] == [1, 2]


def test_moved_bill_rewrites_both_partitions(settings: WarehouseSettings) -> None:
    load(settings, batch((1, D1, 0, "23:00", "5.00", ["a"])))
    load(settings, batch((1, D2, 1, "09:00", "6.00", ["b"])))
    lake = settings.lake_dir / "t"
    assert not (lake / "parent" / f"business_date={D1}").exists()
    moved = pq.read_table(lake / "parent" / f"business_date={D2}" / "data.parquet")
    assert moved.column("id").to_pylist() == [1]
    assert moved.column("amount").to_pylist() == [Decimal("6.00")]


def test_lake_equals_duckdb(settings: WarehouseSettings) -> None:
    load(settings, batch((BIG, D1, 0, "10:00", "1.10", ["x"]), (7, D2, 3, "12:00", "2.20", ["y"])))
    glob = settings.lake_dir / "t" / "parent" / "*" / "*.parquet"
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        diff = con.execute(
            f"SELECT id, business_date, v, ts, amount FROM read_parquet('{glob}', "
            "hive_partitioning=true) EXCEPT SELECT id, business_date, v, ts, amount FROM t.parent"
        ).fetchall()
        count = con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()
    assert diff == []
    assert count == (2,)


def test_failure_mid_load_leaves_everything_as_before(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(settings, batch((1, D1, 0, "10:00", "5.00", ["a"])))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = fingerprints(con, ("t", "meta"))
    lake_before = {p: p.read_bytes() for p in settings.lake_dir.rglob("*.parquet")}

    import etl.warehouse.store as store

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk went away")

    # Fails after the parent and child upserts ran, before the commit.
    monkeypatch.setattr(store, "record_load", broken)
    flat = batch((1, D1, 1, "11:00", "9.00", ["b"]), (2, D2, 0, "12:00", "3.00", ["c"]))
    flat.rejects.append(Reject("test", "ep", "bad record", '{"id": "x"}', "x"))
    with pytest.raises(LoadError, match="test ep u"), Warehouse.open(settings) as wh:
        wh.load(LoadUnit("test", "ep", "u", D1), flat, [SPEC])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        after = fingerprints(con, ("t", "meta"))
    assert after == before
    assert {p: p.read_bytes() for p in settings.lake_dir.rglob("*.parquet")} == lake_before


def test_rejects_are_kept_once_with_raw_payload(settings: WarehouseSettings) -> None:
    flat = batch((1, D1, 0, "10:00", "5.00", []))
    flat.rejects.append(
        Reject("test", "ep", "amount: not a number", '{"amount":"12.3.4"}', "1", 10)
    )
    load(settings, flat)
    load(settings, flat)
    assert rows(
        settings, "SELECT record_key, shop_id, reason, raw_payload, times_seen FROM meta.rejects"
    ) == [("1", 10, "amount: not a number", '{"amount":"12.3.4"}', 2)]
    assert rows(settings, "SELECT count(*), min(status) FROM meta.loads") == [(2, "committed")]


def test_interrupted_lake_rewrite_is_finished_on_next_open(settings: WarehouseSettings) -> None:
    load(settings, batch((1, D1, 0, "10:00", "5.00", ["a"])))
    target = settings.lake_dir / "t" / "parent" / f"business_date={D1}" / "data.parquet"
    # A process killed after its commit but before the rewrite: file gone, mark left, temp debris.
    target.unlink()
    stale = target.with_name(".data.parquet.deadbeef.tmp")
    stale.write_bytes(b"half a parquet file")
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            # As an older version queued it: no file columns (a whole-day file).
            "INSERT INTO meta.lake_dirty (table_name, partition_column, partition_value, "
            "marked_by) VALUES ('t.parent', 'business_date', ?, 'killed')",
            [str(D1)],
        )
    with Warehouse.open(settings):
        pass
    assert not stale.exists()
    assert pq.read_table(target).column("id").to_pylist() == [1]
    assert rows(settings, "SELECT count(*) FROM meta.lake_dirty") == [(0,)]


def test_the_error_that_aborted_a_load_is_the_one_reported(settings: WarehouseSettings) -> None:
    flat = batch((1, D1, 0, "10:00", "5.00", ["a"]))
    with Warehouse.open(settings) as wh:
        _create(wh)
        wh.con.execute("ALTER TABLE t.child ALTER COLUMN note SET NOT NULL")
        flat.tables["t.child"] = flat.tables["t.child"].set_column(
            3, "note", pa.array([None], pa.string())
        )
        with pytest.raises(LoadError, match="NOT NULL constraint") as info:
            wh.load(LoadUnit("test", "ep", "u", D1), flat, [SPEC])
        logged = wh.con.execute("SELECT status, error FROM meta.loads").fetchall()
    assert "transaction is aborted" not in str(info.value)
    assert logged[0][0] == "failed"
    assert "NOT NULL constraint" in logged[0][1]
