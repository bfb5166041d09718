"""The native bill path (``etl/flatten/native/``) gives exactly the reference flattener's tables,
rejects and record count, on everything the Python fast path is held to
(``test_qianhub_fast_equals_reference.py`` runs through it too) and on what a hand-written C
parser can get wrong: number and string spellings, escapes, nesting, whitespace, damaged bytes
anywhere in a body, other business-day starts, several threads at once.

Every comparison runs three ways -- native, the Python fast path, the reference -- so neither
fast path can drift from the reference unnoticed. The build itself (built, of the sources
beside it, its shapes those of the models) is held in ``test_qianhub_native_build.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.batch import FlatBatch
from etl.business_day import BusinessDayRule
from etl.flatten import qianhub_native
from etl.flatten.qianhub import _split, flatten_batch_bodies, flatten_batch_bodies_reference
from etl.qianhub.client import BOH_TYPES
from etl.simulator.qianhub_world import QianhubWorld
from tests.property.conftest import example

RULE = BusinessDayRule()
BILL_RECORD = example("qianhub", "cashier_finish_example.json")[0]
ENCODE = msgspec.json.Encoder(decimal_format="number")


def assert_same(bodies: list[bytes], rule: BusinessDayRule = RULE) -> FlatBatch:
    reference = flatten_batch_bodies_reference(bodies, rule)
    for batch in (
        flatten_batch_bodies(bodies, rule),
        flatten_batch_bodies(bodies, rule, native=False),
    ):
        assert batch.records == reference.records
        assert batch.rejects == reference.rejects
        assert batch.tables.keys() == reference.tables.keys()
        for name, table in reference.tables.items():
            assert batch.tables[name].schema == table.schema, name
            assert batch.tables[name].equals(table), f"{name} differs from the reference"
            batch.tables[name].validate(full=True)  # offsets, UTF-8, buffer sizes
    return reference


def native(bodies: list[bytes], rule: BusinessDayRule = RULE) -> qianhub_native.NativeBills:
    out = qianhub_native.flatten_native(bodies, rule)
    assert out is not None
    return out


def _bill(bill_id: int, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(BILL_RECORD)
    record.pop("shop_10", None)
    record["shop_id"] = 10
    record["json"]["bill_id"] = bill_id
    record["json"].update(changes)
    return record


def _text(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


WORLD = QianhubWorld(seed=11, shop_count=4, bills_per_day=(120, 160), recheckout_rate=0.3)


@pytest.fixture(scope="module")
def world_bodies() -> list[list[bytes]]:
    day = dt.date(2026, 11, 3)
    start, end = RULE.window(day)
    return [
        [
            ENCODE.encode(page)
            for page in _chunks(WORLD.records(shop, sorted(BOH_TYPES), start, end), 50)
        ]
        for shop in WORLD.shop_ids()
    ]


def _chunks(records: list[Any], size: int) -> list[list[Any]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def test_the_native_path_takes_every_bill_of_the_world(world_bodies: list[list[bytes]]) -> None:
    """Not a vacuous equality: every bill goes the native way (the ``shop_<id>`` envelope
    too); only the other record types are handed back."""
    for bodies in world_bodies:
        out = native(bodies)
        bills = sum(body.count(b'"cashier.finish"') for body in bodies)
        assert out.tables["bills"].num_rows == bills > 100
        handed_back = [bytes(raw) for _, raw in out.others]
        assert not any(b'"cashier.finish"' in raw for raw in handed_back)
        assert_same(bodies)


def test_the_world_pretty_printed_equals_reference(world_bodies: list[list[bytes]]) -> None:
    """Whitespace between every token, as another JSON writer might send it."""
    bodies = [json.dumps(json.loads(body), indent=2).encode() for body in world_bodies[0]]
    assert_same(bodies)
    assert native(bodies).tables["bills"].num_rows > 100


NUMBER_TEXTS = [
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1",
    "12.3",
    "69.80000000000001",
    "0.30000000000000004",
    "1.005",
    "1.0049999999",
    "1.0050000001",
    "2.675",
    "1e2",
    "1E+2",
    "1.5e-1",
    "15E-2",
    "1e-7",
    "-1e-7",
    "4.9999999e-7",
    "0.0000009",
    "9999999999999999.99",
    "9999999999999999.994",
    "9999999999999999.995",
    "10000000000000000",
    "123456789012345678",
    "1234567890123456789012345",
    "12345678901234567890123456",
    "0.1234567890123456789012345",
    "1e400",
    "1e-400",
    "5e-3",
    "0.995",
    "0.9999995",
    "0.99999949",
    "-0.9999996",
]


@pytest.mark.parametrize("text", NUMBER_TEXTS)
def test_money_and_quantities_as_any_json_number_equal_reference(text: str) -> None:
    money = _bill(1, amount="@")
    quantity = _bill(2)
    quantity["json"]["orders"][0]["details"][0]["quantity"] = "@"
    texts = [_text(r).replace(b'"@"', text.encode()) for r in (money, quantity)]
    assert_same([b"[" + b",".join(texts) + b"]"])


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        '带"引号"',
        "back\\slash",
        "tab\there",
        "new\nline",
        "\u0000nul",
        "é",
        "\u00e9\u4e2d",
        "\U0001f600 emoji",
        "/slash",
        "\u2028\u2029",
    ],
)
@pytest.mark.parametrize("ascii_only", [True, False])
def test_strings_with_escapes_equal_reference(value: str, ascii_only: bool) -> None:
    """json.dumps escapes these as \\" \\\\ \\t \\n \\u0000 (and, ascii-only, every non-ASCII
    character as \\uXXXX, emoji as a surrogate pair): the native path decodes them as
    msgspec does."""
    record = _bill(1, shop_name=value, sn=value)
    record["json"]["orders"][0]["details"][0]["tags"] = [value, "x"]
    record["json"]["orders"][0]["details"][0]["goods"]["goods_name"] = value
    body = json.dumps([record], ensure_ascii=ascii_only).encode()
    assert_same([body])
    assert native([body]).tables["bills"].column("shop_name").to_pylist() == [value]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'[{"boh_type": "cashier.finish", "s\\u0068op_id": 10}]', "escaped key"),
        (b'["\\ud800"]', "lone high surrogate: msgspec cannot split the body"),
        (b'["\\udc00"]', "lone low surrogate"),
        (b'["\\ud800\\u0041"]', "high surrogate without its low half"),
        (b"[" + b"[" * 300 + b"]" * 300 + b"]", "deeper than the native limit"),
        (b"[1, 2,]", "trailing comma"),
        (b"[1] x", "trailing garbage"),
        (b"\xef\xbb\xbf[1]", "byte order mark"),
        (b"[01]", "leading zero"),
        (b"[1.]", "bad number"),
        (b'["a\x01"]', "control character in a string"),
        (b"{}", "not an array"),
        (b"[]", "empty"),
        (b"  [ ]  ", "empty with whitespace"),
        (b'[null, true, 17, "x", [1]]', "records that are not objects"),
    ],
)
def test_odd_bodies_equal_reference(body: bytes, why: str) -> None:
    assert_same([_text(_bill(5)).join([b"[", b"]"]), body, _text(_bill(6)).join([b"[", b"]"])])


def test_a_body_msgspec_cannot_split_is_never_split_natively() -> None:
    assert qianhub_native.flatten_native([b'["\\ud800"]'], RULE) is None
    assert qianhub_native.flatten_native([b"[1,]"], RULE) is None
    assert qianhub_native.flatten_native([b"[" + b"[" * 300 + b"]" * 300 + b"]"], RULE) is None


def _variant(key: str, value: Any, **extra: Any) -> dict[str, Any]:
    record = copy.deepcopy(BILL_RECORD)
    record.pop("shop_10")
    record[key] = value
    record.update(extra)
    return record


ODD_RECORDS: list[dict[str, Any] | bytes] = [
    _variant("shop_010", 10),  # leading zeros: int("010") == 10
    _variant("shop_10", None),
    _variant("shop_99999999999999999999999", 10),
    _variant("shop_10", 10, shop_11="eleven"),
    _variant("shop_id", 10, shop_10="ignored when shop_id is there"),
    _variant("shop_id", None),
    _variant("shop_x", 10),
    _bill(7, undo_index=2**31),
    _bill(8, undo_index=-(2**31)),
    _bill(9, sn=-5),
    _bill(10, sn=2**63),
    _bill(11, sn=12.5),
    _bill(12, brand_id=-(2**63)),
    _bill(13, brand_id=True),
    _bill(14, cashier_on="1899-12-31 23:59:59"),
    _bill(15, cashier_on="1900-01-01 00:00:00"),
    _bill(16, cashier_on="2024-02-29 06:00:00"),
    _bill(17, cashier_on="2023-02-29 06:00:00"),
    _bill(18, cashier_on="2026-11-02 24:00:00"),
    _bill(19, cashier_on="2026-1-2 3:4:5"),
    _bill(20, cashier_on="2026-11-02 06:00:00 "),
    _bill(21, create_on=17),
    _bill(22, orders=[{"order_id": 1}, {"order_id": 2, "details": None}]),
    _bill(23, orders=[None]),
    _bill(24, orders={"order_id": 1}),
    _bill(25, payments=[{}], promotions=[{}], discounts=[{}]),
    _bill(26, unknown={"deep": [[[{"a": "\u00ff"}]]], "n": 1e308}),
    {**_bill(27), "boh_type": "cashier.finish "},
    {**_bill(28), "json": []},
    {**_bill(29), "staff_name": 5},
    {**_bill(30), "create_on": None, "staff_id": None, "staff_name": None},
    _text(_bill(31)).replace(b'"bill_id": 31', b'"bill_id": 31, "bill_id": 32'),
    _text(_bill(33)).replace("王店".encode(), b"\xff", 1),  # bad UTF-8 in a kept string
    _text(_bill(34)).replace(b'"cashier_on"', b'"extra": "\xff\xfe", "cashier_on"'),
    _text(_bill(35)).replace(b'"cashier_on"', b'"\xff": 1, "cashier_on"'),
    _text(_bill(36)).replace("王店".encode(), "\xed\xa0\x80".encode("latin-1"), 1),
    # bad UTF-8 in the value and in the name of an unknown key of the envelope and an order
    _text(_bill(37)).replace(b'"boh_type"', b'"extra": "\xff\xfe", "boh_type"', 1),
    _text(_bill(38)).replace(b'"boh_type"', b'"\xc3": [1], "boh_type"', 1),
    _text(_bill(39)).replace(b'"order_id"', b'"extra": "\xe4\xb8", "order_id"', 1),
    _text(_bill(40)).replace(b'"order_id"', b'"\x80": null, "order_id"', 1),
]


def test_odd_records_mixed_in_one_body_equal_reference() -> None:
    texts = [r if isinstance(r, bytes) else _text(r) for r in ODD_RECORDS]
    body = b"[" + b",".join(texts) + b"]"
    batch = assert_same([body])
    taken = native([body]).tables["bills"].column("bill_id").to_pylist()
    assert {15, 16, 19, 22, 25, 26, 30} <= set(taken)  # odd but valid: taken natively
    assert batch.tables["bills"].num_rows > len(taken) - 1


@pytest.mark.parametrize("levels", [63, 64, 65, 66])
def test_details_nested_at_the_depth_limit_equal_reference(levels: int) -> None:
    record = _bill(40)
    node = record["json"]["orders"][0]["details"][0]
    for level in range(levels):
        child = {"detail_id": 9_000_000_000_000_000_000 + level, "quantity": 1}
        node["children"] = [child]
        node = child
    assert_same([json.dumps([record]).encode()])


@pytest.mark.parametrize("start", ["00:00", "04:30", "06:00", "23:59"])
def test_other_business_day_starts_equal_reference(start: str) -> None:
    rule = BusinessDayRule.parse(start)
    times = [
        "2026-11-02 00:00:00",
        "2026-11-02 04:29:59",
        "2026-11-02 04:30:00",
        "2026-11-02 23:58:59",
        "2026-11-02 23:59:00",
        "1970-01-01 00:00:00",
        "1969-12-31 23:59:59",
    ]
    body = json.dumps([_bill(50 + n, cashier_on=t) for n, t in enumerate(times)]).encode()
    assert_same([body], rule)


def _mutate(body: bytes, data: st.DataObject) -> bytes:
    out = bytearray(body)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(out) - 1))
        kind = data.draw(st.sampled_from(["replace", "insert", "delete", "digit"]))
        byte = data.draw(st.sampled_from(b'0159-.eE"\\,:{}[] nutfl\xff\xe4\x00'))
        if kind == "replace":
            out[at] = byte
        elif kind == "insert":
            out.insert(at, byte)
        elif kind == "delete":
            del out[at]
        else:  # a digit somewhere in a number changes its value, not its syntax
            digits = [i for i, b in enumerate(out) if 0x30 <= b <= 0x39]
            if digits:
                out[data.draw(st.sampled_from(digits))] = data.draw(st.sampled_from(b"0123456789"))
    return bytes(out)


MUTATED = json.dumps([_bill(60), BILL_RECORD, _bill(61, sn=77)], ensure_ascii=False).encode()


@given(data=st.data())
def test_bodies_damaged_anywhere_equal_reference(data: st.DataObject) -> None:
    """Random bytes changed, inserted or dropped anywhere in a body: whatever the damage, the
    answer (tables, rejects, records) is the reference's -- and a body the native parser
    splits, msgspec splits into as many records."""
    body = _mutate(MUTATED, data)
    out = qianhub_native.flatten_native([body], RULE)
    if out is not None:
        split, body_rejects = _split([body])
        assert not body_rejects and len(split) == out.records
    assert_same([body])


def test_threads_at_once_give_each_its_own_tables(world_bodies: list[list[bytes]]) -> None:
    """The extension reads without the GIL and reuses its buffers between calls: calls from
    several threads, interleaved with calls that give up half way, never see each other's
    rows."""
    expected = [native(bodies).tables for bodies in world_bodies]
    seen: dict[tuple[int, int], dict[str, Any]] = {}
    errors: list[BaseException] = []

    def run(thread: int) -> None:
        try:
            for round_ in range(6):
                index = (thread + round_) % len(world_bodies)
                if round_ % 3 == 2:
                    bad = [*world_bodies[index], b"[1,]"]
                    assert qianhub_native.flatten_native(bad, RULE) is None
                seen[thread, round_] = native(world_bodies[index]).tables | {"_i": index}
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 24
    for tables in seen.values():
        index = tables.pop("_i")
        for name, table in expected[index].items():
            assert tables[name].equals(table), name
