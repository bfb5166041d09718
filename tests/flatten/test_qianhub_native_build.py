"""The native bill path's build (``etl/flatten/native/``): present, compiled from the C
sources beside it (a build of other sources is named and left unused), and its columns and
record shapes those of the Arrow schemas and msgspec models the reference decodes with."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest

from etl.flatten import native_sources, qianhub_native
from etl.qianhub import models


def test_the_extension_is_built() -> None:
    """CI installs with a C compiler: a silent fallback to the Python path would hide a
    broken build (and make every native test below a no-op)."""
    assert qianhub_native.AVAILABLE, "etl.flatten._native missing: reinstall with a C compiler"


def test_native_columns_are_the_schemas() -> None:
    from etl.flatten import _native

    assert qianhub_native.columns_match(_native.tables()) == []


def test_the_build_is_of_the_sources_beside_it() -> None:
    from etl.flatten import _native

    assert len(_native.SOURCE_HASH) == 64
    assert native_sources.source_hash() == _native.SOURCE_HASH
    assert qianhub_native.stale_reason(_native, native_sources.source_hash()) is None


def test_a_build_of_other_sources_is_stale(tmp_path: Path) -> None:
    """What the import does with a build the C has moved on from: named, then left unused."""
    from etl.flatten import _native

    for name in native_sources.C_FILES + native_sources.HEADERS:
        (tmp_path / name).write_bytes((native_sources.FOLDER / name).read_bytes())
    assert native_sources.source_hash(tmp_path) == native_sources.source_hash()
    (tmp_path / "json.c").write_bytes((tmp_path / "json.c").read_bytes() + b"\n/* edit */\n")
    edited = native_sources.source_hash(tmp_path)
    assert edited is not None and edited != native_sources.source_hash()
    reason = qianhub_native.stale_reason(_native, edited)
    assert reason == (
        f"compiled from other C sources (built {_native.SOURCE_HASH[:12]}, sources {edited[:12]})"
    )
    older = SimpleNamespace(tables=_native.tables)  # compiled before SOURCE_HASH existed
    assert "built unknown" in str(qianhub_native.stale_reason(older, edited))
    # Sources not installed beside the module: only the columns can be compared.
    (tmp_path / "bills.h").unlink()
    assert native_sources.source_hash(tmp_path) is None
    assert qianhub_native.stale_reason(older, None) is None
    renamed = SimpleNamespace(tables=lambda: {**_native.tables(), "bills": [("id", "int64")]})
    assert str(qianhub_native.stale_reason(renamed, None)).startswith("bills: native")
    assert qianhub_native.stale_reason(SimpleNamespace(), None) == (
        "it describes no tables (a build older than this wrapper)"
    )


_KINDS = {
    models.Int64: "int64",
    models.Int64 | None: "int64",
    models.Int32 | None: "int32",
    str: "time",  # the one required str: cashier_on
    str | None: "text",
    models.Code | None: "code",
    list[str] | None: "tags",
}


@pytest.mark.parametrize(
    "model",
    [models.Bill, models.Order, models.Detail, models.Goods, models.Payment],
)
def test_native_shapes_mirror_the_models(model: type[msgspec.Struct]) -> None:
    """Every field of the msgspec model, with its type and whether it is required, and no
    other: the C tables cannot drift from the models the reference decodes with."""
    from etl.flatten import _native

    shapes = _native.shapes()
    quantity = {"quantity", "void_quantity", "weight"}
    expected = []
    for field in msgspec.structs.fields(model):
        if field.type is msgspec.Raw:
            kind = "quantity" if field.name in quantity else "money"
        elif field.name in ("create_on",):
            kind = "time"
        elif field.name in ("orders", "details", "children", "payments", "promotions"):
            kind = {"orders": "Order", "payments": "Payment", "promotions": "Promotion"}.get(
                field.name, "Detail"
            )
        elif field.name == "discounts":
            kind = "Discount"
        elif field.name == "goods":
            kind = "Goods"
        else:
            kind = _KINDS[field.type]
        expected.append((field.name, kind, field.required))
    assert sorted(shapes[model.__name__]) == sorted(expected)


def test_promotion_and_discount_shapes_mirror_the_models() -> None:
    from etl.flatten import _native

    shapes = _native.shapes()
    for model in (models.Promotion, models.Discount):
        names = {f.name for f in msgspec.structs.fields(model)}
        assert {name for name, _, _ in shapes[model.__name__]} == names
