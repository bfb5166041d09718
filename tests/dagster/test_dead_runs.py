"""A run killed mid-step must not hold the `duckdb` pool slot forever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg

from dagster_project.runner import HOST_TAG, INSTANCE_YAML, PID_TAG, release_dead_runs

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import dagster as dg

    @dg.asset(pool="duckdb")
    def victim() -> None:
        os.kill(os.getpid(), signal.SIGKILL)  # dies holding the pool slot

    tags = {sys.argv[1]: str(os.getpid()), sys.argv[2]: sys.argv[3]}
    dg.materialize([victim], instance=dg.DagsterInstance.get(), tags=tags)
    """
)


def test_killed_run_is_failed_and_its_slot_freed(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, PID_TAG, HOST_TAG, socket.gethostname()],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -9
    instance = dg.DagsterInstance.from_config(str(home))
    assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.STARTED

    assert release_dead_runs(instance) == [run.run_id]
    assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots == []
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    assert release_dead_runs(instance) == []
