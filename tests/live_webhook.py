"""``pos-warehouse webhook`` as a real process on a free loopback port, for tests that need the
receiver beside other processes (loads, a secrets scan)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_webhook(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """Start the receiver, wait until ``/healthz`` answers (readiness, not pacing), yield its
    base URL; on exit stop it and keep everything it printed in ``log``."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.cli", "webhook", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert server.poll() is None, "the webhook exited before listening"
                assert time.monotonic() < deadline, "the webhook did not start within 30 s"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
        log.write_bytes(out or b"")
