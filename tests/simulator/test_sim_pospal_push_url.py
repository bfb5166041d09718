"""The push URL through the simulated open API (``openNotificationOpenApi/queryPushUrl`` and
``updatePushUrl``: signed, quota-counted, 9003 on a blank URL), pushes sent to the URL so set,
and ``python -m etl.simulator pospal-push`` against a recording receiver."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from etl.simulator import PospalSimulator, PospalWorld, PushSender, world_pushes
from etl.simulator.__main__ import main

NOW = dt.datetime(2026, 11, 5, 12, 0)
PREFIX = "/pospal-api2/openapi/v1/openNotificationOpenApi/"
ENCODER = msgspec.json.Encoder()


def sign(app_key: str, raw: bytes) -> str:
    return hashlib.md5(app_key.encode() + raw).hexdigest().upper()


@pytest.fixture
def world() -> PospalWorld:
    return PospalWorld(seed=31, stores=2, tickets_per_day=(20, 30), members=20, as_of=NOW)


@pytest.fixture
def simulator(world: PospalWorld) -> Iterator[PospalSimulator]:
    with PospalSimulator(world, accounts=world.accounts(), quota=10) as running:
        yield running


def call(
    simulator: PospalSimulator, method: str, body: dict[str, Any], *, signed: bool = True
) -> httpx.Response:
    raw = ENCODER.encode(body)
    headers = {"Content-Type": "application/json; charset=utf-8", "time-stamp": "1762315200000"}
    if signed:
        headers["data-signature"] = sign(simulator.api.accounts[body["appId"]], raw)
    return httpx.post(simulator.url + PREFIX + method, content=raw, headers=headers, timeout=10)


def test_push_url_round_trip_per_account(simulator: PospalSimulator, world: PospalWorld) -> None:
    first, second = world.accounts()
    before = call(simulator, "queryPushUrl", {"appId": first})
    assert before.status_code == 200
    assert before.json() == {"status": "success", "messages": [], "data": None}
    url = " http://192.168.1.108:28080/mq/message/push "  # the document's, spaces included
    updated = call(simulator, "updatePushUrl", {"appId": first, "pushUrl": url})
    assert updated.status_code == 200
    assert updated.json() == {"status": "success", "messages": []}
    after = call(simulator, "queryPushUrl", {"appId": first})
    assert after.json()["data"] == {
        "enable": 1,
        "configTime": "2026-11-05 12:00:00",
        "startUseTime": "2026-11-05 12:00:00",
        "endUseTime": "2027-12-31 23:59:59",
        "sendUrl": "http://192.168.1.108:28080/mq/message/push",
    }
    assert call(simulator, "queryPushUrl", {"appId": second}).json()["data"] is None
    assert simulator.api.push_url(first) == "http://192.168.1.108:28080/mq/message/push"
    assert simulator.api.push_url(second) is None
    assert simulator.stats.quota_used == {first: 3, second: 1}
    assert simulator.stats.requests == {
        "openNotificationOpenApi/queryPushUrl": 3,
        "openNotificationOpenApi/updatePushUrl": 1,
    }


@pytest.mark.parametrize("push_url", [None, "", "   ", 42])
def test_a_missing_or_blank_push_url_is_9003_and_counted(
    simulator: PospalSimulator, world: PospalWorld, push_url: object
) -> None:
    app_id = next(iter(world.accounts()))
    body: dict[str, Any] = {"appId": app_id}
    if push_url is not None:
        body["pushUrl"] = push_url
    answer = call(simulator, "updatePushUrl", body)
    assert answer.status_code == 200
    assert answer.json()["status"] == "error" and answer.json()["errorCode"] == 9003
    assert simulator.api.push_url(app_id) is None
    assert simulator.stats.quota_used[app_id] == 1


def test_push_url_calls_need_a_signature(simulator: PospalSimulator, world: PospalWorld) -> None:
    app_id = next(iter(world.accounts()))
    body = {"appId": app_id, "pushUrl": "http://127.0.0.1:9/x"}
    answer = call(simulator, "updatePushUrl", body, signed=False)
    assert (answer.status_code, answer.json()["errorCode"]) == (401, 1031)
    assert simulator.api.push_url(app_id) is None


def test_pushes_go_to_the_url_the_account_set(
    simulator: PospalSimulator, world: PospalWorld, push_receiver: Any
) -> None:
    app_id, key = next(iter(world.accounts().items()))
    receiver = push_receiver()
    call(simulator, "updatePushUrl", {"appId": app_id, "pushUrl": receiver.url})
    url = simulator.api.push_url(app_id)
    assert url is not None
    pushes = world_pushes(world, app_id, dt.date(2026, 11, 4))
    with PushSender(url, world.accounts()) as sender:
        assert all(r.delivered for r in sender.send(pushes))
    assert [got.raw for got in receiver.received] == [p.encode() for p in pushes]
    assert all(g.headers["data-signature"] == sign(key, g.raw) for g in receiver.received)


def test_cli_pushes_a_day_of_the_same_world_as_the_pospal_simulator(
    push_receiver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = push_receiver(fail_first=2, status=502)
    argv = ["pospal-push", "--url", receiver.url, "--date", "2026-11-02", "--seed", "41"]
    argv += ["--stores", "1", "--faults", "duplicate=0.1,bad_signature=0.05", "--time-scale", "0"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    counts = {}
    for line in lines:
        match = re.fullmatch(r"\s*(\d+)  (\d+|no answer) (delivered|given up) after .*", line)
        assert match, line
        counts[match[2]] = int(match[1])
    assert set(counts) == {"200"}  # bad signatures reach this receiver: it does not check
    assert "duplicate" in lines[0] and "bad_signature" in lines[0]
    assert len(receiver.received) == counts["200"] + 2  # two retried after a 502
    ((app_id, key),) = PospalWorld(seed=41, stores=1).accounts().items()
    outer = [json.loads(got.raw) for got in receiver.received]
    assert {o["appId"] for o in outer} == {app_id}
    signed = [g for g in receiver.received if g.headers["data-signature"] == sign(key, g.raw)]
    assert 0 < len(signed) < len(receiver.received)
