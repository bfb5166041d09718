"""A :class:`~etl.batch.FlatBatch` crosses from a replay's worker to the loading process by
pickle, its tables as Arrow IPC streams: every type, value, chunk and piece of metadata must
come back as it left."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal

import pyarrow as pa

from etl.batch import FlatBatch, Reject

BIG_ID = 2**63 - 7  # far beyond a double's 2^53


def _batch() -> FlatBatch:
    bills = pa.table(
        {
            "bill_id": pa.array([BIG_ID, 1, None], pa.int64()),
            "amount": pa.array(
                [Decimal("12345678.91"), Decimal("-0.01"), None], pa.decimal128(18, 2)
            ),
            "paid_on": pa.array(
                [dt.datetime(2026, 11, 1, 23, 59, 59), None, dt.datetime(2026, 11, 2)],
                pa.timestamp("us"),
            ),
            "tags": pa.array([["辣", ""], [], None], pa.list_(pa.string())),
            "name": pa.array(["银豹 shop", None, "x" * 1000], pa.string()),
        }
    ).replace_schema_metadata({b"grain": b"one row per bill"})
    two_chunks = pa.concat_tables([bills.slice(0, 1), bills.slice(1)])
    empty = pa.table({"business_date": pa.array([], pa.date32())})
    return FlatBatch(
        tables={"bills": bills, "stacked": two_chunks, "none_yet": empty},
        rejects=[Reject("qianhub", "batch-query", "bad amount", '{"amount": "x"}', "7", 3)],
        records=4,
    )


def test_a_batch_comes_back_from_pickle_as_it_left() -> None:
    batch = _batch()
    back = pickle.loads(pickle.dumps(batch))
    assert back == batch  # tables (values and types), rejects, records
    for name, table in batch.tables.items():
        assert back.tables[name].schema.equals(table.schema, check_metadata=True)
        if table.num_rows:  # (an empty table comes back with no chunk rather than one empty)
            assert [c.num_chunks for c in back.tables[name].columns] == [
                c.num_chunks for c in table.columns
            ]
    assert back.tables["bills"].column("bill_id")[0].as_py() == BIG_ID
    assert back.tables["bills"].column("amount")[0].as_py() == Decimal("12345678.91")
    assert list(back.tables) == ["bills", "stacked", "none_yet"]


def test_a_batch_without_tables_pickles() -> None:
    batch = FlatBatch(rejects=[Reject("pospal", "queryTicketPages", "no sn", "{}")], records=1)
    assert pickle.loads(pickle.dumps(batch)) == batch
