"""``pos-warehouse`` with Pospal: two accounts loaded through Dagster against the simulator,
replay, a bad key failing fast, ``--vendor all`` refusing a half configuration, and no app
key anywhere in what the runs leave."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

from etl.simulator import PospalSimulator, PospalWorld
from tests.test_cli import base_env, cli  # noqa: F401 -- base_env is a fixture

DAY = "2026-11-03"


def _accounts_env(
    base: dict[str, str], sim: PospalSimulator, keys: dict[str, str], tmp_path: Path
) -> dict[str, str]:
    env = dict(base)
    tables = []
    for i, (app_id, key) in enumerate(keys.items(), start=1):
        env[f"STORE{i}_KEY"] = key
        tables.append(
            f'[[accounts]]\nname = "store-{i}"\nbase_url = "{sim.url}"\n'
            f'app_id = "{app_id}"\napp_key_env = "STORE{i}_KEY"\n'
        )
    accounts = tmp_path / "accounts.toml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    accounts.write_text("\n".join(tables))
    env["POSPAL_ACCOUNTS_FILE"] = str(accounts)
    env["POSPAL_BUDGET_FILE"] = str(tmp_path / "budget.sqlite")
    env["POSPAL_TIMEOUT_SECONDS"] = "2"
    return env


def test_pospal_load_replay_bad_key_and_no_secret_left(
    base_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    world = PospalWorld(seed=5, stores=2, as_of=dt.datetime(2026, 11, 5, 12), members=30)
    keys = world.accounts()
    with PospalSimulator(world, accounts=keys) as sim:
        env = _accounts_env(base_env, sim, keys, tmp_path)
        ok = cli("load", "--vendor", "pospal", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path)
        assert ok.returncode == 0, ok.stderr
        assert f"pospal {DAY} store-1: ok" in ok.stdout
        assert f"pospal {DAY} store-2: ok" in ok.stdout
        expected = sum(len(world.tickets(app, dt.date.fromisoformat(DAY))) for app in keys)
        tickets = re.search(r"table pospal\.tickets rows=(\d+) hash=(\w+)", ok.stdout)
        assert tickets and int(tickets.group(1)) == expected

        replayed = cli(
            "replay", "--vendor", "pospal", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path
        )
        assert replayed.returncode == 0, replayed.stderr
        assert f"pospal {DAY} account store-1: replayed" in replayed.stdout
        assert tickets.group(0) in replayed.stdout  # same rows, same content

    # Wrong keys: the signature error is permanent, so one call per account and no retry.
    wrong = {app: "0" * 32 for app in keys}
    with PospalSimulator(world, accounts=keys) as sim:
        bad_env = _accounts_env(base_env, sim, wrong, tmp_path / "bad")
        failed = cli(
            "load", "--vendor", "pospal", "--start", DAY, "--end", DAY, env=bad_env, cwd=tmp_path
        )
        calls = sum(sim.stats.requests.values())
    assert failed.returncode == 1
    assert f"pospal {DAY} store-1: FAILED" in failed.stdout
    assert "pospal account store-1" in failed.stderr
    assert "2 of 2 partitions failed" in failed.stderr
    assert calls == 2

    home = tmp_path / "home"
    texts = [ok.stdout, ok.stderr, replayed.stdout, failed.stdout, failed.stderr]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        texts += [str(row) for row in con.execute("SELECT * FROM meta.loads").fetchall()]
    for path in (home / "dagster").rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    blob = "\n".join(texts)
    assert len(blob) > 10_000
    assert not [key for key in keys.values() if key in blob]


def test_vendor_all_names_what_is_missing(
    base_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {**base_env, "POSPAL_BASE_URL": "http://127.0.0.1:9", "POSPAL_APP_ID": "APP"}
    result = cli("load", "--vendor", "all", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "QIANHUB_GATEWAY_URL" in result.stderr
    only_pospal = cli(
        "load", "--vendor", "pospal", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path
    )
    assert only_pospal.returncode == 1
    assert "POSPAL_APP_KEY not set" in only_pospal.stderr


def test_push_url_show_and_set_per_account(
    base_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    world = PospalWorld(seed=5, stores=2, as_of=dt.datetime(2026, 11, 5, 12), members=30)
    keys = world.accounts()
    with PospalSimulator(world, accounts=keys) as sim:
        env = _accounts_env(base_env, sim, keys, tmp_path)
        before = cli("pospal", "push-url", "show", env=env, cwd=tmp_path)
        url = "https://etl.example.com/pospal/push"
        changed = cli(
            "pospal", "push-url", "set", url, "--account", "store-2", env=env, cwd=tmp_path
        )
        after = cli("pospal", "push-url", "show", env=env, cwd=tmp_path)
        refused = cli("pospal", "push-url", "set", "ftp://x", env=env, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert "pospal store-1: not set" in before.stdout and "pospal store-2: not set" in before.stdout
    assert changed.returncode == 0, changed.stderr
    assert f"pospal store-2: {url} (enabled, valid 2026-11-05 12:00:00" in changed.stdout
    assert "pospal store-1: not set" in after.stdout
    assert f"pospal store-2: {url} (enabled" in after.stdout
    assert refused.returncode == 1 and "push URL must be http(s)" in refused.stderr
