"""``pos-warehouse`` end to end: settings errors, a load through Dagster against the simulator,
a failing load that names shop and window, replay — and no secret anywhere in what it leaves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.simulator import DemoKeys
from tests.conftest import StartQianhub

DAY = "2026-11-04"


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QIANHUB_", "POSPAL_", "POS_WAREHOUSE_", "DAGSTER_HOME"))
    }
    env["POS_WAREHOUSE_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


def test_load_without_settings_names_every_missing_variable(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    result = cli(
        "load", "--vendor", "qianhub", "--start", DAY, "--end", DAY, env=base_env, cwd=tmp_path
    )
    assert result.returncode == 1
    for name in ("QIANHUB_GATEWAY_URL", "QIANHUB_APP_ID", "QIANHUB_PRIVATE_KEY_FILE"):
        assert name in result.stderr
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()  # nothing was loaded


def _secret_lines(keys: DemoKeys) -> list[str]:
    pem = keys.private_key_file.read_text().splitlines()
    return [line for line in pem if line and not line.startswith("-----")]


def test_load_replay_and_failure_through_the_cli(
    start_qianhub: StartQianhub, demo_keys: DemoKeys, base_env: dict[str, str], tmp_path: Path
) -> None:
    simulator = start_qianhub()
    env = {
        **base_env,
        "QIANHUB_GATEWAY_URL": simulator.url,
        "QIANHUB_APP_ID": demo_keys.app_id,
        "QIANHUB_PRIVATE_KEY_FILE": str(demo_keys.private_key_file),
    }
    ok = cli("load", "--vendor", "qianhub", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert f"qianhub {DAY}: ok" in ok.stdout
    bills = re.search(r"table qianhub\.bills rows=(\d+) hash=(\w+)", ok.stdout)
    assert bills and int(bills.group(1)) > 50

    home = tmp_path / "home"
    replayed = cli(
        "replay", "--vendor", "qianhub", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path
    )
    assert replayed.returncode == 0, replayed.stderr
    assert bills.group(0) in replayed.stdout  # same rows, same content

    # list-shop answers, but every batch-query window stays over the size cap down to the
    # smallest window: each shop fails, and the error names it and the window.
    broken = start_qianhub("oversize_over_hours=0.1,oversize_bytes=1500000")
    failing = {**env, "QIANHUB_GATEWAY_URL": broken.url, "QIANHUB_MAX_RESPONSE_MB": "1"}
    failed = cli(
        "load", "--vendor", "qianhub", "--start", DAY, "--end", DAY, env=failing, cwd=tmp_path
    )
    assert failed.returncode == 1
    assert f"qianhub {DAY}: FAILED" in failed.stdout
    shop_id = broken.world.shops()[0]["shop_id"]
    assert f"shop {shop_id}, business date {DAY}, window [{DAY} 06:00:00" in failed.stderr
    assert "3 of 3 QianHub shops failed" in failed.stderr

    # No key material in anything the runs left: output, warehouse, raw pages, Dagster storage.
    secrets = _secret_lines(demo_keys)
    texts = [ok.stdout, ok.stderr, failed.stdout, failed.stderr, replayed.stdout]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        texts += [str(row) for row in con.execute("SELECT * FROM meta.loads").fetchall()]
        texts += [str(row) for row in con.execute("SELECT * FROM meta.rejects").fetchall()]
    for path in (home / "dagster").rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    blob = "\n".join(texts)
    assert len(blob) > 10_000
    assert not [s for s in secrets if s in blob]
    assert not re.search(r"[0-9a-f]{200,}", blob)  # no request signature either
