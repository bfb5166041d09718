"""Pospal (银豹) answers -> :class:`~etl.batch.FlatBatch`: the flatten step of the pipeline.

Each function reads raw HTTP bodies of one kind of call. A body is split into records
(:mod:`etl.flatten.pospal_envelope`: a page, a bare list or a single record are all accepted),
and each record keeps its exact bytes: a record that fails validation becomes a
:class:`~etl.batch.Reject` holding that text (vendor ``pospal``, the endpoint, ``record_key``
= ``sn`` / ``orderNo`` / ``code`` as sent), and the records around it still load. A record is
all or nothing -- a ticket with one bad line is rejected whole. An error answer (``status``
``error``) or a body that is not an answer is one reject holding the whole body.

``_rec`` numbers the records of one call across all its bodies (0-based) and ties child rows to
the record they came from; two copies of one ticket in a call are both returned and the
warehouse keeps the later one. ``FlatBatch.records`` counts every record seen, a body that
yielded none because it was bad counting as one, so ``records == parent rows + rejects``.

Every table is returned (empty ones with their schema), keyed by bare name (``tickets``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import msgspec
import pyarrow as pa

from etl.batch import FlatBatch, Reject
from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.columns import Staged, Tables
from etl.flatten.pospal_envelope import Shape, record_key, reject, split_answer
from etl.flatten.pospal_orders import flatten_order, flatten_pay_method
from etl.flatten.pospal_tables import (
    CUSTOMER_TICKET_SCHEMAS,
    CUSTOMER_TICKETS_ENTITY,
    ORDER_SCHEMAS,
    ORDERS_ENTITY,
    PAY_METHOD_SCHEMAS,
    PAY_METHODS_ENTITY,
    POSPAL_ENTITIES,
    POSPAL_SCHEMAS,
    TICKET_SCHEMAS,
    TICKETS_ENTITY,
)
from etl.flatten.pospal_tickets import (
    DEFAULT_PAY_METHOD_NAMES,
    flatten_history_ticket,
    flatten_ticket,
)

__all__ = [
    "CUSTOMER_TICKETS_ENTITY",
    "CUSTOMER_TICKET_SCHEMAS",
    "DEFAULT_PAY_METHOD_NAMES",
    "ORDERS_ENTITY",
    "ORDER_SCHEMAS",
    "PAY_METHODS_ENTITY",
    "PAY_METHOD_SCHEMAS",
    "POSPAL_ENTITIES",
    "POSPAL_SCHEMAS",
    "TICKETS_ENTITY",
    "TICKET_SCHEMAS",
    "flatten_customer_history",
    "flatten_order_pages",
    "flatten_pay_methods",
    "flatten_ticket_pages",
]

# Endpoint names for rejects, by the shape the records came in (pages and lists, or one).
TICKET_ENDPOINTS = ("queryTicketPages", "queryTicketBySn")
ORDER_ENDPOINTS = ("queryOrderPages", "queryOrderByNo")
HISTORY_ENDPOINT = "queryCustomerHistoryTicketsByUid"
PAY_METHODS_ENDPOINT = "queryAllPayMethod"

# Errors that mean "this input is bad", as opposed to a bug in this module (which propagates).
_BAD_INPUT = (
    RecordError,
    msgspec.ValidationError,
    msgspec.DecodeError,
    UnicodeDecodeError,  # msgspec raises it for invalid UTF-8 inside a JSON string
    RecursionError,
)

RecordFlattener = Callable[[msgspec.Raw], Staged]


def flatten_ticket_pages(
    bodies: Iterable[bytes],
    rule: BusinessDayRule,
    *,
    account: str,
    pay_methods: Mapping[str, str] | None = None,
    endpoint: str | None = None,
) -> FlatBatch:
    """Flatten ticket answers into tickets, ticket_items, ticket_item_attributes,
    ticket_payments and refund_links.

    Takes ``queryTicketPages`` pages as well as single-ticket answers (``queryTicketBySn``,
    ``queryTicketByOrderNo``, refund look-ups). ``pay_methods`` maps ``payCode_N`` to the
    store's name (from :func:`flatten_pay_methods`); unknown codes are named only for
    ``payCode_1`` (现金). ``endpoint`` names the call in rejects; by default
    ``queryTicketPages`` for pages and lists, ``queryTicketBySn`` for a single ticket.
    """
    names = pay_methods or {}
    return _flatten(
        bodies,
        TICKET_SCHEMAS,
        _endpoints(endpoint, TICKET_ENDPOINTS),
        "sn",
        lambda raw: flatten_ticket(raw, rule, account, names),
    )


def flatten_order_pages(
    bodies: Iterable[bytes],
    rule: BusinessDayRule,
    *,
    account: str,
    endpoint: str | None = None,
) -> FlatBatch:
    """Flatten ``queryOrderPages`` pages (or single ``queryOrderByNo`` answers) into orders
    and order_items."""
    return _flatten(
        bodies,
        ORDER_SCHEMAS,
        _endpoints(endpoint, ORDER_ENDPOINTS),
        "orderNo",
        lambda raw: flatten_order(raw, rule, account),
    )


def flatten_customer_history(
    bodies: Iterable[bytes],
    rule: BusinessDayRule,
    *,
    account: str,
    customer_uid: int,
) -> FlatBatch:
    """Flatten ``queryCustomerHistoryTicketsByUid`` pages of member ``customer_uid`` into
    customer_tickets: one row per (customer_uid, store, sn), across stores."""
    return _flatten(
        bodies,
        CUSTOMER_TICKET_SCHEMAS,
        (HISTORY_ENDPOINT, HISTORY_ENDPOINT),
        "sn",
        lambda raw: flatten_history_ticket(raw, rule, account, customer_uid),
    )


def flatten_pay_methods(body: bytes, *, account: str) -> FlatBatch:
    """Flatten one ``queryAllPayMethod`` answer into pay_methods: one row per method."""
    return _flatten(
        [body],
        PAY_METHOD_SCHEMAS,
        (PAY_METHODS_ENDPOINT, PAY_METHODS_ENDPOINT),
        "code",
        lambda raw: flatten_pay_method(raw, account),
    )


def _endpoints(override: str | None, defaults: tuple[str, str]) -> tuple[str, str]:
    return (override, override) if override else defaults


def _flatten(
    bodies: Iterable[bytes],
    schemas: Mapping[str, pa.Schema],
    endpoints: tuple[str, str],
    key_field: str,
    flatten_record: RecordFlattener,
) -> FlatBatch:
    """Split every body, flatten every record, and collect rows and rejects."""
    tables = Tables(schemas)
    rejects: list[Reject] = []
    rec = 0
    for body in bodies:
        try:
            shape, records = split_answer(body)
        except _BAD_INPUT as exc:
            rejects.append(reject(endpoints[0], _reason(exc), body))
            rec += 1
            continue
        endpoint = endpoints[1] if shape is Shape.SINGLE else endpoints[0]
        for raw in records:
            try:
                staged = flatten_record(raw)
            except _BAD_INPUT as exc:
                rejects.append(reject(endpoint, _reason(exc), raw, record_key(raw, key_field)))
            else:
                tables.commit(staged, rec)
            rec += 1
    return FlatBatch(tables=tables.tables(), rejects=rejects, records=rec)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecordError):
        return exc.reason
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to decode"
    return str(exc)
