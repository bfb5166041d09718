"""No secret anywhere: a full load of both vendors and WHALE through Dagster, a failing load,
and a webhook session with good and badly signed pushes, all with distinctive key values; then
every byte the runs left -- stdout/stderr, the warehouse and its read copy (every table,
meta.* included), the Parquet lake, raw landings, the Dagster instance (event log, run
records, asset metadata, compute logs), the push inbox and call budget -- is searched for the
keys. 0 hits."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pyarrow.parquet as pq

from etl.simulator import DemoKeys, PospalSimulator, PospalWorld
from etl.simulator.whale_server import WhaleSimulator
from tests.conftest import StartQianhub
from tests.live_webhook import running_webhook
from tests.test_cli import base_env, cli  # noqa: F401 -- base_env is a fixture
from tests.test_cli_pospal import _accounts_env

DAY = "2026-11-03"
POSPAL_KEYS = ("PospalKey-7f3a9c-ZEBRA-0001", "PospalKey-7f3a9c-ZEBRA-0002")
WHALE_TOKEN = "WhaleToken-7f3a9c-OKAPI"


def _pem_lines(keys: DemoKeys) -> list[str]:
    pem = keys.private_key_file.read_text().splitlines()
    return [line for line in pem if line and not line.startswith("-----")]


def _texts(root: Path) -> Iterator[tuple[Path, str]]:
    """Every file under ``root`` as text, decoded the way a reader would see it."""
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data.decode("utf-8", "replace")
        if path.suffix == ".gz":
            yield path, gzip.decompress(data).decode("utf-8", "replace")
        elif path.suffix == ".parquet":
            yield path, str(pq.read_table(path).to_pylist())
        elif path.suffix == ".duckdb":
            with duckdb.connect(str(path), read_only=True) as con:
                tables = con.execute(
                    "SELECT schema_name, table_name FROM duckdb_tables()"
                ).fetchall()
                for schema, table in tables:
                    rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
                    yield path, f"{schema}.{table}: {rows}"


def _webhook_session(env: dict[str, str], cwd: Path, apps: list[str]) -> list[int]:
    with running_webhook(env, cwd, cwd / "webhook.log") as url:
        statuses = []
        for app, key, signature in (
            (apps[0], POSPAL_KEYS[0], None),  # good
            (apps[1], POSPAL_KEYS[1], None),  # good, other account
            (apps[0], POSPAL_KEYS[0], "0" * 32),  # wrong signature
            (apps[0], POSPAL_KEYS[1], None),  # signed with another account's key
        ):
            body = json.dumps(
                {
                    "cmd": "ticket.new",
                    "timestamp": 1762146000150,
                    "bornTimeStamp": 1762146000000,
                    "version": "1.0",
                    "appId": app,
                    "body": json.dumps(
                        {
                            "sn": f"2026110313000{len(statuses)}",
                            "uid": 2**60,
                            "customerUid": 0,
                            "ticketType": 1,
                        }
                    ),
                }
            ).encode()
            sign = signature or hashlib.md5(key.encode() + body).hexdigest().upper()
            answer = httpx.post(
                f"{url}/pospal/push", content=body, headers={"data-signature": sign}, timeout=5
            )
            statuses.append(answer.status_code)
    return statuses


def test_no_key_anywhere_after_loads_and_a_webhook_session(
    start_qianhub: StartQianhub,
    demo_keys: DemoKeys,
    base_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    qianhub = start_qianhub()
    world = PospalWorld(seed=5, stores=2, as_of=None, members=20)
    apps = list(world.accounts())
    keys = dict(zip(apps, POSPAL_KEYS, strict=True))
    headers = tmp_path / "whale-headers.json"
    headers.write_text(json.dumps({"Authorization": f"Bearer {WHALE_TOKEN}"}))
    with (
        PospalSimulator(world, accounts=keys) as pospal,
        WhaleSimulator(required_headers={"Authorization": f"Bearer {WHALE_TOKEN}"}) as whale,
    ):
        whale.write_order_ids(tmp_path / "whale-ids.txt")
        env = {
            **_accounts_env(base_env, pospal, keys, tmp_path),
            "QIANHUB_GATEWAY_URL": qianhub.url,
            "QIANHUB_APP_ID": demo_keys.app_id,
            "QIANHUB_PRIVATE_KEY_FILE": str(demo_keys.private_key_file),
            "POSPAL_BUDGET_FILE": str(tmp_path / "home" / "budget.sqlite"),
            "WHALE_BASE_URL": whale.url,
            "WHALE_HEADERS_FILE": str(headers),
            "WHALE_ORDER_IDS_FILE": str(tmp_path / "whale-ids.txt"),
            "DAGSTER_HOME": str(tmp_path / "home" / "dagster"),
        }
        runs = [
            cli("load", "--vendor", "all", "--start", DAY, "--end", DAY, env=env, cwd=tmp_path),
            cli("whale", "notifications", "make-code", env=env, cwd=tmp_path),
            cli("whale", "activity", "--help", env=env, cwd=tmp_path),
            # A failing load: a wrong key for store-2 (the vendor's error names no key).
            cli(
                "load", "--vendor", "pospal", "--start", DAY, "--end", DAY,
                env={**env, "STORE2_KEY": "0" * 32}, cwd=tmp_path,
            ),
        ]  # fmt: skip
        statuses = _webhook_session(env, tmp_path, apps)

    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[3].returncode == 1 and "store-2" in runs[3].stderr
    assert statuses == [200, 200, 403, 403]
    secrets = [*POSPAL_KEYS, WHALE_TOKEN, *_pem_lines(demo_keys)]
    outputs = [r.stdout + r.stderr for r in runs]
    files = list(_texts(tmp_path / "home"))
    scanned = sum(len(text) for _, text in files) + sum(len(o) for o in outputs)
    assert scanned > 200_000  # the scan saw the warehouse, the lake and the event log
    hits = [
        (str(path), secret[:12])
        for path, text in [*files, *((Path(f"run {i}"), o) for i, o in enumerate(outputs))]
        for secret in secrets
        if secret in text
    ]
    hits += [
        ("webhook.log", s[:12]) for s in secrets if s in (tmp_path / "webhook.log").read_text()
    ]
    assert hits == []
