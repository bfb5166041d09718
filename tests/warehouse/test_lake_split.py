"""Lake files split by a file column (Pospal: one file per account in each date folder): a
load of one store's day rewrites that store's file only, rows moving between stores leave no
stale file, and a lake written before the split (one whole-day file) is split on the next write
without rows lost or doubled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl.batch import REC, EntitySpec, FlatBatch
from etl.config import WarehouseSettings
from etl.warehouse import LoadUnit, Warehouse, lake, lake_files
from etl.warehouse.lake_check import lake_differences, partition_differences

SPLIT = EntitySpec("t.sale", key=("id",), children=("t.sale_line",), file_column="account")
WHOLE = EntitySpec("t.sale", key=("id",), children=("t.sale_line",))
D1 = dt.date(2026, 11, 1)
TABLES = ("t.sale", "t.sale_line")


def _create(wh: Warehouse) -> None:
    wh.con.execute("CREATE SCHEMA IF NOT EXISTS t")
    wh.con.execute(
        "CREATE TABLE IF NOT EXISTS t.sale (account VARCHAR, id BIGINT, business_date DATE, "
        "amount DECIMAL(18,2), load_id VARCHAR, loaded_at TIMESTAMPTZ)"
    )
    wh.con.execute(
        "CREATE TABLE IF NOT EXISTS t.sale_line (account VARCHAR, id BIGINT, "
        "business_date DATE, note VARCHAR, load_id VARCHAR, loaded_at TIMESTAMPTZ)"
    )


def batch(account: str, *sales: tuple[int, str], day: dt.date = D1) -> FlatBatch:
    """Each sale: (id, amount), on ``day``, with one line."""
    ids = [sale_id for sale_id, _ in sales]
    recs = list(range(len(sales)))
    sale = pa.table(
        {
            "account": [account] * len(sales),
            "id": pa.array(ids, pa.int64()),
            "business_date": pa.array([day] * len(sales), pa.date32()),
            "amount": pa.array([Decimal(a) for _, a in sales], pa.decimal128(18, 2)),
            REC: pa.array(recs, pa.int64()),
        }
    )
    line = pa.table(
        {
            "account": [account] * len(sales),
            "id": pa.array(ids, pa.int64()),
            "business_date": pa.array([day] * len(sales), pa.date32()),
            "note": [f"line of {i}" for i in ids],
            REC: pa.array(recs, pa.int64()),
        }
    )
    return FlatBatch(tables={"t.sale": sale, "t.sale_line": line}, records=len(sales))


@pytest.fixture
def settings(tmp_path: Path) -> WarehouseSettings:
    return WarehouseSettings(home=tmp_path / "home")


def load(settings: WarehouseSettings, flat: FlatBatch, spec: EntitySpec = SPLIT) -> None:
    with Warehouse.open(settings) as wh:
        _create(wh)
        wh.load(LoadUnit("test", "ep", "u", D1), flat, [spec])


def load_days(wh: Warehouse, days: list[dt.date]) -> None:
    """Two sales of store-a on each of ``days``, a unit per day (lake marks left to sync)."""
    _create(wh)
    for i, day in enumerate(days):
        flat = batch("store-a", (10 + i, "1.00"), (20 + i, "2.00"), day=day)
        wh.load(LoadUnit("test", "ep", f"u{i}", day), flat, [SPLIT])


def folder(settings: WarehouseSettings, table: str = "sale") -> Path:
    return settings.lake_dir / "t" / table / f"business_date={D1}"


def files(settings: WarehouseSettings, table: str = "sale") -> list[str]:
    return sorted(p.name for p in folder(settings, table).iterdir())


def lake_equals_duckdb(settings: WarehouseSettings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {t: lake_differences(con, settings.lake_dir, t, "business_date") for t in TABLES}


def ids_in(path: Path) -> list[int]:
    return sorted(pq.read_table(path).column("id").to_pylist())


def test_a_store_day_rewrites_only_that_stores_file(settings: WarehouseSettings) -> None:
    load(settings, batch("store-a", (1, "10.00"), (2, "20.00")))
    load(settings, batch("store-b", (3, "30.00")))
    assert files(settings) == ["account-store-a.parquet", "account-store-b.parquet"]
    b_file = folder(settings) / "account-store-b.parquet"
    before = b_file.stat()

    load(settings, batch("store-a", (1, "11.00"), (4, "40.00")))

    after = b_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    a_file = pq.read_table(folder(settings) / "account-store-a.parquet")
    assert sorted(zip(a_file["id"].to_pylist(), a_file["amount"].to_pylist(), strict=True)) == [
        (1, Decimal("11.00")),
        (2, Decimal("20.00")),
        (4, Decimal("40.00")),
    ]
    assert "business_date" not in a_file.column_names  # in the folder name, as before
    assert files(settings, "sale_line") == files(settings)
    assert lake_equals_duckdb(settings) == {"t.sale": 0, "t.sale_line": 0}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        marks = con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall()
        logged = con.execute(
            "SELECT partitions_touched FROM meta.loads ORDER BY started_at"
        ).fetchall()
        one_file = partition_differences(
            con, settings.lake_dir, "t.sale", "business_date", str(D1), "account", "store-b"
        )
    assert marks == [(0,)]
    assert logged == [([str(D1)],)] * 3  # meta.loads still names business dates
    assert one_file == 0


def test_a_sale_moving_to_another_store_leaves_no_stale_file(
    settings: WarehouseSettings,
) -> None:
    load(settings, batch("store-a", (1, "10.00")))
    load(settings, batch("store-b", (2, "20.00")))
    # The key is the id alone (like a member's cross-store history): the sale moves to store-c.
    load(settings, batch("store-c", (1, "10.00")))
    assert files(settings) == ["account-store-b.parquet", "account-store-c.parquet"]
    assert ids_in(folder(settings) / "account-store-c.parquet") == [1]
    assert files(settings, "sale_line") == files(settings)
    assert lake_equals_duckdb(settings) == {"t.sale": 0, "t.sale_line": 0}


def test_a_whole_day_file_is_split_on_the_next_write(settings: WarehouseSettings) -> None:
    # A lake written before the table was split: one data.parquet for both stores.
    load(settings, batch("store-a", (1, "10.00")), WHOLE)
    load(settings, batch("store-b", (2, "20.00"), (3, "30.00")), WHOLE)
    assert files(settings) == ["data.parquet"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        # Checking one store's rows against a day not split yet reads them from the old file.
        unsplit = partition_differences(
            con, settings.lake_dir, "t.sale", "business_date", str(D1), "account", "store-b"
        )
    assert unsplit == 0

    load(settings, batch("store-a", (1, "12.00")))

    assert files(settings) == ["account-store-a.parquet", "account-store-b.parquet"]
    assert files(settings, "sale_line") == files(settings)
    assert ids_in(folder(settings) / "account-store-b.parquet") == [2, 3]
    assert lake_equals_duckdb(settings) == {"t.sale": 0, "t.sale_line": 0}


def test_a_pospal_mark_queued_before_the_split_rewrites_every_store_file(
    settings: WarehouseSettings,
) -> None:
    with Warehouse.open(settings) as wh:  # the Pospal tables, created by the DDL
        for account, sn in (("store-a", "1"), ("store-b", "2"), ("store-b", "3")):
            wh.con.execute(
                "INSERT INTO pospal.tickets (account, sn, business_date, uid, ticket_time, "
                "ticket_type, ticket_type_raw, is_void, is_return, item_count, is_member) "
                "VALUES (?, ?, ?, 1, ?, 'SELL', 'SELL', false, false, 1, false)",
                [account, sn, D1, dt.datetime.combine(D1, dt.time(12))],
            )
        # Queued by a version writing one file per date, then killed before its rewrite.
        wh.con.execute(
            "INSERT INTO meta.lake_dirty (table_name, partition_column, partition_value, "
            "marked_by) VALUES ('pospal.tickets', 'business_date', ?, 'old')",
            [str(D1)],
        )
    with Warehouse.open(settings):  # applies the DDL (moving the mark), then syncs
        pass
    tickets = settings.lake_dir / "pospal" / "tickets" / f"business_date={D1}"
    assert sorted(p.name for p in tickets.iterdir()) == [
        "account-store-a.parquet",
        "account-store-b.parquet",
    ]
    sns = pq.read_table(tickets / "account-store-b.parquet").column("sn").to_pylist()
    assert sorted(sns) == ["2", "3"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall() == [(0,)]
        assert lake_differences(con, settings.lake_dir, "pospal.tickets", "business_date") == 0


def test_partitions_rewritten_on_threads_and_a_failure_keeps_its_marks(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [D1 + dt.timedelta(days=i) for i in range(4)]
    with Warehouse.open(settings) as wh, wh.lake_deferred():
        load_days(wh, days)
        failing = str(days[2])
        real = lake.write_files

        def write_files(cursor: duckdb.DuckDBPyConnection, *args: object) -> int:
            if args[3] == failing:  # (lake_dir, table, column, value, ...)
                raise OSError(28, "No space left on device")
            return real(cursor, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(lake, "write_files", write_files)
        with pytest.raises(OSError, match="No space left"):
            lake.sync_lake(wh.con, wh.lake_dir, threads=2)
        left = wh.con.execute(
            "SELECT DISTINCT table_name, partition_value FROM meta.lake_dirty ORDER BY ALL"
        ).fetchall()
        assert {("t.sale", failing), ("t.sale_line", failing)} <= set(left)  # marks kept
        monkeypatch.setattr(lake, "write_files", real)
        assert lake.sync_lake(wh.con, wh.lake_dir, threads=2) == len(left)
        assert wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall() == [(0,)]
    assert lake_equals_duckdb(settings) == {"t.sale": 0, "t.sale_line": 0}
    sale = settings.lake_dir / "t" / "sale"
    assert sorted(p.parent.name for p in sale.glob("*/*.parquet")) == [
        f"business_date={day}" for day in days
    ]


def test_accounts_spanning_batches_land_in_their_own_files(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lake_files, "BATCH_ROWS", 2)  # runs of an account cross batch boundaries
    with Warehouse.open(settings) as wh, wh.lake_deferred():
        _create(wh)
        wh.load(
            LoadUnit("test", "ep", "a", D1),
            batch("store-a", *[(i, "1.00") for i in (1, 2, 3)]),
            [SPLIT],
        )
        wh.load(LoadUnit("test", "ep", "b", D1), batch("store-b", (4, "4.00")), [SPLIT])
        wh.load(
            LoadUnit("test", "ep", "c", D1),
            batch("store-c", *[(i, "2.00") for i in (5, 6, 7, 8)]),
            [SPLIT],
        )
    assert files(settings) == [f"account-store-{x}.parquet" for x in "abc"]
    assert [ids_in(folder(settings) / f"account-store-{x}.parquet") for x in "abc"] == [
        [1, 2, 3],
        [4],
        [5, 6, 7, 8],
    ]
    assert lake_equals_duckdb(settings) == {"t.sale": 0, "t.sale_line": 0}


def test_the_check_sees_rows_doubled_by_a_split_cut_short(settings: WarehouseSettings) -> None:
    load(settings, batch("store-a", (1, "10.00")), WHOLE)
    whole = folder(settings) / "data.parquet"
    kept = whole.read_bytes()
    load(settings, batch("store-a", (1, "10.00")))  # split: account file written, whole removed
    whole.write_bytes(kept)  # as if killed between the new file's rename and the old's removal
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        doubled = partition_differences(
            con, settings.lake_dir, "t.sale", "business_date", str(D1), "account", "store-a"
        )
    assert doubled == 1


def test_a_partition_out_of_memory_beside_others_is_rewritten_alone(
    settings: WarehouseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [D1 + dt.timedelta(days=i) for i in range(3)]
    with Warehouse.open(settings) as wh, wh.lake_deferred():
        load_days(wh, days)
        real, tries = lake.write_files, []

        def write_files(cursor: duckdb.DuckDBPyConnection, *args: object) -> int:
            tries.append((args[1], args[3]))
            if args[3] == str(days[1]) and tries.count((args[1], args[3])) == 1:
                raise OSError("Out of Memory Error: failed to pin block of size 256.0 KiB")
            return real(cursor, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(lake, "write_files", write_files)
        assert lake.sync_lake(wh.con, wh.lake_dir, threads=2) == len(days) * len(TABLES)
        assert wh.con.execute("SELECT count(*) FROM meta.lake_dirty").fetchall() == [(0,)]
    assert sorted(t for t in tries if t[1] == str(days[1])) == [
        ("t.sale", str(days[1])),
        ("t.sale", str(days[1])),
        ("t.sale_line", str(days[1])),
        ("t.sale_line", str(days[1])),
    ]
    assert lake_equals_duckdb(settings) == {"t.sale": 0, "t.sale_line": 0}
