"""Push webhook benchmark: a burst of signed Pospal pushes on loopback.

The receiver runs in its own process (uvicorn, as ``pos-warehouse webhook`` runs it) with a
fresh inbox; this process sends ``--pushes`` distinct ``ticket.new`` pushes over
``--concurrency`` connections and times each until its 200 (stored and fsynced). Baseline, same
run, same connections: ``GET /healthz`` (HTTP round trip, no signature check, no store). Then
the inbox is read back: every push must be there exactly once.

``python -m etl.bench.webhook [--pushes 5000] [--concurrency 8]`` (``make bench-webhook``);
the last line::

    bench-webhook: accepted_per_s=<n> p50_ms=<a> p99_ms=<b> healthz_per_s=<h>
    vs_healthz=<r>x lost=0 duplicated=0   (one line)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr

from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalAccount
from etl.webhook.app import create_app

APP_ID, APP_KEY = "BENCH0123456789ABCDEF0123456789AB", "bench-key-not-a-secret-0123456789"
BORN = 1_762_070_000_000


def _serve(inbox: Path, port: int) -> None:
    account = PospalAccount("bench", "http://127.0.0.1:9", APP_ID, SecretStr(APP_KEY))
    app = create_app(PushStore(inbox), {APP_ID: account})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _pushes(n: int) -> list[tuple[bytes, str]]:
    signed = []
    for i in range(n):
        body = {
            "sn": f"20261102{i:09d}0001",
            "uid": 1_514_196_146_215_290_000 + i,
            "customerUid": 413_142_651_953_373_931 if i % 3 == 0 else 0,
            "ticketType": 1,
            "customerPointGaintLogs": [{"gaintPoint": 76.21, "operateType": 1}],
        }
        raw = json.dumps(
            {
                "cmd": "ticket.new",
                "timestamp": BORN + i + 150,
                "bornTimeStamp": BORN + i,
                "version": "1.0",
                "appId": APP_ID,
                "body": json.dumps(body),
            }
        ).encode()
        signed.append((raw, hashlib.md5(APP_KEY.encode() + raw).hexdigest().upper()))
    return signed


async def _burst(
    base: str, requests: list[tuple[bytes, str]] | int, concurrency: int
) -> tuple[float, list[float], list[int]]:
    """Send every request (pushes, or that many health checks); wall time, latencies, codes."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    total = requests if isinstance(requests, int) else len(requests)
    for i in range(total):
        queue.put_nowait(i)
    latencies: list[float] = []
    codes: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                start = time.perf_counter()
                if isinstance(requests, int):
                    answer = await client.get("/healthz")
                else:
                    raw, signature = requests[i]
                    answer = await client.post(
                        "/pospal/push", content=raw, headers={"data-signature": signature}
                    )
                latencies.append(time.perf_counter() - start)
                codes.append(answer.status_code)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began, latencies, codes


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the receiver exited before listening")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # waiting for the listener, not pacing the measurement
    raise SystemExit("the receiver did not start within 60 s")


def run(pushes: int, concurrency: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as folder:
        inbox, port = Path(folder) / "push.sqlite", _free_port()
        base = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [sys.executable, "-m", "etl.bench.webhook", "--serve", str(inbox), str(port)],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_ready(base, process)
            signed = _pushes(pushes)
            base_time, base_lat, base_codes = asyncio.run(_burst(base, pushes, concurrency))
            push_time, push_lat, push_codes = asyncio.run(_burst(base, signed, concurrency))
        finally:
            process.terminate()
            process.wait(timeout=30)
        store = PushStore(inbox)
        try:
            events, _ = store.changes(0)
        finally:
            store.close()
    keys = [e.dedupe_key for e in events]
    lost = pushes - len(set(keys))
    duplicated = sum(e.deliveries - 1 for e in events) + len(keys) - len(set(keys))
    accepted = sum(code == 200 for code in push_codes)
    rate, health_rate = accepted / push_time, len(base_codes) / base_time
    print(f"pushes sent            {pushes:>10} over {concurrency} connections")
    print(f"answered 200           {accepted:>10}  (other: {len(push_codes) - accepted})")
    print(f"pushes/s (stored)      {rate:>10.0f}")
    print(
        f"push latency p50 / p99 {_percentile(push_lat, 0.5) * 1000:>7.1f} / "
        f"{_percentile(push_lat, 0.99) * 1000:.1f} ms"
    )
    base_p99 = _percentile(base_lat, 0.99) * 1000
    print(f"baseline healthz/s     {health_rate:>10.0f}  p99 {base_p99:.1f} ms")
    print(f"inbox events           {len(events):>10}  lost {lost}, duplicated {duplicated}")
    print(
        f"bench-webhook: accepted_per_s={rate:.0f} p50_ms={_percentile(push_lat, 0.5) * 1000:.1f} "
        f"p99_ms={_percentile(push_lat, 0.99) * 1000:.1f} healthz_per_s={health_rate:.0f} "
        f"vs_healthz={rate / health_rate:.2f}x lost={lost} duplicated={duplicated}"
    )
    return 0 if lost == 0 and duplicated == 0 and accepted == pushes else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", nargs=2, metavar=("INBOX", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(Path(args.serve[0]), int(args.serve[1]))
        return
    raise SystemExit(run(args.pushes, args.concurrency))


if __name__ == "__main__":
    main()
