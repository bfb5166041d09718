"""WHALE end to end on 127.0.0.1: the client against the simulator (which makes its orders
through a real HTTP call to its ESB receiver), a failed notification fixed by retry, the
pipeline loading both tables with exact values, the Dagster assets, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from etl.config import WarehouseSettings
from etl.pipeline.whale import (
    load_make_code_notifications,
    load_verify_notifications,
    retry_failed,
)
from etl.raw import RawStore
from etl.simulator.whale_server import WhaleSimulator
from etl.warehouse import Warehouse
from etl.whale import ActivityInsert, WhaleAuthError, WhaleClient, WhaleRejected
from tests.whale.conftest import TOKEN_HEADERS

ORDERS = [f"2026110100{i}" for i in range(1, 7)]


def test_simulator_makes_codes_through_esb_and_retry_fixes_a_failed_one(
    whale_sim: WhaleSimulator, whale_client: WhaleClient
) -> None:
    assert whale_sim.order_ids == ORDERS
    assert whale_sim.failing == {"20261101002", "20261101005"}
    assert whale_sim.esb is not None and whale_sim.esb.calls == ORDERS  # one ESB call each
    # WHALE -> ESB carries the document's table fields (its example shows other names).
    assert whale_sim.esb.requests[0] == {
        "saleChannelId": "10002401",
        "sendChannelId": "123",
        "sendChannelOrderId": "20261101001",
        "whaleTradeNo": "W99000009100020261101001",
        "channelMid": "M000001545",
        "channelTid": "T0001",
        "orderEncryptKey": "***",
        "createDate": "20261101",
        "createTime": "20261101100100",
        "items": [{"saleChannelItemId": "20261101001", "ticketId": 1, "validDays": 10}],
    }
    failed = whale_client.make_notification("20261101002")
    assert (failed.returnCode, failed.isNotify, failed.status) == (
        "E1",
        "未通知",
        "制码通知失败: 制码方超时",
    )
    fixed = whale_client.retry_notification("20261101002")
    assert (fixed.returnCode, fixed.isNotify, fixed.status) == ("00", "已通知", "制码成功,已通知")
    assert whale_sim.esb.calls == [*ORDERS, "20261101002"]  # the retry called ESB again
    assert whale_client.make_notification("20261101002").succeeded
    verify = whale_client.verify_notification("20261101001")
    assert (verify.returnCode, verify.status, verify.isCanVoid) == ("00", "已核销", "不可撤销")
    with pytest.raises(WhaleRejected) as none_yet:
        whale_client.verify_notification("20261101006")
    assert none_yet.value.code == "02"


def test_setup_actions_against_the_simulator(
    whale_sim: WhaleSimulator, whale_client: WhaleClient
) -> None:
    activity = ActivityInsert(
        activityName="中信电子凭证活动",
        ebuyActivityId="2018090500",
        saleChannelId="10002401",
        validStart="20180905112600",
        validEnd="20181005112600",
        createTime="20180905112600",
        updateTime="20180905112600",
    )
    assert whale_client.setup(activity).returnCode == "00"
    assert whale_sim.api.activities["2018090500"]["activityName"] == "中信电子凭证活动"
    with pytest.raises(WhaleRejected) as duplicate:
        whale_client.setup(activity)
    assert duplicate.value.code == "03"
    with WhaleClient(whale_sim.url) as no_token, pytest.raises(WhaleAuthError):
        no_token.setup(activity)


def _table(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT sale_channel_order_id, notify_id, order_id, sale_channel_id, created_at, "
        "order_mobile_masked, code_num, is_notified, can_void, return_code, succeeded, "
        f"updated_at, status FROM {table} ORDER BY 1"
    ).fetchall()


def test_pipeline_loads_both_tables_and_retry_reloads_the_fixed_ones(tmp_path: Path) -> None:
    settings = WarehouseSettings(home=tmp_path / "home")
    raw = RawStore(settings.raw_dir)
    with (
        WhaleSimulator(malformed={"20261101006"}) as sim,
        WhaleClient(sim.url, backoff_base=0) as client,
        Warehouse.open(settings) as wh,
    ):
        make = load_make_code_notifications(client, wh, raw, [*ORDERS, "20261101099"])
        verify = load_verify_notifications(client, wh, raw, ORDERS)
        assert (make.requested, make.rows, make.result.rejects) == (7, 5, 1)
        assert make.missing == {"20261101099": "code 02: 制码订单不存在: 20261101099"}
        assert (verify.rows, sorted(verify.missing)) == (
            3,
            ["20261101002", "20261101005", "20261101006"],
        )
        rows = _table(wh.con, "whale.make_code_notifications")
        at = dt.datetime(2026, 11, 1, 10)

        def row(n: int, created: int, updated: int, ok: bool) -> tuple[Any, ...]:
            return (
                f"2026110100{n}",
                f"N202611010000000{n}",
                f"99000009100020261101{n:03d}",
                10002401,
                at + dt.timedelta(minutes=created),
                "135****1212",
                1,
                ok,
                True,
                "00" if ok else "E1",
                ok,
                at + dt.timedelta(minutes=updated),
                "制码成功,已通知" if ok else "制码通知失败: 制码方超时",
            )

        assert rows == [
            row(1, 0, 1, True),
            row(2, 2, 3, False),
            row(3, 4, 5, True),
            row(4, 6, 7, True),
            row(5, 8, 9, False),
        ]
        ((reason, key),) = wh.con.execute(
            "SELECT reason, record_key FROM meta.rejects WHERE vendor = 'whale'"
        ).fetchall()
        assert key == "20261101006" and "$.codeNum" in reason
        verified = wh.con.execute(
            "SELECT sale_channel_order_id, return_code, status, succeeded "
            "FROM whale.verify_notifications ORDER BY 1"
        ).fetchall()
        assert verified == [
            ("20261101001", "00", "已核销", True),
            ("20261101003", "00", "已核销", True),
            ("20261101004", "01", "核销通知失败", False),
        ]

        retried = retry_failed(client, wh, raw)
        assert (retried.retried, retried.fixed, retried.still_failed) == (
            ["20261101002", "20261101005"],
            ["20261101002", "20261101005"],
            [],
        )
        after = {r[0]: r for r in _table(wh.con, "whale.make_code_notifications")}
        assert after["20261101002"][9:] == ("00", True, after["20261101002"][11], "制码成功,已通知")
        assert after["20261101001"] == rows[0]  # untouched
        assert wh.con.execute(
            "SELECT count(*) FROM whale.make_code_notifications WHERE NOT succeeded"
        ).fetchall() == [(0,)]
        assert retry_failed(client, wh, raw).retried == []  # nothing left to retry
    lake = settings.lake_dir / "whale" / "make_code_notifications" / "data.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM '{lake}'").fetchall() == [(5,)]


def test_dagster_assets_and_retry_job_materialise_against_the_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from dagster_project.assets.whale import build_whale_assets, build_whale_retry_job
    from dagster_project.resources import WarehouseResource
    from dagster_project.whale_resources import WhaleResource

    with WhaleSimulator() as sim:
        ids = tmp_path / "ids.txt"
        sim.write_order_ids(ids)
        monkeypatch.setenv("WHALE_BASE_URL", sim.url)
        monkeypatch.setenv("WHALE_ORDER_IDS_FILE", str(ids))
        resources = {
            "whale": WhaleResource(),
            "warehouse": WarehouseResource(home=str(tmp_path / "home")),
        }
        assets = build_whale_assets()
        assert [a.key.to_user_string() for a in assets] == [
            "whale/make_code_notifications",
            "whale/verify_notifications",
        ]
        result = dg.materialize(assets, resources=resources)
        assert result.success
        meta = {
            m.asset_key.to_user_string(): m.metadata
            for m in result.get_asset_materialization_events()
            for m in [m.materialization]
        }
        assert meta["whale/make_code_notifications"]["rows"].value == 6
        assert meta["whale/verify_notifications"]["missing"].value == 3
        job = dg.Definitions(jobs=[build_whale_retry_job()], resources=resources)
        run = job.get_job_def("whale_retry_failed").execute_in_process()
        assert run.success
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FILTER (WHERE succeeded), count(*) FROM whale.make_code_notifications"
        ).fetchall() == [(6, 6)]


def _invoke(args: list[str], env: dict[str, str]) -> Any:
    from dagster_project.cli import app

    return CliRunner().invoke(app, ["whale", *args], env=env)


def test_cli_dry_run_shows_the_request_without_secrets_and_apply_sends_it(
    whale_sim: WhaleSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    headers = tmp_path / "headers.json"
    headers.write_text(json.dumps(TOKEN_HEADERS))
    env = {"WHALE_BASE_URL": whale_sim.url, "WHALE_HEADERS_FILE": str(headers)}
    args = [
        "template",
        "--name",
        "COSTA30元代金券",
        "--send-channel-id",
        "123",
        "--brand-id",
        "686",
        "--product-id",
        "12345",
        "--ticket-type",
        "1",
        "--face-value",
        "000000003000",
        "--send-type",
        "1",
        "--create-time",
        "20261101100000",
        "--update-time",
        "20261101100000",
    ]
    dry = _invoke(args, env)
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["url"] == f"{whale_sim.url}/templateInsert"
    assert shown["headers"] == {
        "Content-Type": "application/json; charset=utf-8",
        "X-Whale-Token": "***",
    }
    assert shown["body"] == {
        "templateName": "COSTA30元代金券",
        "sendChannelId": 123,
        "brandId": 686,
        "productId": 12345,
        "ticketType": 1,
        "faceValue": "000000003000",
        "sendType": 1,
        "createTime": "20261101100000",
        "updateTime": "20261101100000",
    }
    assert TOKEN_HEADERS["X-Whale-Token"] not in dry.output
    assert whale_sim.api.templates == {}  # nothing was sent

    applied = _invoke([*args, "--apply"], env)
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout) == {
        "returnCode": "00",
        "returnMsg": "SUCCESS",
        "returnDesc": None,
    }
    assert [t["templateName"] for t in whale_sim.api.templates.values()] == ["COSTA30元代金券"]

    bad = _invoke(["sale-channel", "--name", "x" * 100], env)
    assert bad.exit_code == 1 and "saleChannelName" in bad.output
    unset = _invoke([*args, "--apply"], {"WHALE_BASE_URL": ""})
    assert unset.exit_code == 1 and "WHALE_BASE_URL is not set" in unset.output

    query = _invoke(["notifications", "make-code", "--order-id", "20261101002"], env)
    assert query.exit_code == 0, query.output
    assert json.loads(query.stdout)["returnCode"] == "E1"
    assert "13524121212" not in query.output  # the mobile is masked
    fixed = _invoke(["retry", "--order-id", "20261101002"], env)
    assert fixed.exit_code == 0 and json.loads(fixed.stdout)["returnCode"] == "00"
