"""QianHub responses -> :class:`~etl.batch.FlatBatch`: the flatten step of the pipeline.

:func:`flatten_batch_bodies` reads the raw bodies of ``qianhub.agent.batch-query`` (JSON
arrays of records) and :func:`flatten_shops` the body of ``list-shop``. Each body is split into
records with msgspec as ``list[Raw]``, so every record keeps its exact bytes: a record that
fails validation becomes a :class:`~etl.batch.Reject` holding that text, and the records around
it still load. A record is all or nothing -- a bill with one bad detail is rejected whole, never
loaded in part.

``_rec`` numbers the records of one call across all its bodies (0-based) and ties child rows to
the version of the parent they came from; two versions of one bill in a call are both returned
and the warehouse keeps the newest. ``FlatBatch.records`` counts every record seen, a body that
could not be split counting as one, so ``records == parent rows + rejects``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec
import pyarrow as pa

from etl.batch import REC, FlatBatch, Reject
from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.columns import Staged, Tables
from etl.flatten.qianhub_bills import flatten_bill
from etl.flatten.qianhub_delivery import flatten_delivery
from etl.flatten.qianhub_envelope import Envelope, decode, parse_envelope, reject_context
from etl.flatten.qianhub_fast import flatten_fast
from etl.flatten.qianhub_native import flatten_native
from etl.flatten.qianhub_stats import flatten_dayend, flatten_handover
from etl.flatten.qianhub_tables import (
    BATCH_ENTITIES,
    BATCH_SCHEMAS,
    BILLS_ENTITY,
    DAYEND_STATS_ENTITY,
    HANDOVER_STATS_ENTITY,
    QIANHUB_ENTITIES,
    SHOP_SCHEMAS,
    SHOPS_ENTITY,
)
from etl.flatten.times import parse_date, parse_time
from etl.qianhub.models import Shop, ShopList, code_text

__all__ = [
    "BATCH_ENTITIES",
    "BILLS_ENTITY",
    "DAYEND_STATS_ENTITY",
    "HANDOVER_STATS_ENTITY",
    "QIANHUB_ENTITIES",
    "SHOPS_ENTITY",
    "SUPPORTED_BOH_TYPES",
    "flatten_batch_bodies",
    "flatten_batch_bodies_reference",
    "flatten_shops",
]

VENDOR = "qianhub"
BATCH_ENDPOINT = "batch-query"
SHOPS_ENDPOINT = "list-shop"

Flattener = Callable[[Envelope, BusinessDayRule], Staged]
_FLATTENERS: dict[str, Flattener] = {
    "cashier.finish": flatten_bill,
    "handover.stat": flatten_handover,
    "dayend.stat": flatten_dayend,
    "waimai.order": flatten_delivery,
}
SUPPORTED_BOH_TYPES = frozenset(_FLATTENERS)
"""``boh_type``s flattened; any other is rejected (kept in meta.rejects with its text)."""

_RECORDS = msgspec.json.Decoder(list[msgspec.Raw])
_SHOP_LIST = msgspec.json.Decoder(ShopList)
_SHOP = msgspec.json.Decoder(Shop)
# Errors that mean "this input is bad", as opposed to a bug in this module (which propagates).
_BAD_INPUT = (
    RecordError,
    msgspec.ValidationError,
    msgspec.DecodeError,
    UnicodeDecodeError,  # msgspec raises it for invalid UTF-8 inside a JSON string
    RecursionError,
)


def _text(raw: bytes | msgspec.Raw) -> str:
    """The exact JSON text for ``raw_payload`` (invalid UTF-8 is replaced, never dropped)."""
    return bytes(raw).decode("utf-8", "replace")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecordError):
        return exc.reason
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to decode"
    return str(exc)


def _flatten_record(raw: msgspec.Raw, rule: BusinessDayRule) -> Staged:
    envelope = parse_envelope(raw)
    flattener = _FLATTENERS.get(envelope.boh_type)
    if flattener is None:
        raise RecordError(f"unsupported boh_type {envelope.boh_type!r}")
    return flattener(envelope, rule)


def flatten_batch_bodies(
    bodies: Iterable[bytes], rule: BusinessDayRule, *, native: bool = True
) -> FlatBatch:
    """Flatten ``batch-query`` response bodies into the bill, stat and delivery-order tables.

    All tables of :data:`BATCH_SCHEMAS` are always present (empty ones with their
    schema). A body that is not a JSON array becomes one reject holding the whole body.

    Bills take the native path (:mod:`etl.flatten.qianhub_native`), or the Python fast path
    (:mod:`etl.flatten.qianhub_fast`) where the extension is not built or a body is not a
    JSON array; every record either cannot vouch for, and every other ``boh_type``, goes
    through the reference flattener record by record, so the result equals
    :func:`flatten_batch_bodies_reference` row for row. ``native=False``: the Python fast
    path even where the extension is built (to compare the two).
    """
    bodies = list(bodies)
    quick = flatten_native(bodies, rule) if native else None
    if quick is not None:
        tables, rejects = _reference(quick.others, rule, [])
        return FlatBatch(_merged(quick.tables, tables), _in_order(rejects), quick.records)
    split, body_rejects = _split(bodies)
    fast = flatten_fast(list(split.items()), rule)
    tables, rejects = _reference(((rec, split[rec]) for rec in fast.others), rule, body_rejects)
    records = len(split) + len(body_rejects)
    return FlatBatch(_merged(fast.tables, tables), _in_order(rejects), records)


def _merged(quick: dict[str, pa.Table], reference: Tables) -> dict[str, pa.Table]:
    """The tables of a fast path and of the reference, rows in record order."""
    merged: dict[str, pa.Table] = {}
    for name, table in reference.tables().items():
        fast = quick.get(name)
        if fast is None or fast.num_rows == 0:
            merged[name] = table
        elif table.num_rows == 0:
            merged[name] = fast
        else:  # both paths wrote rows: back into record order (sort_by is stable)
            merged[name] = pa.concat_tables([fast, table]).sort_by(REC)
    return merged


def flatten_batch_bodies_reference(bodies: Iterable[bytes], rule: BusinessDayRule) -> FlatBatch:
    """The simple reference flattener: every record through its per-type flattener, one Python
    row at a time. Production uses :func:`flatten_batch_bodies`; this is what it must equal."""
    split, body_rejects = _split(bodies)
    tables, rejects = _reference(split.items(), rule, body_rejects)
    records = len(split) + len(body_rejects)
    return FlatBatch(tables=tables.tables(), rejects=_in_order(rejects), records=records)


def _in_order(rejects: list[tuple[int, Reject]]) -> list[Reject]:
    """Rejects in record order (ordinals are unique)."""
    return [reject for _, reject in sorted(rejects, key=lambda pair: pair[0])]


def _split(bodies: Iterable[bytes]) -> tuple[dict[int, msgspec.Raw], list[tuple[int, Reject]]]:
    """Records of every body by ordinal ``_rec``, and one reject per body that is not an array
    (which takes one ordinal)."""
    split: dict[int, msgspec.Raw] = {}
    rejects: list[tuple[int, Reject]] = []
    rec = 0
    for body in bodies:
        try:
            records = _RECORDS.decode(body)
        except _BAD_INPUT as exc:
            reason = f"body is not a JSON array: {_reason(exc)}"
            rejects.append((rec, _reject(BATCH_ENDPOINT, reason, body)))
            rec += 1
            continue
        for raw in records:
            split[rec] = raw
            rec += 1
    return split, rejects


def _reference(
    records: Iterable[tuple[int, msgspec.Raw]],
    rule: BusinessDayRule,
    rejects: list[tuple[int, Reject]],
) -> tuple[Tables, list[tuple[int, Reject]]]:
    """Flatten ``records`` one at a time; returns the tables and ``rejects`` (by ordinal)
    extended with the records that failed."""
    tables = Tables(BATCH_SCHEMAS)
    rejects = list(rejects)
    for rec, raw in records:
        try:
            staged = _flatten_record(raw, rule)
        except _BAD_INPUT as exc:
            key, shop_id = reject_context(bytes(raw))
            rejects.append((rec, _reject(BATCH_ENDPOINT, _reason(exc), raw, key, shop_id)))
        else:
            tables.commit(staged, rec)
    return tables, rejects


def flatten_shops(body: bytes) -> FlatBatch:
    """Flatten a ``list-shop`` response into ``shops``: one row per shop, ``_rec`` its index."""
    tables = Tables(SHOP_SCHEMAS)
    try:
        shops = _SHOP_LIST.decode(body).shops or []
    except _BAD_INPUT as exc:
        reason = f"body is not a list-shop object {{'shops': [...]}}: {_reason(exc)}"
        return FlatBatch(tables.tables(), [_reject(SHOPS_ENDPOINT, reason, body)], 1)
    rejects: list[Reject] = []
    for rec, raw in enumerate(shops):
        try:
            row = _shop_row(decode(_SHOP, raw, "shop"))
        except _BAD_INPUT as exc:
            key, shop_id = _shop_context(raw)
            if shop_id is None:
                rejects.append(_reject(SHOPS_ENDPOINT, _reason(exc), raw, key, shop_id))
                continue
            # A bad descriptive field must not stop the shop's bills from loading: keep the id
            # (other columns NULL) and the whole record, with the reason, in meta.rejects.
            reason = f"kept shop_id only: {_reason(exc)}"
            rejects.append(_reject(SHOPS_ENDPOINT, reason, raw, key, shop_id))
            bare = (shop_id, *[None] * (len(SHOP_SCHEMAS["shops"].names) - 2))  # minus id, _rec
            tables.commit({"shops": [bare]}, rec)
        else:
            tables.commit({"shops": [row]}, rec)
    return FlatBatch(tables=tables.tables(), rejects=rejects, records=len(shops))


def _shop_row(shop: Shop) -> tuple[object, ...]:
    return (
        shop.shop_id,
        shop.brand_id,
        shop.brand_name,
        code_text(shop.sn),
        shop.shop_name,
        shop.shop_address,
        shop.shop_contact,
        parse_date(shop.business_on, "business_on"),
        parse_date(shop.latest_business_day, "latest_business_day"),
        parse_time(shop.create_on, "create_on"),
    )


def _shop_context(raw: msgspec.Raw) -> tuple[str | None, int | None]:
    try:
        shop_id = msgspec.json.decode(raw).get("shop_id")
    except (*_BAD_INPUT, AttributeError):
        return None, None
    if type(shop_id) is int and -(2**63) <= shop_id < 2**63:
        return str(shop_id), shop_id
    return None, None


def _reject(
    endpoint: str,
    reason: str,
    raw: bytes | msgspec.Raw,
    record_key: str | None = None,
    shop_id: int | None = None,
) -> Reject:
    return Reject(VENDOR, endpoint, reason, _text(raw), record_key=record_key, shop_id=shop_id)
