"""PushSender against a recording receiver on 127.0.0.1: signatures over the raw bytes, the
vendor's headers, retries on the compressed schedule (stopping after five), connection errors
and timeouts, faults at their rates, bursts from several workers, stock flows out of order.

Signatures are checked with hashlib here, not with the simulator's or the client's code."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from etl.simulator import PUSH_RETRY_SCHEDULE, PospalWorld, Push, PushFaults, PushSender
from etl.simulator import world_pushes as pushes_of
from etl.simulator.pospal_push_message import sign

DAY = dt.date(2026, 11, 2)
SETTLED = dt.datetime(2026, 11, 8)
Receivers = Callable[..., Any]


@pytest.fixture(scope="module")
def world() -> PospalWorld:
    return PospalWorld(seed=21, stores=2, tickets_per_day=(40, 60), members=30, as_of=SETTLED)


def md5_upper(key: str, raw: bytes) -> str:
    return hashlib.md5(key.encode() + raw).hexdigest().upper()


def signed_only(received: list[Any]) -> list[Any]:
    return [g for g in received if "data-signature" in g.headers]


def first_store(world: PospalWorld) -> tuple[str, str, list[Push]]:
    app_id, key = next(iter(world.accounts().items()))
    return app_id, key, pushes_of(world, app_id, DAY)


@pytest.mark.parametrize(
    ("key", "raw", "signature"),
    [
        (
            "1234567890",
            b'{"appId":"abcdefghijklmn","sn":"201511121549168880001"}',
            "F6AA018FF7B01B2A5B1B1B4528914230",
        ),
        ("secret", b'{"appId":"shop","barcode":"123"}', "59C6243328E53DB5A6128CC572546D18"),
        (
            "1234567890",
            '{"appId":"abcdefghijklmn","remark":"收银测试"}'.encode(),
            "0F2E8BD872C306099E581876F483C874",
        ),
    ],
)
def test_the_push_signer_reproduces_the_readme_vectors(
    key: str, raw: bytes, signature: str
) -> None:
    assert sign(key, raw) == signature


def test_each_push_is_signed_over_the_exact_bytes_with_the_vendors_headers(
    world: PospalWorld, push_receiver: Receivers
) -> None:
    app_id, key, pushes = first_store(world)
    receiver = push_receiver()
    with PushSender(receiver.url, world.accounts()) as sender:
        reports = sender.send(pushes)
    assert [r.delivered and r.attempts == 1 and r.fault is None for r in reports] == [True] * len(
        pushes
    )
    assert [got.raw for got in receiver.received] == [p.encode() for p in pushes]
    for got in receiver.received:
        assert got.headers["data-signature"] == md5_upper(key, got.raw)
        assert got.headers["user-agent"] == "Pospal-Api"
        assert got.headers["content-type"] == "application/json; charset=utf-8"
        outer = json.loads(got.raw.decode("utf-8"))
        assert outer["appId"] == app_id and isinstance(outer["body"], str)
    # the world's 19-digit uids, exact after decoding twice
    uids = {
        json.loads(json.loads(got.raw)["body"])["uid"]
        for got in receiver.received
        if json.loads(got.raw)["cmd"] == "ticket.new"
    }
    assert uids == {t["uid"] for t in world.tickets(app_id, DAY)}


def test_retries_follow_the_compressed_schedule_with_the_same_bytes(
    world: PospalWorld, push_receiver: Receivers
) -> None:
    _, key, pushes = first_store(world)
    receiver = push_receiver(fail_first=3, status=500)
    waits: list[float] = []
    with PushSender(receiver.url, world.accounts(), time_scale=0.01, sleep=waits.append) as sender:
        first, second = sender.send(pushes[:2])
    assert first.statuses == [500, 500, 500, 200] and first.delivered and first.attempts == 4
    assert second.statuses == [200]
    assert waits == first.waits == [10 * 0.01, 30 * 0.01, 60 * 0.01]
    raws = [got.raw for got in receiver.received]
    assert raws == [pushes[0].encode()] * 4 + [pushes[1].encode()]
    assert {got.headers["data-signature"] for got in receiver.received[:4]} == {
        md5_upper(key, pushes[0].encode())
    }


def test_a_push_is_given_up_after_five_retries(
    world: PospalWorld, push_receiver: Receivers
) -> None:
    _, _, pushes = first_store(world)
    receiver = push_receiver(fail_first=100, status=503)
    waits: list[float] = []
    with PushSender(receiver.url, world.accounts(), time_scale=0.5, sleep=waits.append) as sender:
        (report,) = sender.send(pushes[:1])
    assert report.statuses == [503] * 6 and not report.delivered and report.status == 503
    assert waits == [w * 0.5 for w in PUSH_RETRY_SCHEDULE] == [5.0, 15.0, 30.0, 60.0, 90.0]
    assert len(receiver.received) == 6


def test_connection_errors_and_timeouts_are_retried(
    world: PospalWorld, push_receiver: Receivers
) -> None:
    _, _, pushes = first_store(world)
    closed = push_receiver()
    closed.stop()  # nothing listens there any more: connection refused
    with PushSender(closed.url, world.accounts()) as sender:
        (refused,) = sender.send(pushes[:1])
    assert refused.statuses == [None] * 6 and not refused.delivered
    slow = push_receiver(slow_first=1, delay=1.0)
    with PushSender(slow.url, world.accounts(), timeout=0.2) as sender:
        (late,) = sender.send(pushes[:1])
    assert late.statuses == [None, 200] and late.delivered
    assert [got.raw for got in slow.received] == [pushes[0].encode()] * 2


def test_faults_appear_at_their_rates_and_a_seed_repeats_them(world: PospalWorld) -> None:
    _, _, pushes = first_store(world)
    many = pushes * 20
    faults = PushFaults(bad_signature=0.05, no_signature=0.03, duplicate=0.1, unknown=0.02)

    def plan(seed: int) -> list[tuple[Push, str | None]]:
        with PushSender("http://127.0.0.1:9/", {}, faults=faults, seed=seed) as sender:
            return sender.plan(many)

    plans = [plan(5), plan(5)]
    assert plans[0] == plans[1]
    drawn = Counter(fault for _, fault in plans[0])
    messages = len(many)
    for name, rate in faults.rates().items():
        per_message = drawn[name] / (2 if name == "duplicate" else 1)  # sent twice
        assert abs(per_message - rate * messages) < 4 * (rate * messages) ** 0.5 + 1, name
    assert plan(6) != plans[0]


def test_faults_as_the_receiver_sees_them(world: PospalWorld, push_receiver: Receivers) -> None:
    _, key, pushes = first_store(world)
    receiver = push_receiver()
    faults = "bad_signature=0.1,no_signature=0.05,duplicate=0.15,unknown=0.1"
    with PushSender(receiver.url, world.accounts(), faults=PushFaults.parse(faults)) as sender:
        reports = sender.send(pushes)
    by_fault = Counter(r.fault for r in reports)
    assert all(by_fault[name] for name in PushFaults.names()), by_fault
    got = receiver.received
    assert (
        len(got) == len(reports) == len(pushes) + by_fault["duplicate"] // 2 + by_fault["unknown"]
    )
    unsigned = [g for g in got if "data-signature" not in g.headers]
    forged = [g for g in signed_only(got) if g.headers["data-signature"] != md5_upper(key, g.raw)]
    assert (len(unsigned), len(forged)) == (by_fault["no_signature"], by_fault["bad_signature"])
    twice = [raw for raw, n in Counter(g.raw for g in got).items() if n == 2]
    assert len(twice) == by_fault["duplicate"] // 2
    cmds = Counter(json.loads(g.raw)["cmd"] for g in got)
    assert cmds["giftCard.activate"] == by_fault["unknown"]
    # an unknown command is extra: every real message still arrives, signed
    signed = {g.raw for g in got if g.headers.get("data-signature") == md5_upper(key, g.raw)}
    assert {p.encode() for p in pushes} - signed == {
        r.push.encode() for r in reports if r.fault in ("bad_signature", "no_signature")
    }


def test_a_burst_from_several_workers_delivers_each_push_once(
    world: PospalWorld, push_receiver: Receivers
) -> None:
    pushes = sorted(
        (p for app in world.accounts() for p in pushes_of(world, app, DAY)),
        key=lambda p: p.sent_ms,
    )
    receiver = push_receiver()
    with PushSender(receiver.url, world.accounts(), workers=4) as sender:
        reports = sender.send(pushes)
    assert [r.push for r in reports] == pushes  # reports in message order
    assert all(r.delivered and r.attempts == 1 for r in reports)
    assert sorted(g.raw for g in receiver.received) == sorted(p.encode() for p in pushes)
    keys = world.accounts()
    for got in receiver.received:
        assert got.headers["data-signature"] == md5_upper(
            keys[json.loads(got.raw)["appId"]], got.raw
        )


def test_stock_flow_steps_arrive_out_of_born_order(
    world: PospalWorld, push_receiver: Receivers
) -> None:
    receiver = push_receiver()
    days = [DAY + dt.timedelta(days=n) for n in range(3)]
    pushes = [p for app in world.accounts() for day in days for p in pushes_of(world, app, day)]
    flows = [p for p in pushes if p.cmd.startswith("stockFlow.")]
    with PushSender(receiver.url, world.accounts()) as sender:
        assert all(r.delivered for r in sender.send(flows))
    arrived: dict[int, list[int]] = defaultdict(list)
    for got in receiver.received:
        outer = json.loads(got.raw)
        arrived[json.loads(outer["body"])["stockFlowId"]].append(outer["bornTimeStamp"])
    assert len(arrived) >= 4 and all(len(borns) >= 2 for borns in arrived.values())
    assert any(borns != sorted(borns) for borns in arrived.values())
