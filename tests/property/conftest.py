"""Strategies for hostile input: values of the wrong type, numbers beyond int64 and beyond
DECIMAL(18, x), huge and odd strings, odd time formats, and paths into a valid vendor record
where such a value replaces the real one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

settings.register_profile(
    "hostile",
    max_examples=150,
    deadline=None,  # the first example pays for imports and caches
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("hostile")

ODD_TEXT = (
    "",
    " ",
    "null",
    "NaN",
    "Infinity",
    "1e400",
    "-0",
    "0x1F",
    "12345678901234567890.123",
    "2026-13-45 25:61:61",
    "2026/11/02 10:00",
    "2026-11-02T10:00:00+08:00",
    "1730527200000",
    "\u0000\u202e\ufeff",
    "\U0001f600" * 3,
    "\ud800",  # a lone surrogate: valid JSON escape, not valid Unicode
)

hostile_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**63, -(2**63) - 1, 2**31, 10**18, 10**17 + 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(float),
    st.text(max_size=40),
    st.sampled_from(ODD_TEXT),
    st.just("长" * 100_000),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(min_value=0, max_value=9), max_size=3),
)


def example(vendor: str, name: str) -> Any:
    return json.loads((FIXTURES / vendor / name).read_text(encoding="utf-8"))


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (containers and leaves alike)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from leaf_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from leaf_paths(inner, (*prefix, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A deep copy of ``value`` with the item at ``path`` set to ``new``."""
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy
