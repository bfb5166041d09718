"""``python -m etl.simulator pospal`` end to end: settings printed, a signed call answered."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

from tests.simulator.ctrl_c import ctrl_c_works

REPO = Path(__file__).resolve().parents[2]


def test_cli_serves_and_prints_env_lines_and_accounts_toml() -> None:
    command = [
        *(sys.executable, "-m", "etl.simulator", "pospal", "--port", "0", "--stores", "2"),
        *("--quota", "7", "--as-of", "2026-11-05T12:00"),
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=dict(os.environ),
        preexec_fn=ctrl_c_works,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("POSPAL_SIM_STORE_2_KEY="):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "simulator exited"
            lines.append(line.rstrip("\n"))
        env = dict(line.split("=", 1) for line in lines if line.startswith("POSPAL_"))
        assert env["POSPAL_BASE_URL"].startswith("http://127.0.0.1:")
        start = lines.index(next(line for line in lines if line.startswith("[[accounts]]")))
        toml = "\n".join(line for line in lines[start:] if not line.startswith("POSPAL_"))
        accounts = tomllib.loads(toml)["accounts"]
        assert [a["name"] for a in accounts] == ["store-1", "store-2"]
        assert accounts[0]["app_id"] == env["POSPAL_APP_ID"]
        assert env[accounts[0]["app_key_env"]] == env["POSPAL_APP_KEY"]
        assert {a["base_url"] for a in accounts} == {env["POSPAL_BASE_URL"]}

        body = f'{{"appId":"{env["POSPAL_APP_ID"]}"}}'.encode()
        signature = hashlib.md5(env["POSPAL_APP_KEY"].encode() + body).hexdigest().upper()
        response = httpx.post(
            env["POSPAL_BASE_URL"] + "/pospal-api2/openapi/v1/ticketOpenApi/queryAllPayMethod",
            content=body,
            headers={"data-signature": signature},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.json()["data"][0] == {
            "code": "payCode_1",
            "name": "现金",
            "showName": "现金",
            "enable": 1,
        }
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped after 1 requests" in out
