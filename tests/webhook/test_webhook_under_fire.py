"""A burst of pushes with the receiver killed (SIGKILL) and restarted at seeded points: senders
retry every push until it gets a 200, as the vendor does; in the end every push is in the inbox
exactly once, however many times it was delivered or cut off mid-request."""

from __future__ import annotations

import random
import threading
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx

from etl.pospal.push_store import opened
from tests.webhook.conftest import KEY_1, push, signed, ticket_body
from tests.webhook.test_webhook_crash import _free_port, receiver

PUSHES = 80
SENDERS = 6
SEED = 20261123


def test_pushes_survive_a_receiver_killed_and_restarted(tmp_path: Path) -> None:
    inbox, port = tmp_path / "push.sqlite", _free_port()
    url = f"http://127.0.0.1:{port}/pospal/push"
    rng = random.Random(SEED)
    kills = sorted(rng.sample(range(5, PUSHES - 5), 4))  # after this many acknowledged pushes
    sns = [f"2026110213{n:04d}0001" for n in range(PUSHES)]
    bodies = [push("ticket.new", ticket_body(sn=sn)) for sn in sns]

    up = threading.Event()
    acked = threading.Condition()
    acknowledged: list[str] = []
    attempts: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    queue = list(enumerate(bodies))
    lock = threading.Lock()

    def sender() -> None:
        with httpx.Client(timeout=10) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    n, raw = queue.pop(0)
                headers = {"data-signature": signed(KEY_1, raw)}
                while True:  # the vendor retries until it sees a 200
                    up.wait()
                    attempts[sns[n]] += 1
                    try:
                        answer = http.post(url, content=raw, headers=headers)
                    except httpx.TransportError:
                        continue  # cut off by a kill: no 200, so send again
                    if answer.status_code == 200:
                        answers[answer.json()["stored"]] += 1
                        break
                with acked:
                    acknowledged.append(sns[n])
                    acked.notify_all()

    with ExitStack() as stack:
        process = stack.enter_context(receiver(inbox, port, "serve"))
        up.set()
        threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for threshold in kills:
            with acked:
                acked.wait_for(lambda t=threshold: len(acknowledged) >= t, timeout=120)
            up.clear()
            process.kill()  # SIGKILL, mid-burst: requests in flight are cut off
            process.wait(timeout=30)
            stack.close()
            process = stack.enter_context(receiver(inbox, port, "serve"))
            up.set()
        for thread in threads:
            thread.join(timeout=300)
            assert not thread.is_alive()

    assert sorted(acknowledged) == sorted(sns)  # every push got its 200 in the end
    with opened(inbox) as store:
        counts = store.counts()
        stored = store.pending()
    assert counts["events"] == PUSHES and counts["rejects"] == 0
    assert sorted(str(e.value("sn")) for e in stored) == sorted(sns)  # each exactly once
    # One 200 per push; a push cut off after it was stored came back as a duplicate, never as
    # a second row; deliveries count the requests that reached the store, at most every try.
    assert answers["new"] + answers["duplicate"] == PUSHES
    assert PUSHES <= sum(e.deliveries for e in stored) <= sum(attempts.values())
