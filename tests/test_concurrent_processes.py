"""Two loads (QianHub and Pospal, separate processes) and the webhook receiving pushes, all at
the same time on one home: the DuckDB file, Dagster's instance storage and the push inbox are
shared, and nothing fails with "database is locked" -- the second writer waits its turn."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import httpx

from etl.pospal.push_store import opened
from etl.simulator import DemoKeys, PospalSimulator, PospalWorld
from tests.conftest import StartQianhub
from tests.live_webhook import running_webhook
from tests.test_cli import base_env  # noqa: F401 -- a fixture
from tests.test_cli_pospal import _accounts_env

DAY = "2026-11-03"


def test_two_loads_and_the_webhook_share_one_home(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    base_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    qianhub = start_qianhub()
    world = PospalWorld(seed=7, stores=2, as_of=None, members=20)
    keys = world.accounts()
    with PospalSimulator(world, accounts=keys) as pospal:
        env = {
            **_accounts_env(base_env, pospal, keys, tmp_path),
            "QIANHUB_GATEWAY_URL": qianhub.url,
            "QIANHUB_APP_ID": demo_keys.app_id,
            "QIANHUB_PRIVATE_KEY_FILE": str(demo_keys.private_key_file),
            "DAGSTER_HOME": str(tmp_path / "home" / "dagster"),
            "POS_WAREHOUSE_READER_PUBLISH_SECONDS": "0",
        }
        command = [sys.executable, "-m", "dagster_project.cli"]
        with running_webhook(env, tmp_path, tmp_path / "webhook.log") as url:
            loads = [
                subprocess.Popen(
                    [*command, "load", "--vendor", vendor, "--start", DAY, "--end", DAY],
                    env=env,
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for vendor in ("qianhub", "pospal")
            ]
            app, key = next(iter(keys.items()))
            statuses = []
            n = 0
            # Push for as long as the loads run (and at least 20 times).
            while n < 20 or any(load.poll() is None for load in loads):
                body = json.dumps(
                    {
                        "cmd": "ticket.new",
                        "timestamp": 1762146000150 + n,
                        "bornTimeStamp": 1762146000000 + n,
                        "version": "1.0",
                        "appId": app,
                        "body": json.dumps(
                            {"sn": f"20261103{n:08d}", "uid": 2**60 + n, "ticketType": 1}
                        ),
                    }
                ).encode()
                signature = hashlib.md5(key.encode() + body).hexdigest().upper()
                answer = httpx.post(
                    f"{url}/pospal/push",
                    content=body,
                    headers={"data-signature": signature},
                    timeout=30,
                )
                statuses.append(answer.status_code)
                n += 1
            outputs = [load.communicate(timeout=300) for load in loads]

    for load, (out, err) in zip(loads, outputs, strict=True):
        assert load.returncode == 0, err
        assert "locked" not in (out + err).lower()
    assert "locked" not in (tmp_path / "webhook.log").read_text("utf-8", "replace").lower()
    assert set(statuses) == {200} and len(statuses) >= 20
    with duckdb.connect(str(tmp_path / "home" / "warehouse-read.duckdb"), read_only=True) as con:
        counts = con.execute(
            "SELECT (SELECT count(*) FROM qianhub.bills), (SELECT count(*) FROM pospal.tickets)"
        ).fetchall()[0]
    assert counts[0] > 0 and counts[1] > 0
    with opened(tmp_path / "home" / "pospal-push.sqlite") as store:
        assert store.counts()["events"] == len(statuses)
