"""Pospal tickets (单据) -> tickets, their items, item attributes, payments and refund links;
member histories -> customer_tickets.

Grain: one ``tickets`` row per ticket record; one ``ticket_items`` row per ``items[]`` line and
one ``ticket_payments`` row per ``payments[]`` line, numbered by ``line_no`` (0-based position,
the lines have no id); one ``ticket_item_attributes`` row per ``ticketitemattributes[]`` entry
of a line (``attr_no``); one ``refund_links`` row per ``SELL_RETURN`` ticket that names its sale
(``sellTicketUid``). Every row carries ``account``, the ticket's ``sn`` and ``business_date``
(the business day of ``datetime``).

Vendor conventions made explicit (``../shared/specs/README.md``):

* ``ticketType`` is read without case: ``SELL`` or ``SELL_RETURN``; anything else (including
  the push service's numeric types) is a reject. ``ticket_type`` holds it upper-cased,
  ``ticket_type_raw`` as sent.
* Return amounts are positive; ``signed_amount`` is ``total_amount`` for sales and
  ``-|total_amount|`` for returns, so ``sum(signed_amount)`` is net sales. Voided tickets
  (``invalid = 1`` -> ``is_void``) keep their amounts: filter them out with ``NOT is_void``.
  An absent ``invalid`` reads as not voided.
* ``customerUid`` 0 (or absent) means no member: ``customer_uid`` is NULL, ``is_member`` false.
* Payment names are not on the ticket: they come from the store's ``queryAllPayMethod``
  (``pay_methods``); only ``payCode_1`` (cash, 现金) is universal and named without it.

A record is all or nothing: any bad field rejects the whole ticket.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec

from etl.business_day import BusinessDayRule
from etl.errors import RecordError
from etl.flatten.columns import Row, Staged
from etl.flatten.decimals import money, quantity
from etl.flatten.pospal_values import flag, percent, price, require_key, text_value
from etl.flatten.qianhub_envelope import decode
from etl.flatten.times import require_time
from etl.pospal.models import Cashier, Ticket, code_text

TICKET_TYPES = frozenset({"SELL", "SELL_RETURN"})
RETURN = "SELL_RETURN"

DEFAULT_PAY_METHOD_NAMES: Mapping[str, str] = {"payCode_1": "现金"}
"""Names known without asking the store: only cash is the same code everywhere."""

_TICKET = msgspec.json.Decoder(Ticket)
_NO_CASHIER = Cashier()


def parse_ticket(raw: msgspec.Raw) -> Ticket:
    """Decode one ticket record; a structural error names the field (``ticket.items[0]...``)."""
    ticket = decode(_TICKET, raw, "ticket")
    require_key(ticket.sn, "ticket.sn")
    return ticket


def ticket_facts(ticket: Ticket, rule: BusinessDayRule) -> tuple[dt.date, Row]:
    """``(business_date, facts)``: the columns tickets and customer_tickets share, in the
    order of ``_TICKET_FACTS`` in :mod:`etl.flatten.pospal_tables`."""
    ticket_time = require_time(ticket.datetime, "ticket.datetime")
    ticket_type = ticket.ticket_type.upper()
    if ticket_type not in TICKET_TYPES:
        raise RecordError(f"ticket.ticketType {ticket.ticket_type!r} is not SELL or SELL_RETURN")
    is_return = ticket_type == RETURN
    total = money(ticket.total_amount, "ticket.totalAmount")
    signed = -abs(total) if is_return and total is not None else total
    facts = (
        ticket.uid,
        ticket_time,
        ticket.cashier_uid,
        total,
        signed,
        price(ticket.total_profit, "ticket.totalProfit"),
        percent(ticket.discount, "ticket.discount"),
        money(ticket.rounding, "ticket.rounding"),
        ticket_type,
        ticket.ticket_type,
        flag(ticket.invalid, "ticket.invalid") is True,
        is_return,
        ticket.external_order_no,
        ticket.remark,
        len(ticket.items or ()),
    )
    return rule.business_date(ticket_time), facts


def flatten_ticket(
    raw: msgspec.Raw, rule: BusinessDayRule, account: str, pay_names: Mapping[str, str]
) -> Staged:
    """Rows of one ticket; raises :class:`RecordError` naming the first bad field.

    ``pay_names`` maps ``payCode_N`` to the store's name for it.
    """
    ticket = parse_ticket(raw)
    business_date, facts = ticket_facts(ticket, rule)
    head = (account, ticket.sn)
    customer_uid = ticket.customer_uid or None
    cashier = ticket.cashier or _NO_CASHIER
    ticket_row = (
        *head,
        business_date,
        *facts,
        code_text(cashier.job_number),
        cashier.name,
        customer_uid,
        customer_uid is not None,
        ticket.sell_ticket_uid,
        ticket.ticket_store_app_id_or_account,
    )
    items, attributes = _item_rows(ticket, head, business_date)
    refunds: list[Row] = []
    if ticket.ticket_type.upper() == RETURN and ticket.sell_ticket_uid is not None:
        refunds.append((*head, business_date, ticket.uid, ticket.sell_ticket_uid))
    return {
        "tickets": [ticket_row],
        "ticket_items": items,
        "ticket_item_attributes": attributes,
        "ticket_payments": _payment_rows(ticket, head, business_date, pay_names),
        "refund_links": refunds,
    }


def flatten_history_ticket(
    raw: msgspec.Raw, rule: BusinessDayRule, account: str, customer_uid: int
) -> Staged:
    """One ``customer_tickets`` row for a ticket of ``customer_uid``'s history.

    The member is the one asked for (the document's example history even shows
    ``customerUid: 0`` on the rows). Only the ticket's own fields are stored and validated
    beyond structure: lines of another store's ticket are not loaded here. The store
    (``ticketStoreAppIdOrAccount``) is part of the key, so a ticket without it is a reject.
    """
    ticket = parse_ticket(raw)
    business_date, facts = ticket_facts(ticket, rule)
    store = ticket.ticket_store_app_id_or_account
    if not store:
        raise RecordError(
            "ticket.ticketStoreAppIdOrAccount is missing; the store is part of the key"
        )
    return {"customer_tickets": [(account, customer_uid, store, ticket.sn, business_date, *facts)]}


def pay_method_name(code: str, pay_names: Mapping[str, str]) -> str | None:
    """The store's name for ``code``, else the universal one (``payCode_1`` 现金), else None."""
    return pay_names.get(code) or DEFAULT_PAY_METHOD_NAMES.get(code)


def _payment_rows(
    ticket: Ticket, head: tuple[str, str], business_date: dt.date, pay_names: Mapping[str, str]
) -> list[Row]:
    return [
        (
            *head,
            n,
            business_date,
            line.code,
            pay_method_name(line.code, pay_names),
            money(line.amount, f"ticket.payments[{n}].amount"),
        )
        for n, line in enumerate(ticket.payments or ())
    ]


def _item_rows(
    ticket: Ticket, head: tuple[str, str], business_date: dt.date
) -> tuple[list[Row], list[Row]]:
    items: list[Row] = []
    attributes: list[Row] = []
    for line_no, item in enumerate(ticket.items or ()):
        where = f"ticket.items[{line_no}]"
        items.append(
            (
                *head,
                line_no,
                business_date,
                item.product_uid,
                item.name,
                code_text(item.product_barcode),
                price(item.buy_price, f"{where}.buyPrice"),
                price(item.sell_price, f"{where}.sellPrice"),
                price(item.customer_price, f"{where}.customerPrice"),
                quantity(item.quantity, f"{where}.quantity"),
                percent(item.discount, f"{where}.discount"),
                percent(item.customer_discount, f"{where}.customerDiscount"),
                money(item.total_amount, f"{where}.totalAmount"),
                price(item.total_profit, f"{where}.totalProfit"),
                flag(item.is_customer_discount, f"{where}.isCustomerDiscount"),
                flag(item.is_weighing, f"{where}.isWeighing"),
            )
        )
        for attr_no, attribute in enumerate(item.ticketitemattributes or ()):
            value = text_value(
                attribute.attribute_value,
                f"{where}.ticketitemattributes[{attr_no}].attributeValue",
            )
            attributes.append(
                (*head, line_no, attr_no, business_date, attribute.attribute_name, value)
            )
    return items, attributes
