"""``handover.stat`` (shift report) and ``dayend.stat`` (day-end report) bodies.

Grain: one ``json`` per report, sections in the document's order -- ``summary`` (key/item/value
strings), ``detail``, ``waive``, ``sale``, ``member``, ``goods`` (key/item/count/amount lines,
``subdetail`` nested: goods group -> subgroup), ``waimai`` and ``waimaiGoods`` (empty: these
shops take no delivery orders). A day-end report adds ``businessDay`` first.

Figures are computed from the *final* versions of the bills the report covers, so they
reconcile with what the warehouse keeps:

* summary ``bill`` = number of bills; ``order``/``person`` = orders and guests;
* detail: one line per payment kind, count = payment lines, amount = sum(value - change);
  ``cashierSum`` amount = sum of the bills' ``paid``;
* sale: ``goodsSubGroup`` = sum ``goods_amount``, ``saleSum`` amount = sum ``amount``;
* waive: ``discount`` = -sum ``discount``, ``promotion`` = -sum ``promotion``, ``rounding`` =
  sum ``rounding``, ``waiveSum`` = their total; hence ``saleSum - waiveSum == cashierSum``;
* goods: every detail node (children too) under its group and subgroup, count = quantity -
  void_quantity, amount = the node's own amount; ``expectValue`` = sale ``goodsSubGroup``.

Gifts are priced 0 in the bill, so the ``free`` (赠送) and other waive lines stay 0.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from etl.simulator.qianhub_catalog import PAYMENT_KIND_BY_TYPE
from etl.simulator.qianhub_common import dec, node_amount, q2, wire
from etl.simulator.qianhub_shops import ShopProfile

Bill = dict[str, object]
Line = dict[str, object]
Key = tuple[int, str]
Tally = dict[tuple[Key, Key], tuple[int, Decimal]]
"""(goods group, subgroup) -> (count, amount) over one bill's detail nodes."""
ZERO = Decimal(0)

_DETAIL_ITEMS = (
    ("cash", "现金"),
    ("card", "银行卡"),
    ("tenpay", "微信"),
    ("alipay", "支付宝"),
    ("voucher", "代金券实收"),
    ("debit", "挂单"),
    ("custom", "自定义实收"),
)
_ZERO_WAIVES = (
    ("waive", "免单"),
    ("point", "积分抵现"),
    ("free", "赠送"),
    ("change", "改价"),
)


def goods_tally(bill: Bill) -> Tally:
    """Count and amount of every detail node of ``bill`` by (group, subgroup).

    Computed once per final bill and shared by the shift and day-end reports.
    """
    tally: Tally = {}
    for group, subgroup, count, amount in _all_nodes(bill):
        before = tally.get((group, subgroup), (0, ZERO))
        tally[group, subgroup] = (before[0] + count, before[1] + amount)
    return tally


def stat_json(
    bills: list[Bill], tallies: Mapping[object, Tally], shop: ShopProfile, rng: random.Random
) -> dict[str, object]:
    """The sections of a report over ``bills`` (final versions); ``tallies`` by ``bill_id``."""
    sale_total = sum((dec(b["amount"]) for b in bills), ZERO)
    goods = [tallies[b["bill_id"]] for b in bills]
    return {
        "summary": _summary(bills, shop, sale_total),
        "detail": _detail(bills),
        "waive": _waive(bills),
        "sale": _sale(bills, goods, sale_total),
        "member": _member(rng),
        "goods": _goods(goods),
        "waimai": [],
        "waimaiGoods": [],
    }


def line(key: str, item: str, count: int, amount: Decimal, sub: list[Line] | None = None) -> Line:
    return {
        "key": key,
        "item": item,
        "count": count,
        "amount": wire(amount),
        "subdetail": sub or [],
    }


def _summary(bills: list[Bill], shop: ShopProfile, sale_total: Decimal) -> list[Line]:
    orders = [o for b in bills for o in _list(b["orders"])]
    persons = sum(int(str(o["person_count"])) for o in orders)

    def ratio(part: Decimal, whole: int) -> Decimal:
        return q2(part / whole) if whole else ZERO

    values = (
        ("order", "开台数", str(len(orders))),
        ("person", "就餐人数", str(persons)),
        ("avgOfPerson", "人均消费", f"{ratio(sale_total, persons):.2f}"),
        ("avgOfOrder", "桌均消费", f"{ratio(sale_total, len(orders)):.2f}"),
        ("turnRate", "翻台率", f"{ratio(Decimal(len(orders) * 100), len(shop.tables)):.2f}%"),
        ("personRate", "上座率", f"{ratio(Decimal(persons * 100), shop.seats):.2f}%"),
        ("bill", "收银单数", str(len(bills))),
    )
    return [{"key": key, "item": item, "value": value} for key, item, value in values]


def _detail(bills: list[Bill]) -> list[Line]:
    by_kind: dict[str, list[Line]] = defaultdict(list)
    for bill in bills:
        for payment in _list(bill["payments"]):
            by_kind[PAYMENT_KIND_BY_TYPE[int(str(payment["payment_type_id"]))]].append(payment)
    lines = []
    for kind, item in _DETAIL_ITEMS:
        payments = by_kind.get(kind, [])
        # Vouchers and custom payments are broken down by their (user-defined) names.
        named = kind in ("voucher", "custom")
        sub = _grouped((str(p["payment_type_name"]), _net(p)) for p in payments) if named else []
        lines.append(line(kind, item, len(payments), sum(map(_net, payments), ZERO), sub))
    paid = sum((dec(b["paid"]) for b in bills), ZERO)
    lines.append(line("cashierSum", "合计", sum(len(v) for v in by_kind.values()), paid))
    return lines


def _waive(bills: list[Bill]) -> list[Line]:
    discounted = [b for b in bills if dec(b["discount"]) != 0]
    promoted = [b for b in bills if dec(b["promotion"]) != 0]
    rounded = [b for b in bills if dec(b["rounding"]) != 0]
    discount = -sum((dec(b["discount"]) for b in bills), ZERO)
    promotion = -sum((dec(b["promotion"]) for b in bills), ZERO)
    rounding = sum((dec(b["rounding"]) for b in bills), ZERO)
    discount_sub = _grouped(
        (str(d["discount_name"]), -dec(d["value"])) for b in bills for d in _list(b["discounts"])
    )
    promotion_sub = _grouped(
        (str(p["promotion_name"]), -dec(p["value"])) for b in bills for p in _list(b["promotions"])
    )
    count = len(discounted) + len(promoted) + len(rounded)
    return [
        line("discount", "折扣", len(discounted), discount, discount_sub),
        line("promotion", "促销优惠", len(promoted), promotion, promotion_sub),
        *(line(key, item, 0, ZERO) for key, item in _ZERO_WAIVES),
        line("rounding", "抹零", len(rounded), rounding),
        line("unrealVoucher", "代金券虚收", 0, ZERO),
        line("unrealCustom", "自定义虚收", 0, ZERO),
        line("waiveSum", "合计", count, discount + promotion + rounding),
    ]


def _sale(bills: list[Bill], tallies: list[Tally], sale_total: Decimal) -> list[Line]:
    goods_count = sum(count for tally in tallies for count, _ in tally.values())
    goods = sum((dec(b["goods_amount"]) for b in bills), ZERO)
    orders = [o for b in bills for o in _list(b["orders"])]
    surcharged = [o for o in orders if dec(o["surcharge"]) != 0]
    minimum = [o for o in orders if dec(o["mincharge"]) != 0]
    return [
        line("goodsSubGroup", "菜品销售", goods_count, goods),
        line(
            "surcharge", "服务费", len(surcharged), sum((dec(o["surcharge"]) for o in orders), ZERO)
        ),
        line("mincharge", "低消差", len(minimum), sum((dec(o["mincharge"]) for o in orders), ZERO)),
        line("tax", "消费税", 0, ZERO),
        line("extra", "不找赎", 0, ZERO),
        line("saleSum", "合计", goods_count + len(surcharged) + len(minimum), sale_total),
    ]


def _member(rng: random.Random) -> list[Line]:
    # Stored-value top-ups happen at the counter, unrelated to the bills of the shift.
    charges = rng.choice((0, 0, 0, 1, 2))
    charged = Decimal(500 * charges)
    return [
        line("charge", "充值实收", charges, charged),
        line("gift", "充值赠送", charges, q2(charged / 10)),
        line("realstorevalue", "抵扣实收", 0, ZERO),
        line("giftstorevalue", "抵扣赠送", 0, ZERO),
        line("point", "积分抵现", 0, ZERO),
    ]


def _goods(tallies: list[Tally]) -> list[Line]:
    groups: dict[Key, dict[Key, tuple[int, Decimal]]] = defaultdict(dict)
    for tally in tallies:
        for (group, subgroup), (count, amount) in tally.items():
            before = groups[group].get(subgroup, (0, ZERO))
            groups[group][subgroup] = (before[0] + count, before[1] + amount)
    lines = []
    all_count, all_amount = 0, ZERO
    for group in sorted(groups):
        subs = [line(name, name, c, a) for (_, name), (c, a) in sorted(groups[group].items())]
        count = sum(c for c, _ in groups[group].values())
        amount = sum((a for _, a in groups[group].values()), ZERO)
        lines.append(line(group[1], group[1], count, amount, subs))
        all_count += count
        all_amount += amount
    lines.append(line("expectValue", "合计", all_count, all_amount))
    return lines


def _all_nodes(bill: Bill) -> Iterator[tuple[Key, Key, int, Decimal]]:
    def walk(nodes: list[Line]) -> Iterator[tuple[Key, Key, int, Decimal]]:
        for node in nodes:
            goods = node["goods"]
            assert isinstance(goods, dict)
            count = int(str(node["quantity"])) - int(str(node["void_quantity"]))
            yield (
                (goods["goods_group_id"], goods["goods_group_name"]),
                (goods["goods_subgroup_id"], goods["goods_subgroup_name"]),
                count,
                node_amount(node),
            )
            yield from walk(_list(node["children"]))

    for order in _list(bill["orders"]):
        yield from walk(_list(order["details"]))


def _grouped(items: Iterable[tuple[str, Decimal]]) -> list[Line]:
    totals: dict[str, list[Decimal]] = {}
    for name, amount in items:
        entry = totals.setdefault(name, [ZERO, ZERO])
        entry[0] += 1
        entry[1] += amount
    return [line(name, name, int(c), a) for name, (c, a) in totals.items()]


def _net(payment: Line) -> Decimal:
    return dec(payment["value"]) - dec(payment["change"])


def _list(value: object) -> list[Line]:
    assert isinstance(value, list)
    return value
