"""Hostile values anywhere in a valid vendor record: the flatteners never raise, every record
is either loaded or kept in the rejects with its exact text and a reason, an accepted value is
the value sent (money to the fen, ids exact), and the batch still loads into the warehouse."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.business_day import BusinessDayRule
from etl.config import WarehouseSettings
from etl.flatten.decimals import NOISE
from etl.flatten.pospal import flatten_ticket_pages
from etl.flatten.qianhub import BATCH_ENTITIES, flatten_batch_bodies
from etl.warehouse import LoadUnit, Warehouse
from tests.property.conftest import example, hostile_values, leaf_paths, replaced

RULE = BusinessDayRule()
BILL = example("qianhub", "cashier_finish_example.json")[0]
BILL_PATHS = sorted(leaf_paths(BILL), key=repr)
PAGE = example("pospal", "ticket_pages_example.json")
TICKET_PATHS = sorted(leaf_paths(PAGE["data"]["result"][0]), key=repr)
BILL_MONEY = ("amount", "real_amount", "goods_amount", "order_amount", "paid", "rounding")


def _encode(value: Any) -> bytes:
    """UTF-8 JSON; text with lone surrogates goes out as ``\\udXXX`` escapes, as a JSON
    producer would send it."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True).encode("ascii")


def _exact(stored: Decimal | None, sent: Any) -> bool:
    if sent is None:
        return stored is None
    if stored is None or isinstance(sent, bool) or not isinstance(sent, int | float):
        return False
    return abs(stored - Decimal(repr(sent))) < NOISE


@given(path=st.sampled_from(BILL_PATHS), value=hostile_values)
def test_qianhub_bill_with_a_hostile_value(path: tuple[Any, ...], value: Any) -> None:
    record = replaced(BILL, path, value)
    text = _encode([record])
    batch = flatten_batch_bodies([text], RULE)

    assert batch.records == 1
    bills = batch.tables["bills"].to_pylist()
    assert len(bills) + len(batch.rejects) == 1
    if batch.rejects:
        (reject,) = batch.rejects
        assert reject.reason.strip()
        if reject.reason.startswith("body is not a JSON array"):
            # Not even splittable into records (e.g. a lone surrogate escape): the whole
            # body is the reject, so nothing of it is lost.
            assert reject.raw_payload == text.decode("utf-8")
        else:
            assert reject.raw_payload == text.decode("utf-8")[1:-1]  # the record's own text
        return
    (bill,) = bills
    sent = record["json"]
    assert bill["bill_id"] == sent["bill_id"]
    for field in BILL_MONEY:
        assert _exact(bill[field], sent.get(field)), (field, bill[field], sent.get(field))


@given(path=st.sampled_from(TICKET_PATHS), value=hostile_values)
def test_pospal_ticket_with_a_hostile_value(path: tuple[Any, ...], value: Any) -> None:
    page = replaced(PAGE, ("data", "result", 0, *path), value)
    ticket = page["data"]["result"][0]
    batch = flatten_ticket_pages([_encode(page)], RULE, account="store-1")

    tickets = batch.tables["tickets"].to_pylist()
    total = len(page["data"]["result"])
    assert len(tickets) + len(batch.rejects) == total == batch.records
    if any(r.raw_payload == _encode(page).decode() for r in batch.rejects):
        return  # the page could not be split into records: kept whole
    sent = json.loads(_encode(ticket))
    mine = [r for r in batch.rejects if json.loads(r.raw_payload) == sent]
    if mine:
        assert mine[0].reason.strip()
        return
    (row,) = [t for t in tickets if t["sn"] == ticket["sn"]]
    assert row["uid"] == ticket["uid"]
    assert _exact(row["total_amount"], ticket["totalAmount"])


@given(body=st.binary(max_size=300))
def test_any_bytes_as_a_body_are_one_reject(body: bytes) -> None:
    batch = flatten_batch_bodies([body], RULE)
    assert batch.records >= 1
    assert (
        len(batch.rejects)
        + batch.tables["bills"].num_rows
        + batch.tables["dayend_stats"].num_rows
        + batch.tables["handover_stats"].num_rows
        == batch.records
    )


def test_invalid_utf8_is_kept_replaced_not_dropped() -> None:
    record = _encode([BILL]).replace("王店".encode(), b"\xff\xfe")
    batch = flatten_batch_bodies([record], RULE)
    assert batch.records == 1
    if batch.rejects:
        assert "\ufffd" in batch.rejects[0].raw_payload
    else:
        assert batch.tables["bills"].num_rows == 1


@pytest.mark.parametrize("depth", [63, 65, 300])
def test_deep_children_load_or_reject_whole(depth: int) -> None:
    bill = json.loads(json.dumps(BILL))
    detail = bill["json"]["orders"][0]["details"][0]
    node = detail
    for level in range(depth):
        child = json.loads(json.dumps({k: v for k, v in detail.items() if k != "children"}))
        child["detail_id"] = 10**15 + level
        node["children"] = [child]
        node = child
    batch = flatten_batch_bodies([_encode([bill])], RULE)
    assert batch.records == 1
    if depth <= 63:
        assert batch.rejects == []
        assert batch.tables["bill_details"].num_rows > depth
    else:
        assert batch.tables["bill_details"].num_rows == 0  # never a truncated tree
        assert "deep" in batch.rejects[0].reason or "depth" in batch.rejects[0].reason


def test_a_detail_repeating_its_ancestors_id_is_rejected_not_duplicated() -> None:
    bill = json.loads(json.dumps(BILL))
    detail = bill["json"]["orders"][0]["details"][0]
    twin = json.loads(json.dumps({k: v for k, v in detail.items() if k != "children"}))
    detail["children"] = [twin]  # same detail_id as its parent: a cycle in all but name
    batch = flatten_batch_bodies([_encode([bill])], RULE)
    assert batch.tables["bill_details"].num_rows == 0
    (reject,) = batch.rejects
    assert reject.reason == (
        f"json.orders[].details[].detail_id {detail['detail_id']} appears twice in one bill"
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    settings = WarehouseSettings(home=tmp_path_factory.mktemp("hostile"))
    with Warehouse.open(settings) as wh:
        yield wh


_IDS = itertools.count(10**15, 100)


@settings(max_examples=20)
@given(
    records=st.lists(st.tuples(st.sampled_from(BILL_PATHS), hostile_values), min_size=1, max_size=6)
)
def test_a_batch_of_hostile_bills_loads_what_is_valid(
    records: list[tuple[tuple[Any, ...], Any]], warehouse: Warehouse
) -> None:
    first = next(_IDS)
    bills = []
    for n, (path, value) in enumerate(records):
        bill = replaced(BILL, path, value)
        if isinstance(bill.get("json"), dict) and path != ("json", "bill_id"):
            bill["json"]["bill_id"] = first + n
        bills.append(bill)
    batch = flatten_batch_bodies([_encode(bills)], RULE)
    unit = LoadUnit("qianhub", "batch-query", "shop_id=10")
    result = warehouse.load(unit, batch, BATCH_ENTITIES)  # never raises for bad records
    whole_body = [r for r in batch.rejects if r.reason.startswith("body is not a JSON array")]
    assert batch.records == (1 if whole_body else len(bills))
    assert result.rejects == len(batch.rejects)
    # Every reject is kept, as seen by this load: a record rejected by an earlier example
    # (the same bytes, e.g. `"json": null`) is the same reject seen again, not a new row.
    kept = warehouse.con.execute(
        "SELECT reason, payload_sha256 FROM meta.rejects WHERE last_load_id = ?", [unit.load_id]
    ).fetchall()
    assert set(kept) == {
        (r.reason, hashlib.sha256(r.raw_payload.encode("utf-8", "surrogatepass")).hexdigest())
        for r in batch.rejects
    }
    loaded = set(batch.tables["bills"].column("bill_id").to_pylist())
    stored = warehouse.con.execute(
        "SELECT bill_id FROM qianhub.bills WHERE load_id = ?", [unit.load_id]
    ).fetchall()
    assert {b for (b,) in stored} == loaded
