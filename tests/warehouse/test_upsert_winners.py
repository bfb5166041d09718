"""The newest staged row per key, picked in Arrow, equals what DuckDB's window function picks
(the merge rule as SQL states it: ``row_number() OVER (PARTITION BY key ORDER BY version
DESC, _rec DESC)``), on stacks with duplicate keys, ties, NULL versions and NULL keys."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.batch import LOAD_ID, REC, EntitySpec
from etl.warehouse.upsert import _newest_per_key, q

SPECS = (
    EntitySpec("t.bills", key=("bill_id",), version=("undo_index", "cashier_on")),
    # a key column that is also the version, as QianHub's handover reports have
    EntitySpec("t.handover", key=("shop_id", "cashier_on"), version=("cashier_on",)),
    EntitySpec("t.shops", key=("shop_id",)),
)
BASE = dt.datetime(2026, 11, 1, 10, 0)

row = st.tuples(
    st.one_of(st.none(), st.sampled_from([5539576102912000001, 5539576102912000002, 7])),
    st.one_of(st.none(), st.integers(0, 2)),
    st.one_of(st.none(), st.integers(0, 2).map(lambda m: BASE + dt.timedelta(minutes=m))),
)


def staged(rows: list[tuple[int | None, int | None, dt.datetime | None]]) -> pa.Table:
    ids, undo, times = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table(
        {
            "bill_id": pa.array(ids, pa.int64()),
            "shop_id": pa.array([None if i is None else i % 3 for i in ids], pa.int64()),
            "undo_index": pa.array(undo, pa.int32()),
            "cashier_on": pa.array(times, pa.timestamp("us")),
            REC: pa.array(range(len(rows)), pa.int64()),
            LOAD_ID: pa.array([f"u{i % 2}" for i in range(len(rows))], pa.string()),
        }
    )


CON = duckdb.connect()


def by_duckdb(spec: EntitySpec, rows: pa.Table) -> set[int]:
    key = ", ".join(q(k) for k in spec.key)
    order = ", ".join([*(f"{q(v)} DESC" for v in spec.version), f"{q(REC)} DESC"])
    con = CON.cursor()
    con.register("staged", rows)
    picked = con.execute(
        f"SELECT {q(REC)} FROM (SELECT *, row_number() OVER "
        f"(PARTITION BY {key} ORDER BY {order}) AS _rank FROM staged) WHERE _rank = 1"
    ).fetchall()
    return {rec for (rec,) in picked}


@settings(max_examples=200, deadline=None)
@given(st.lists(row, max_size=12))
def test_the_newest_row_per_key_is_the_one_duckdb_ranks_first(
    rows: list[tuple[int | None, int | None, dt.datetime | None]],
) -> None:
    table = staged(rows)
    for spec in SPECS:
        newest = _newest_per_key(spec, table)
        assert set(newest.column(REC).to_pylist()) == by_duckdb(spec, table), spec.table
        keys = zip(*(newest.column(k).to_pylist() for k in spec.key), strict=True)
        assert newest.num_rows == len(set(keys)), spec.table  # one row per key


def test_a_re_checkout_wins_and_a_tie_goes_to_the_later_record() -> None:
    bill, other = 5539576102912000001, 5539576102912000002
    table = staged(
        [
            (bill, 1, BASE),  # re-checked-out, loaded first
            (bill, 0, BASE + dt.timedelta(minutes=5)),  # the original, later in the stack
            (other, 0, BASE),
            (other, 0, BASE),  # the same version again: the later record wins
            (other, None, BASE),  # no version ranks last
        ]
    )
    newest = _newest_per_key(SPECS[0], table)
    picked = zip(newest.column("bill_id").to_pylist(), newest.column(REC).to_pylist(), strict=True)
    assert dict(picked) == {bill: 0, other: 3}
    assert newest.column(LOAD_ID).to_pylist() == ["u0", "u1"]
