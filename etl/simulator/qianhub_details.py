"""Detail trees of one order: ``orders[].details[]`` with recursive ``children``.

Grain: one dict per detail node. Depth 0 is a dish the table ordered; its children are 做法
(cooking, price 0), 加料 (add-ons, priced) and, for a 套餐 (set meal, product type 4), the
set's components, which carry price 0 and may have children of their own -- a set inside a
set (小食拼盘 in 双人套餐) with a cooked component gives depth 3, an add-on on it depth 4.

Money rule (what tests rely on): a node costs ``current_price x (quantity - void_quantity) x
weight`` rounded to fen; only top-level nodes carry ``real_amount`` (and ``remark``), equal to
the sum over their subtree, as in the document where children lack both fields.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from etl.simulator.qianhub_catalog import (
    A_LA_CARTE,
    ADDONS,
    COOKINGS,
    GOODS,
    LUNCH_SET,
    REMARKS,
    SET_MEALS,
    TABLEWARE,
    Goods,
)
from etl.simulator.qianhub_common import GRAM, MAX_SEQUENCE, q2, snowflake, tree_amount, wire
from etl.simulator.qianhub_shops import Staff

Node = dict[str, object]


class IdSequence:
    """Snowflake ids of one bill: same time and worker, increasing sequence from ``start``.

    Re-checkout versions start at a higher ``start`` so that details they add get fresh ids
    while the details they keep keep theirs (the vendor reuses the ids of unchanged details).
    """

    def __init__(self, moment: dt.datetime, millis: int, worker: int, start: int = 0) -> None:
        self._moment = moment
        self._millis = millis
        self._worker = worker
        self._next = start

    def __call__(self) -> int:
        if self._next >= MAX_SEQUENCE:
            raise RuntimeError("a bill ran out of snowflake sequence numbers")
        value = snowflake(self._moment, self._millis, self._worker, self._next)
        self._next += 1
        return value


class DetailBuilder:
    """Builds detail trees for one order, drawing every choice from ``rng``."""

    def __init__(self, rng: random.Random, ids: IdSequence, waiter: Staff) -> None:
        self.rng = rng
        self.ids = ids
        self.waiter = waiter

    def order_details(self, persons: int, lunch: bool) -> list[Node]:
        """What a table of ``persons`` orders: tableware, maybe a set meal, a few dishes."""
        rng = self.rng
        details: list[Node] = []
        if rng.random() < 0.8:
            # 餐具/茶位 is charged per seat: quantity is the head count.
            details.append(self.dish(TABLEWARE, persons, remarks=False))
        if rng.random() < 0.45:
            sets = [*SET_MEALS, (LUNCH_SET, 6)] if lunch else list(SET_MEALS)
            details.append(self.dish(self._pick(sets), 1))
        dishes = rng.randint(max(1, persons // 2), min(2 + persons, 12))
        goods_ids = [g for g, _ in A_LA_CARTE]
        weights = [w for _, w in A_LA_CARTE]
        for goods_id in dict.fromkeys(rng.choices(goods_ids, weights, k=dishes)):
            goods = GOODS[goods_id]
            if goods.weighed:
                quantity = 1
            elif goods.unit[1] in ("碗", "瓶"):
                quantity = rng.randint(1, max(1, persons))
            else:
                quantity = rng.choices((1, 2, 3), (80, 15, 5))[0]
            details.append(self.dish(goods_id, quantity))
        return details

    def extra_dish(self) -> Node:
        """One more à la carte dish, quantity 1 (what a re-checkout adds)."""
        return self.dish(self._pick(A_LA_CARTE), 1)

    def dish(self, goods_id: int, quantity: int, *, remarks: bool = True) -> Node:
        """One top-level detail with ``real_amount`` = its subtree's amount."""
        node = self._node(GOODS[goods_id], quantity, top=True, in_set=False)
        remark = self.rng.choice(REMARKS) if remarks and self.rng.random() < 0.15 else None
        tail = {"remark": remark, "children": node.pop("children")}
        node.update(tail)
        return node

    def _pick(self, weighted: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> int:
        return self.rng.choices([g for g, _ in weighted], [w for _, w in weighted])[0]

    def _node(self, goods: Goods, quantity: int, *, top: bool, in_set: bool) -> Node:
        rng = self.rng
        detail_id = self.ids()
        tags: list[str] = []
        origin = goods.price
        if goods.market_price is not None:
            # 时价: the price is set per sale, origin and current alike.
            origin = Decimal(rng.randint(*goods.market_price))
        current = origin
        weight: int | Decimal = 1
        void = 0
        if goods.special_price is not None:
            current = goods.special_price
            tags.append("special")
        if goods.weighed:
            weight = wire(Decimal(rng.randint(600, 3500)) * GRAM, GRAM)
            tags.append("weight")
        if goods.product_type_id == 6:
            tags.append("ingredient")
        elif goods.product_type_id == 7:
            tags.append("cooking")
        children = self._children(goods, quantity, in_set)
        if in_set:
            current = Decimal(0)  # the set meal carries the price of its components
        elif top and goods.product_type_id in (1, 2, 3) and goods.goods_id != TABLEWARE:
            roll = rng.random()
            if roll < 0.03:
                current = Decimal(0)
                tags.append("gift")
            elif roll < 0.05 and origin > 10:
                current = origin - rng.randint(1, 8)
                tags.append("changed")
            elif roll < 0.07:
                current = q2(origin * Decimal("0.8"))
                tags.append("discount")
            elif roll < 0.09 and not children:
                void = 1  # 退菜: one portion sent back; with quantity 1 it costs nothing
                tags.append("return")
        node: Node = {
            "detail_id": detail_id,
            "goods": goods.json,
            "tags": tags,
            "origin_price": wire(origin),
            "current_price": wire(current),
        }
        if top:
            node["real_amount"] = Decimal(0)  # keeps the document's key order; set below
        node.update(
            quantity=quantity,
            void_quantity=void,
            weight=weight,
            staff_id=self.waiter[0],
            staff_name=self.waiter[1],
            children=children,
        )
        if top:
            node["real_amount"] = wire(tree_amount(node))
        return node

    def _children(self, goods: Goods, quantity: int, in_set: bool) -> list[Node]:
        rng = self.rng
        children: list[Node] = []
        for component_id, per_set in goods.components:
            component = GOODS[component_id]
            children.append(self._node(component, per_set * quantity, top=False, in_set=True))
        if goods.cookable and rng.random() < (0.8 if in_set else 0.4):
            for cooking in rng.sample(COOKINGS, rng.choice((1, 1, 2))):
                children.append(self._node(GOODS[cooking], quantity, top=False, in_set=False))
        if goods.addons and rng.random() < (0.5 if in_set else 0.3):
            addon = GOODS[rng.choice(ADDONS)]
            children.append(self._node(addon, quantity, top=False, in_set=False))
        return children
