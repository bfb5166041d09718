"""Pospal tickets (单据): sales, returns and re-checkouts, money settled exactly.

Grain: a :class:`TicketSpec` is what the till knows about one ticket *version*; :func:`render`
turns it into the document's JSON shape. A re-checkout (反结账) is a new spec with the same
``uid``, ``sn`` and ``datetime`` and changed lines or payments; a return (``SELL_RETURN``) is a
spec over a subset of an earlier sale's lines, with ``sellTicketUid`` pointing to that sale.

Money invariants (:class:`~decimal.Decimal`, fen precision), for every rendered version:

* item ``totalAmount`` = q2((unit + taste surcharges) x quantity x discount/100 x
  customerDiscount/100), unit = ``customerPrice`` when ``isCustomerDiscount`` = 1 else
  ``sellPrice``; item ``totalProfit`` = ``totalAmount`` - q2(``buyPrice`` x quantity);
* ticket ``totalAmount`` = q2(sum of item totals x ``discount``/100) - ``rounding`` (抹零 >= 0);
* ticket ``totalProfit`` = ``totalAmount`` - sum of q2(``buyPrice`` x quantity);
* sum of ``payments[].amount`` = ``totalAmount``, every amount > 0.

Returns keep all amounts positive, as the vendor does (analysts negate them). ``ticketType`` is
spelt in mixed case (``SELL``, ``sell``, ``Sell_Return`` ...): the document says "不区分大小写".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from etl.simulator.pospal_catalog import CASE, TASTE_OPTIONS, WEIGHED
from etl.simulator.pospal_stores import Cashier, Product, StoreProfile
from etl.simulator.qianhub_common import GRAM, fmt_time, q2, wire

Ticket = dict[str, object]
HUNDRED = Decimal(100)
SELL_SPELLINGS = ("SELL", "SELL", "SELL", "sell", "Sell")
RETURN_SPELLINGS = ("SELL_RETURN", "SELL_RETURN", "sell_return", "Sell_Return")
_LINE_DISCOUNTS = tuple(Decimal(d) for d in ("95", "90", "88", "85", "80", "92.5"))
_TICKET_DISCOUNTS = tuple(Decimal(d) for d in ("98", "95", "90", "88"))


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: Decimal
    discount: Decimal  # percent, 100 = none
    member_discount: Decimal  # customerDiscount, percent
    member_price: bool  # isCustomerDiscount
    options: tuple[tuple[str, Decimal], ...] = ()

    @property
    def unit(self) -> Decimal:
        base = self.product.member if self.member_price else self.product.sell
        return base + sum((price for _, price in self.options), Decimal(0))

    @property
    def amount(self) -> Decimal:
        factor = self.discount / HUNDRED * self.member_discount / HUNDRED
        return q2(self.unit * self.quantity * factor)

    @property
    def cost(self) -> Decimal:
        return q2(self.product.goods.buy * self.quantity)


@dataclass(frozen=True)
class TicketSpec:
    """One version of one ticket, before rendering."""

    store: StoreProfile
    uid: int
    sn: str
    moment: dt.datetime
    cashier: Cashier
    customer_uid: int  # 0 = no member
    lines: tuple[Line, ...]
    discount: Decimal
    type_text: str
    pay_codes: tuple[str, ...]
    split_seed: int
    rounding: str = "none"
    invalid: bool = False
    remark: str = ""
    external_order_no: str = ""
    sell_ticket_uid: int | None = None

    @property
    def is_return(self) -> bool:
        return self.type_text.upper() == "SELL_RETURN"


def quantity(rng: random.Random, product: Product) -> Decimal:
    kind = product.goods.kind
    if kind == WEIGHED:
        return Decimal(rng.randint(80, 1600)) / 1000
    if kind == CASE:
        return Decimal(rng.choice(("0.5", "1", "1", "2", "3.5")))
    return Decimal(rng.choices((1, 2, 3, 4, 6), weights=(70, 18, 7, 3, 2))[0])


def new_line(rng: random.Random, product: Product, member: bool) -> Line:
    discount = HUNDRED if rng.random() < 0.85 else rng.choice(_LINE_DISCOUNTS)
    member_price = member and product.member < product.sell and rng.random() < 0.8
    member_discount = HUNDRED
    if member and rng.random() < 0.3:
        member_discount = Decimal(rng.choice((98, 95)))
    options: tuple[tuple[str, Decimal], ...] = ()
    if product.goods.tasty:
        options = tuple(rng.sample(TASTE_OPTIONS, rng.choice((0, 1, 1, 2))))
    return Line(product, quantity(rng, product), discount, member_discount, member_price, options)


def new_lines(rng: random.Random, store: StoreProfile, member: bool) -> tuple[Line, ...]:
    count = rng.choices((1, 2, 3, 4, 5, 6), weights=(30, 28, 18, 12, 7, 5))[0]
    products = rng.sample(store.products, min(count, len(store.products)))
    return tuple(new_line(rng, product, member) for product in products)


def ticket_discount(rng: random.Random) -> Decimal:
    return HUNDRED if rng.random() < 0.88 else rng.choice(_TICKET_DISCOUNTS)


def pay_codes(rng: random.Random, store: StoreProfile, member: bool) -> tuple[str, ...]:
    """1..3 distinct codes; 储值卡 only for members."""
    codes = [code for code, name in store.pay_methods if member or name != "储值卡"]
    count = rng.choices((1, 2, 3), weights=(80, 17, 3))[0]
    weights = [6.0 if code == "payCode_1" else 1.0 for code in codes]
    chosen: list[str] = []
    while len(chosen) < min(count, len(codes)):
        code = rng.choices(codes, weights=weights)[0]
        if code not in chosen:
            chosen.append(code)
    return tuple(chosen)


def recheckout(spec: TicketSpec, rng: random.Random) -> TicketSpec:
    """The next version after a 反结账: a line's quantity changes, a line goes or one is added;
    sometimes the payment changes too. Same uid, sn and datetime."""
    lines = list(spec.lines)
    member = spec.customer_uid != 0
    roll = rng.random()
    if roll < 0.4 and len(lines) > 1:
        lines.pop(rng.randrange(len(lines)))
    elif roll < 0.7:
        used = {line.product.uid for line in lines}
        fresh = [p for p in spec.store.products if p.uid not in used]
        lines.append(new_line(rng, rng.choice(fresh or list(spec.store.products)), member))
    else:
        k = rng.randrange(len(lines))
        old = lines[k]
        new_quantity = old.quantity
        while new_quantity == old.quantity:
            new_quantity = quantity(rng, old.product)
        lines[k] = dataclasses.replace(old, quantity=new_quantity)
    codes = spec.pay_codes if rng.random() < 0.6 else pay_codes(rng, spec.store, member)
    return dataclasses.replace(
        spec, lines=tuple(lines), pay_codes=codes, split_seed=rng.randrange(1 << 30)
    )


def return_of(
    sale: TicketSpec, rng: random.Random, uid: int, sn: str, moment: dt.datetime
) -> TicketSpec:
    """A SELL_RETURN of some of ``sale``'s lines, refunded to the sale's first pay method."""
    picked = rng.sample(sale.lines, rng.randint(1, len(sale.lines)))
    lines = []
    for line in picked:
        amount = line.quantity
        if line.product.goods.kind not in (WEIGHED, CASE) and amount > 1 and rng.random() < 0.5:
            amount = Decimal(rng.randint(1, int(amount)))
        lines.append(dataclasses.replace(line, quantity=amount))
    return dataclasses.replace(
        sale,
        uid=uid,
        sn=sn,
        moment=moment,
        cashier=rng.choice(sale.store.cashiers),
        lines=tuple(lines),
        type_text=rng.choice(RETURN_SPELLINGS),
        pay_codes=sale.pay_codes[:1],
        split_seed=0,
        rounding="none",
        invalid=False,
        remark=rng.choice(("", "", "质量问题退货", "顾客不想要了")),
        external_order_no="",
        sell_ticket_uid=sale.uid,
    )


def render(spec: TicketSpec) -> Ticket:
    """The ticket as the API shows it."""
    items = [_item(line) for line in spec.lines]
    subtotal = sum((line.amount for line in spec.lines), Decimal(0))
    after = q2(subtotal * spec.discount / HUNDRED)
    rounding = _rounding(after, spec.rounding)
    total = after - rounding
    cost = sum((line.cost for line in spec.lines), Decimal(0))
    ticket: Ticket = {
        "uid": spec.uid,
        "cashierUid": spec.cashier.uid,
        "cashier": {"jobNumber": spec.cashier.job_number, "name": spec.cashier.name},
        "customerUid": spec.customer_uid,
        "sn": spec.sn,
        "datetime": fmt_time(spec.moment),
        "totalAmount": wire(total),
        "totalProfit": wire(total - cost),
        "discount": wire(spec.discount),
        "externalOrderNo": spec.external_order_no,
        "remark": spec.remark,
        "rounding": wire(rounding),
        "ticketType": spec.type_text,
        "invalid": 1 if spec.invalid else 0,
        "payments": _payments(total, spec.pay_codes, spec.split_seed),
        "items": items,
        "ticketStoreAppIdOrAccount": spec.store.app_id,
    }
    if spec.sell_ticket_uid is not None:
        ticket["sellTicketUid"] = spec.sell_ticket_uid
    return ticket


def _item(line: Line) -> dict[str, object]:
    product = line.product
    return {
        "name": product.goods.name,
        "buyPrice": wire(product.goods.buy),
        "sellPrice": wire(product.sell),
        "customerPrice": wire(product.member),
        "quantity": wire(line.quantity, GRAM),
        "discount": wire(line.discount),
        "customerDiscount": wire(line.member_discount),
        "totalAmount": wire(line.amount),
        "totalProfit": wire(line.amount - line.cost),
        "isCustomerDiscount": 1 if line.member_price else 0,
        "productUid": product.uid,
        "ticketitemattributes": [
            {"attributeName": name, "attributeValue": str(wire(price))}
            for name, price in line.options
        ],
    }


def _rounding(amount: Decimal, policy: str) -> Decimal:
    if policy == "jiao":
        return amount - amount.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    if policy == "yuan" and amount >= 10:
        return amount - amount.to_integral_value(rounding=ROUND_FLOOR)
    return Decimal(0)


def _payments(total: Decimal, codes: tuple[str, ...], seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    if total < Decimal("0.03") * len(codes):
        codes = codes[:1]
    left = total
    lines = []
    for position, code in enumerate(codes):
        if position == len(codes) - 1:
            part = left
        else:
            share = Decimal(rng.randint(10, 60)) / HUNDRED
            room = left - Decimal("0.01") * (len(codes) - 1 - position)
            part = min(max(q2(left * share), Decimal("0.01")), room)
        lines.append({"code": code, "amount": wire(part)})
        left -= part
    return lines
