"""The receiver killed between storing a push and answering 200: the vendor sees no 200 and
retries; the retry lands on a restarted receiver and the event is stored exactly once."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from etl.pospal.push_store import opened
from tests.webhook.conftest import KEY_1, push, signed, ticket_body

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def receiver(inbox: Path, port: int, mode: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.webhook.crashing_server", str(inbox), str(port), mode],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # wait until it listens (readiness, not pacing)
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, "receiver exited before listening"
                assert time.monotonic() < deadline, "receiver did not start within 60 s"
                time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def test_killed_before_the_200_the_retry_is_stored_exactly_once(tmp_path: Path) -> None:
    inbox, port = tmp_path / "push.sqlite", _free_port()
    raw = push("ticket.reverse", ticket_body(ticket_type=3))
    headers = {"data-signature": signed(KEY_1, raw), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}/pospal/push"

    with receiver(inbox, port, "crash") as process:
        try:
            answer: httpx.Response | None = httpx.post(
                url, content=raw, headers=headers, timeout=10
            )
        except httpx.TransportError:
            answer = None  # the connection died with the process: no 200, so the vendor retries
        assert answer is None
        assert process.wait(timeout=30) == 17
    with opened(inbox) as store:  # stored before the crash, durably
        assert store.counts()["events"] == 1

    with receiver(inbox, port, "serve"):
        retry = httpx.post(url, content=raw, headers=headers, timeout=10)
    assert (retry.status_code, retry.json()["stored"]) == (200, "duplicate")
    with opened(inbox) as store:
        (event,) = store.pending()
        assert store.counts()["events"] == 1
    assert (event.cmd, event.deliveries, event.refresh_status) == ("ticket.reverse", 2, "pending")
