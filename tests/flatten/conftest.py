"""Fixtures for the flatten tests: the vendor document's examples and a bill-record factory.

The examples in ``tests/fixtures/qianhub`` are copied from the vendor document with its
``//`` comments removed (``cashier_finish_example.json`` keeps the document's ``"shop_10": 10``
envelope key); ``dayend_stat_example.json`` is built from the handover example plus the
``businessDay`` the document says the day-end adds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from etl.business_day import BusinessDayRule

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "qianhub"

Record = dict[str, Any]


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def rule() -> BusinessDayRule:
    """Business days start at 06:00 shop-local time."""
    return BusinessDayRule()


@pytest.fixture
def bill_example_body() -> bytes:
    return _load("cashier_finish_example.json")


@pytest.fixture
def handover_example_body() -> bytes:
    return _load("handover_stat_example.json")


@pytest.fixture
def dayend_example_body() -> bytes:
    return _load("dayend_stat_example.json")


@pytest.fixture
def make_bill() -> Callable[..., Record]:
    """A valid ``cashier.finish`` record (the document's example) with ``json`` overrides."""
    example = json.loads(_load("cashier_finish_example.json"))[0]

    def make(bill_id: int = 5539576104912, **changes: Any) -> Record:
        record: Record = copy.deepcopy(example)
        record["json"]["bill_id"] = bill_id
        record["json"].update(changes)
        return record

    return make


def array(*records: Record | str) -> bytes:
    """A batch-query body; ``str`` records go in verbatim (to compare raw payloads exactly)."""
    parts = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return ("[" + ",\n".join(parts) + "]").encode()


@pytest.fixture
def body() -> Callable[..., bytes]:
    """Build a batch-query body from records (dicts, or exact JSON text)."""
    return array
