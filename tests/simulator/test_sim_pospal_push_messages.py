"""world_pushes: a store-day's Pospal push notifications derived from the world -- tickets and
re-checkouts with the world's exact ids, orders and their states, members, stock flows sent
out of order, JSON inside JSON, money as exact decimals, times in Asia/Shanghai."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from etl.simulator import PospalWorld, Push, world_pushes
from etl.simulator.pospal_push_events import STOCK_FLOW_STEPS

DAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
SETTLED = dt.datetime(2026, 11, 8)  # every late upload and re-checkout of DAYS has happened


@pytest.fixture(scope="module")
def world() -> PospalWorld:
    return PospalWorld(seed=11, stores=2, tickets_per_day=(50, 80), members=40, as_of=SETTLED)


@pytest.fixture(scope="module")
def pushes(world: PospalWorld) -> dict[tuple[str, dt.date], list[Push]]:
    return {(app, day): world_pushes(world, app, day) for app in world.accounts() for day in DAYS}


def body(push: Push) -> dict[str, Any]:
    """The inner JSON: ints stay exact (Python's json), money parsed as Decimal."""
    fields = json.loads(push.body, parse_float=Decimal)
    assert isinstance(fields, dict)
    return fields


def shanghai_ms(local: dt.datetime) -> int:
    """Independent of the simulator: Asia/Shanghai has been UTC+8 without DST since 1991."""
    return (calendar.timegm(local.timetuple()) - 8 * 3600) * 1000 + local.microsecond // 1000


def of(pushes: list[Push], cmd: str) -> list[Push]:
    return [p for p in pushes if p.cmd == cmd]


def test_every_ticket_of_the_day_has_one_ticket_new_with_the_worlds_exact_ids(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    returned = 0
    for (app, day), day_pushes in pushes.items():
        tickets = world.tickets(app, day)
        new = [body(p) for p in of(day_pushes, "ticket.new")]
        assert len(new) == len(tickets) > 0
        assert {(b["uid"], b["sn"], b["customerUid"]) for b in new} == {
            (t["uid"], t["sn"], t["customerUid"]) for t in tickets
        }
        returns = {t["uid"] for t in tickets if str(t["ticketType"]).upper() == "SELL_RETURN"}
        kinds = {t["uid"]: 2 if t["uid"] in returns else 1 for t in tickets}
        assert {b["uid"]: b["ticketType"] for b in new} == kinds
        returned += len(returns)
        for push in of(day_pushes, "ticket.new"):
            uid = body(push)["uid"]
            assert uid > 2**53
            # the digits themselves are in the text: no float, no string
            assert re.search(rf'"uid": {uid}[,}}]', push.body)
    assert returned > 0


def test_the_envelope_carries_the_body_as_a_json_string(
    pushes: dict[tuple[str, dt.date], list[Push]],
) -> None:
    for (app, _), day_pushes in pushes.items():
        for push in day_pushes:
            outer = json.loads(push.encode().decode("utf-8"))
            assert list(outer) == ["cmd", "timestamp", "bornTimeStamp", "version", "appId", "body"]
            assert outer["version"] == "1.0" and outer["appId"] == app
            assert isinstance(outer["body"], str) and outer["body"] == push.body
            assert (outer["timestamp"], outer["bornTimeStamp"]) == (push.sent_ms, push.born_ms)


def test_a_recheckout_is_a_ticket_reverse_with_the_same_sn_and_uid(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    checked = 0
    for (app, day), day_pushes in pushes.items():
        reverses = defaultdict(list)
        for push in of(day_pushes, "ticket.reverse"):
            reverses[body(push)["uid"]].append(push)
        changed = [h for h in world.histories(app, day) if len(h.versions) > 1]
        assert set(reverses) == {h.uid for h in changed}
        for history in changed:
            found = sorted(reverses[history.uid], key=lambda p: p.born_ms)
            assert [p.born_ms for p in found] == [shanghai_ms(s) for s, _ in history.versions[1:]]
            for push, (before, after) in zip(found, pairwise(history.versions), strict=True):
                fields = body(push)
                assert (fields["sn"], fields["uid"]) == (history.sn, history.uid)
                assert fields["ticketType"] == (4 if history.kind == "return" else 3)
                checked += 1
                if not history.customer_uid:
                    continue
                # the previous settlement, its reversal, and the new one unless voided
                totals = [Decimal(before[1]["totalAmount"]), -Decimal(before[1]["totalAmount"])]
                if not after[1]["invalid"]:
                    totals.append(Decimal(after[1]["totalAmount"]))
                logs = fields["customerPointGaintLogs"]
                assert [log["gaintPoint"] for log in logs] == totals
                assert [log["operateType"] for log in logs] == [1, 3, 1][: len(totals)]
    assert checked >= 3


def test_born_is_the_event_in_shanghai_time_and_sent_follows_it(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    for (app, day), day_pushes in pushes.items():
        born = {body(p)["uid"]: p.born_ms for p in of(day_pushes, "ticket.new")}
        assert born == {h.uid: shanghai_ms(h.uploaded) for h in world.histories(app, day)}
        late = [h for h in world.histories(app, day) if h.late]
        assert all(born[h.uid] > shanghai_ms(h.moment) for h in late)
        for push in day_pushes:
            if not push.cmd.startswith("stockFlow."):
                assert 60 <= push.sent_ms - push.born_ms <= 400
        assert [p.sent_ms for p in day_pushes] == sorted(p.sent_ms for p in day_pushes)


def test_member_tickets_carry_balance_and_point_logs_in_exact_decimals(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    used_balance = 0
    for (app, day), day_pushes in pushes.items():
        balance_code = next(r["code"] for r in world.pay_methods(app) if r["name"] == "储值卡")
        # ticket.new announces a ticket's first version; re-checkouts come as ticket.reverse
        tickets = {h.uid: h.versions[0][1] for h in world.histories(app, day)}
        for push in of(day_pushes, "ticket.new"):
            fields = body(push)
            ticket = tickets[fields["uid"]]
            if not fields["customerUid"]:
                assert "customerPointGaintLogs" not in fields
                continue
            sign = -1 if fields["ticketType"] == 2 else 1
            (points,) = fields["customerPointGaintLogs"]
            assert points["gaintPoint"] == sign * Decimal(ticket["totalAmount"])
            assert points["datetime"] == ticket["datetime"]
            assert points["operateType"] == fields["ticketType"]
            payments = ticket["payments"]
            paid = sum(Decimal(p["amount"]) for p in payments if p["code"] == balance_code)
            logs = fields["customerBalanceUsedLogs"]
            assert [log["usedMoney"] for log in logs] == ([sign * paid] if paid else [])
            used_balance += bool(logs)
            for log in logs:
                # money printed with two decimals, as the document's 76.21 / 98627.29
                assert re.search(rf'"afterUsedMoney": {log["afterUsedMoney"]:.2f}[,}}]', push.body)
    assert used_balance > 0


def test_orders_push_their_creation_state_changes_and_payment(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    orders = 0
    for (app, day), day_pushes in pushes.items():
        for order in world.order_histories(app, day):
            mine = [p for p in day_pushes if body(p).get("orderNo") == order.order_no]
            created = [body(p)["state"] for p in of(mine, "productOrder.createProductOrder")]
            updated = sorted(of(mine, "productOrder.updateProductOrder"), key=lambda p: p.born_ms)
            assert created == [0]
            assert [body(p)["state"] for p in updated] == [s for _, s in order.events[1:]]
            assert [p.born_ms for p in updated] == [shanghai_ms(m) for m, _ in order.events[1:]]
            paid = of(mine, "productOrder.completePay")
            online = order.body["payOnline"] == 1
            assert len(paid) == (1 if online or order.completed else 0)
            orders += 1
    assert orders > 0


def test_members_are_announced_and_recharged_with_the_worlds_ids(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    members = {m.uid: m for m in world.members()}
    for (app, _), day_pushes in pushes.items():
        joined = [body(p) for p in of(day_pushes, "customer.new")]
        assert joined
        for fields in joined:
            member = members[fields["customerUid"]]
            assert fields == {
                "number": member.number,
                "customerUid": member.uid,
                "phone": member.tel,
                "name": member.name,
            }
        for push in of(day_pushes, "customer.recharge"):
            fields = body(push)
            assert fields["customerUid"] in members and fields["rechargeStoreAppId"] == app
            assert fields["rechargeMoney"] in {Decimal(n) for n in (100, 200, 300, 500, 1000)}
            assert f'"rechargeMoney": {fields["rechargeMoney"]:.2f}' in push.body
            assert shanghai_ms(dt.datetime.fromisoformat(fields["datetime"])) == push.born_ms


def test_stock_flows_have_several_steps_born_in_order_but_sent_shuffled(
    pushes: dict[tuple[str, dt.date], list[Push]],
) -> None:
    flows: dict[int, list[Push]] = defaultdict(list)
    for day_pushes in pushes.values():
        for push in day_pushes:  # in send order
            if push.cmd.startswith("stockFlow."):
                flows[body(push)["stockFlowId"]].append(push)
    assert len(flows) >= 4 and all(flow_id > 2**53 for flow_id in flows)
    sequences = {tuple("stockFlow." + step for step in steps) for steps in STOCK_FLOW_STEPS}
    shuffled = 0
    for sent in flows.values():
        assert len(sent) >= 2
        happened = sorted(sent, key=lambda p: p.born_ms)
        assert tuple(p.cmd for p in happened) in sequences
        assert len({p.born_ms for p in sent}) == len(sent)
        shuffled += [p.born_ms for p in sent] != [p.born_ms for p in happened]
    assert shuffled >= 1


def test_pushes_are_a_function_of_the_world_and_of_as_of(
    world: PospalWorld, pushes: dict[tuple[str, dt.date], list[Push]]
) -> None:
    again = PospalWorld(seed=11, stores=2, tickets_per_day=(50, 80), members=40)
    app = next(iter(world.accounts()))
    assert world_pushes(again, app, DAYS[0], SETTLED) == pushes[app, DAYS[0]]
    other = PospalWorld(seed=12, stores=2, tickets_per_day=(50, 80), members=40, as_of=SETTLED)
    assert world_pushes(other, next(iter(other.accounts())), DAYS[0]) != pushes[app, DAYS[0]]
    noon = dt.datetime.combine(DAYS[0], dt.time(12))
    early = world_pushes(world, app, DAYS[0], noon)
    assert 0 < len(early) < len(pushes[app, DAYS[0]])
    assert set(early) <= set(pushes[app, DAYS[0]])
    assert max(p.born_ms for p in early) <= shanghai_ms(noon)
