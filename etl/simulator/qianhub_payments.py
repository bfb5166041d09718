"""Payment lines of a bill: how a table pays ``real_amount``.

Grain: one dict per ``payments[]`` line. Invariant: ``sum(value - change) == real_amount``.
Cash may be tendered in notes with change; vouchers (代金券) pay part and never give change;
split payments (two lines) and custom payments (团购, user-named, 12-digit sn) occur as in a
real shop. ``unreal`` (虚收) is always 0, so the stats' ``unrealVoucher`` lines stay 0.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_CEILING, Decimal

from etl.simulator.qianhub_catalog import CUSTOM_PAYMENTS, PAYMENT_TYPES, VOUCHERS
from etl.simulator.qianhub_common import wire

Node = dict[str, object]
ZERO = Decimal(0)
PAY_KINDS = ("tenpay", "alipay", "cash", "card", "voucher", "custom", "debit", "split")
PAY_WEIGHTS = (45, 25, 10, 7, 5, 4, 1, 3)


def payment_lines(rng: random.Random, kind: str, real: Decimal) -> tuple[list[Node], Decimal]:
    """Payment lines summing (value - change) to ``real``, and the voucher amount used.

    ``kind`` is the customer's intent; a voucher bigger than the bill or a split of a tiny
    bill falls back to WeChat, as a cashier would.
    """
    if kind == "voucher":
        face, name = rng.choice(VOUCHERS)
        if real > face + 10:
            rest = _line("tenpay" if rng.random() < 0.7 else "cash", real - face)
            return [_line("voucher", face, name=name), rest], face
        kind = "tenpay"
    if kind == "split" and real >= 2:
        first_kind, second_kind = rng.sample(("tenpay", "alipay", "card", "cash"), 2)
        first = max(Decimal(1), Decimal(math.floor(real * Decimal(rng.uniform(0.3, 0.7)))))
        return [_line(first_kind, first), _line(second_kind, real - first)], ZERO
    if kind == "split":
        kind = "tenpay"
    if kind == "cash" and rng.random() < 0.7:
        note = Decimal(rng.choice((10, 50, 100)))
        tendered = (real / note).to_integral_value(rounding=ROUND_CEILING) * note
        return [_line("cash", tendered, change=tendered - real)], ZERO
    if kind == "custom":
        sn, name = rng.choice(CUSTOM_PAYMENTS)
        return [_line("custom", real, name=name, sn=sn)], ZERO
    return [_line(kind, real)], ZERO


def _line(
    kind: str, value: Decimal, *, change: Decimal = ZERO, name: str = "", sn: str = ""
) -> Node:
    type_id, default_sn, default_name = PAYMENT_TYPES[kind]
    return {
        "payment_type_id": type_id,
        "payment_type_name": name or default_name,
        "payment_type_sn": sn or default_sn,
        "value": wire(value),
        "change": wire(change),
        "unreal": 0,
    }
