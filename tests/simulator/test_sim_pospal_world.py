"""PospalWorld: determinism, ids, money, returns, late tickets, re-checkouts, members, orders."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
import pytest

from etl.business_day import BusinessDayRule
from etl.simulator import PospalWorld

DAY = dt.date(2026, 11, 2)
DAYS = [DAY + dt.timedelta(days=i) for i in range(4)]
LATER = dt.datetime(2026, 12, 1)  # everything of DAYS uploaded and settled
ENCODER = msgspec.json.Encoder(decimal_format="number")
HUNDRED = Decimal(100)


@pytest.fixture(scope="module")
def world() -> PospalWorld:
    return PospalWorld(as_of=LATER)


def every_ticket(world: PospalWorld) -> list[tuple[str, dt.date, dict[str, Any]]]:
    return [
        (app_id, day, ticket)
        for app_id in world.accounts()
        for day in DAYS
        for ticket in world.tickets(app_id, day)
    ]


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_same_seed_same_world_whatever_the_order() -> None:
    first = PospalWorld(as_of=LATER)
    second = PospalWorld(as_of=LATER)
    app_ids = list(first.accounts())
    for day in reversed(DAYS):  # generated backwards: no day depends on generation order
        for app_id in reversed(app_ids):
            second.tickets(app_id, day)
    assert first.accounts() == second.accounts()
    for app_id in app_ids:
        for day in DAYS:
            assert ENCODER.encode(first.tickets(app_id, day)) == ENCODER.encode(
                second.tickets(app_id, day)
            )
            assert ENCODER.encode(first.orders(app_id, day)) == ENCODER.encode(
                second.orders(app_id, day)
            )
    other = PospalWorld(seed=7, as_of=LATER)
    assert set(other.accounts()).isdisjoint(first.accounts())


def test_accounts_are_distinct_vendor_shaped_and_stable(world: PospalWorld) -> None:
    accounts = world.accounts()
    assert len(accounts) == 3 == len(set(accounts.values()))
    for app_id, key in accounts.items():
        assert re.fullmatch(r"[0-9A-F]{32}", app_id)
        assert re.fullmatch(r"\d{18}", key)
        assert world.store(app_id).app_key == key


def test_ids_are_longs_beyond_2_53(world: PospalWorld) -> None:
    uids: set[int] = set()
    sns: dict[str, set[str]] = defaultdict(set)
    for app_id, _, ticket in every_ticket(world):
        ids = [ticket["uid"], ticket["cashierUid"]]
        ids += [item["productUid"] for item in ticket["items"]]
        if ticket["customerUid"] != 0:
            ids.append(ticket["customerUid"])
        if "sellTicketUid" in ticket:
            ids.append(ticket["sellTicketUid"])
        for value in ids:
            assert type(value) is int
            assert 2**53 < value < 2**63 and len(str(value)) in (18, 19), value
        assert ticket["uid"] not in uids
        uids.add(ticket["uid"])
        assert re.fullmatch(r"\d{21}", ticket["sn"])
        assert ticket["sn"][:14] == re.sub(r"\D", "", ticket["datetime"])
        assert ticket["sn"] not in sns[app_id]
        sns[app_id].add(ticket["sn"])
        assert ticket["ticketStoreAppIdOrAccount"] == app_id
    # Without a member the customerUid is 0, and such tickets exist.
    assert any(t["customerUid"] == 0 for _, _, t in every_ticket(world))


def test_money_adds_up_in_every_version(world: PospalWorld) -> None:
    checked = 0
    for app_id in world.accounts():
        codes = {row["code"] for row in world.pay_methods(app_id)}
        for day in DAYS:
            for history in world.histories(app_id, day):
                for _, ticket in history.versions:
                    check_money(ticket, codes)
                    checked += 1
    assert checked > 500


def check_money(ticket: dict[str, Any], codes: set[str]) -> None:
    subtotal = cost = Decimal(0)
    for item in ticket["items"]:
        unit = item["customerPrice"] if item["isCustomerDiscount"] == 1 else item["sellPrice"]
        unit += sum(Decimal(a["attributeValue"]) for a in item["ticketitemattributes"])
        factor = item["discount"] / HUNDRED * item["customerDiscount"] / HUNDRED
        assert item["totalAmount"] == cents(unit * item["quantity"] * factor)
        line_cost = cents(item["buyPrice"] * item["quantity"])
        assert item["totalProfit"] == item["totalAmount"] - line_cost
        subtotal += item["totalAmount"]
        cost += line_cost
    assert ticket["rounding"] >= 0
    assert (
        ticket["totalAmount"] == cents(subtotal * ticket["discount"] / HUNDRED) - ticket["rounding"]
    )
    assert ticket["totalProfit"] == ticket["totalAmount"] - cost
    assert sum(p["amount"] for p in ticket["payments"]) == ticket["totalAmount"]
    assert all(p["amount"] > 0 and p["code"] in codes for p in ticket["payments"])


def test_quantities_come_whole_by_the_half_and_by_the_gram(world: PospalWorld) -> None:
    quantities = {item["quantity"] for _, _, t in every_ticket(world) for item in t["items"]}
    assert any(q == q.to_integral_value() for q in quantities)
    assert any(q % 1 == Decimal("0.5") for q in quantities)  # 3.5 箱
    assert any(-q.as_tuple().exponent == 3 for q in quantities)  # 0.352 kg


def test_ticket_type_comes_in_mixed_case(world: PospalWorld) -> None:
    spellings = {t["ticketType"] for _, _, t in every_ticket(world)}
    assert {s.upper() for s in spellings} == {"SELL", "SELL_RETURN"}
    assert {"SELL", "sell", "SELL_RETURN"} <= spellings
    assert any(s not in (s.upper(), s.lower()) for s in spellings)  # "Sell", "Sell_Return"


def test_returns_are_positive_and_point_to_an_earlier_sale(world: PospalWorld) -> None:
    refunded: set[int] = set()
    returns = 0
    for app_id in world.accounts():
        sales = {
            t["uid"]: t
            for day in [DAY - dt.timedelta(days=1), *DAYS]
            for t in world.tickets(app_id, day)
        }
        for day in DAYS:
            for ticket in world.tickets(app_id, day):
                if ticket["ticketType"].upper() != "SELL_RETURN":
                    assert "sellTicketUid" not in ticket
                    continue
                returns += 1
                sale = sales[ticket["sellTicketUid"]]
                assert sale["ticketType"].upper() == "SELL"
                assert sale["datetime"] < ticket["datetime"]
                assert ticket["sellTicketUid"] not in refunded
                refunded.add(ticket["sellTicketUid"])
                assert ticket["totalAmount"] > 0 and ticket["totalProfit"] > 0
                assert all(i["totalAmount"] > 0 and i["quantity"] > 0 for i in ticket["items"])
                assert all(p["amount"] > 0 for p in ticket["payments"])
                sold = {i["productUid"]: i["quantity"] for i in sale["items"]}
                for item in ticket["items"]:
                    assert item["quantity"] <= sold[item["productUid"]]
                assert ticket["customerUid"] == sale["customerUid"]
    assert returns >= 5


def test_a_day_holds_exactly_its_planned_ticket_count() -> None:
    world = PospalWorld(tickets_per_day=(100, 100), as_of=LATER)
    rule = world.rule
    for app_id in world.accounts():
        for day in DAYS[:2]:
            tickets = world.tickets(app_id, day)
            assert len(tickets) == 100
            begin, end = rule.window(day)
            for ticket in tickets:
                assert begin < dt.datetime.fromisoformat(ticket["datetime"]) < end


def test_late_tickets_appear_at_10_the_next_days(world: PospalWorld) -> None:
    late = [
        (app_id, day, h)
        for app_id in world.accounts()
        for day in DAYS
        for h in world.histories(app_id, day)
        if h.late
    ]
    assert {h.late for _, _, h in late} == {1, 2}
    for app_id, day, history in late:
        ten = dt.datetime.combine(day + dt.timedelta(days=history.late), dt.time(10))
        assert ten <= history.uploaded < ten + dt.timedelta(hours=1)
        assert world.rule.business_date(history.moment) == day
        before = {
            t["uid"] for t in world.tickets(app_id, day, history.uploaded - dt.timedelta(seconds=1))
        }
        after = {t["uid"] for t in world.tickets(app_id, day, history.uploaded)}
        assert history.uid not in before and history.uid in after
    # Late rows sort after the day's live uploads (the cursor's row order).
    app_id, day, history = late[0]
    rows = [h.row for h in world.histories(app_id, day) if not h.late]
    assert history.row > max(rows)


def test_recheckouts_change_content_in_place(world: PospalWorld) -> None:
    changed = 0
    for app_id in world.accounts():
        for day in DAYS:
            for history in world.histories(app_id, day):
                if len(history.versions) < 2:
                    continue
                (_first_at, first), (second_at, second) = history.versions[:2]
                for key in ("uid", "sn", "datetime", "cashierUid", "customerUid"):
                    assert first[key] == second[key]
                at_first = world.tickets(app_id, day, second_at - dt.timedelta(seconds=1))
                at_second = world.tickets(app_id, day, second_at)
                assert first in at_first and second in at_second
                assert len(at_first) <= len(at_second)
                if second["invalid"] == first["invalid"]:
                    changed += 1
                    assert (first["items"], first["payments"]) != (
                        second["items"],
                        second["payments"],
                    )
                else:
                    assert (first["invalid"], second["invalid"]) == (0, 1)  # voided later
    assert changed >= 5


def test_some_tickets_are_void(world: PospalWorld) -> None:
    tickets = [t for _, _, t in every_ticket(world)]
    voided = sum(t["invalid"] == 1 for t in tickets)
    assert 0 < voided < len(tickets) * 0.1
    assert {t["invalid"] for t in tickets} == {0, 1}


def test_members_buy_in_several_stores(world: PospalWorld) -> None:
    stores_of: dict[int, set[str]] = defaultdict(set)
    for app_id, _, ticket in every_ticket(world):
        if ticket["customerUid"]:
            stores_of[ticket["customerUid"]].add(app_id)
    wanderer = max(stores_of, key=lambda uid: len(stores_of[uid]))
    assert len(stores_of[wanderer]) == 3
    history = world.customer_tickets(wanderer, DAYS[0], DAYS[-1])
    assert {t["ticketStoreAppIdOrAccount"] for t in history} == stores_of[wanderer]
    assert all(t["customerUid"] == wanderer for t in history)
    one_store = world.customer_tickets(
        wanderer, DAYS[0], DAYS[-1], app_id=next(iter(stores_of[wanderer]))
    )
    assert 0 < len(one_store) < len(history)


def test_orders_change_state_and_completed_ones_become_tickets(world: PospalWorld) -> None:
    seen_states: set[int] = set()
    for app_id in world.accounts():
        for day in DAYS:
            order_tickets = {
                h.order_no: h for h in world.histories(app_id, day) if h.order_no is not None
            }
            for order in world.order_histories(app_id, day):
                states = [state for _, state in order.events]
                seen_states.update(states)
                assert states[0] == 0 and states[-1] in (3, 4)
                for moment, state in order.events:
                    shown = world.orders(app_id, day, moment)
                    assert {"orderNo": order.order_no, "state": state}.items() <= next(
                        o for o in shown if o["orderNo"] == order.order_no
                    ).items()
                created = order.events[0][0]
                before = world.orders(app_id, day, created - dt.timedelta(seconds=1))
                assert order.order_no not in {o["orderNo"] for o in before}
                body = order.body
                goods = sum(
                    (cents(i["eshopSellPrice"] * i["productQuantity"]) for i in body["items"]),
                    Decimal(0),
                )
                assert body["totalAmount"] == goods + body["shippingFee"]
                assert (order.order_no in order_tickets) == (states[-1] == 4)
                if states[-1] == 4:
                    ticket = order_tickets[order.order_no].final
                    assert ticket["totalAmount"] == goods
                    assert order_tickets[order.order_no].uploaded == order.completed
    assert {0, 1, 2, 3, 4, 5, 8} <= seen_states


def test_pay_methods_are_per_store_with_cash_first(world: PospalWorld) -> None:
    tables = [world.pay_methods(app_id) for app_id in world.accounts()]
    for rows in tables:
        assert rows[0] == {"code": "payCode_1", "name": "现金", "showName": "现金", "enable": 1}
        assert all(re.fullmatch(r"payCode_\d+", row["code"]) for row in rows)
        assert {"微信支付", "支付宝", "储值卡"} <= {row["name"] for row in rows}
    mappings = [{row["code"]: row["name"] for row in rows} for rows in tables]
    assert mappings[0] != mappings[1] or mappings[1] != mappings[2]


def test_a_late_night_store_trades_past_midnight(world: PospalWorld) -> None:
    late_night = world.stores()[1]
    after_midnight = [
        t for t in world.tickets(late_night.app_id, DAY) if t["datetime"][:10] != DAY.isoformat()
    ]
    assert after_midnight
    assert all(t["datetime"] < f"{DAY + dt.timedelta(days=1)} 06:00:00" for t in after_midnight)


def test_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="business day start"):
        PospalWorld(rule=BusinessDayRule(dt.time(11, 0)))
    with pytest.raises(ValueError, match="tickets_per_day"):
        PospalWorld(tickets_per_day=(10, 5))
    with pytest.raises(ValueError, match="stores"):
        PospalWorld(stores=0)
