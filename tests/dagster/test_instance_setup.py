"""Four processes opening one brand-new Dagster home at once (two loads started together on a
fresh machine): every one gets the instance; none fails creating the storage schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CODE = (
    "from dagster_project.runner import instance_for\n"
    "from etl.config import WarehouseSettings\n"
    "instance_for(WarehouseSettings.from_env()).get_runs(limit=1)\n"
)


def test_processes_setting_up_one_new_home_at_once_all_succeed(tmp_path: Path) -> None:
    for trial in range(3):
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        env["POS_WAREHOUSE_HOME"] = str(tmp_path / f"home{trial}")
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        processes = [
            subprocess.Popen([sys.executable, "-c", CODE], env=env, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        failures = [
            err.decode("utf-8", "replace")[-300:]
            for p in processes
            for _, err in [p.communicate(timeout=120)]
            if p.returncode != 0
        ]
        assert failures == []
