"""Lake rewrites that follow a backfill (:mod:`etl.warehouse.lake_follow`): partitions the
latest commit left alone are rewritten on a thread, their marks cleared only while no later
commit touched them, and the lake ends equal to DuckDB whatever the thread saw."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from etl.config import WarehouseSettings
from etl.warehouse import LoadUnit, Warehouse, lake_follow
from etl.warehouse.lake import Partition
from etl.warehouse.lake_check import lake_differences, partition_differences
from etl.warehouse.lake_follow import LakeFollower
from tests.warehouse.test_upsert import D1, D2, SPEC, _create, batch

D3 = dt.date(2026, 11, 3)
TABLES = ("t.parent", "t.child")
Files = tuple[str | None, set[str | None]]


def _load(wh: Warehouse, name: str, *bills: tuple[int, dt.date, int, str, str, list[str]]) -> None:
    wh.load(LoadUnit("test", "ep", name, bills[0][1]), batch(*bills), [SPEC])


def _marked(wh: Warehouse) -> set[tuple[str, str]]:
    rows = wh.con.execute("SELECT table_name, partition_value FROM meta.lake_dirty").fetchall()
    return {(table, value) for table, value in rows}


def _equal_everywhere(wh: Warehouse) -> None:
    for table in TABLES:
        assert lake_differences(wh.con, wh.lake_dir, table, "business_date") == 0, table
    assert _marked(wh) == set()


def _follower(wh: Warehouse) -> lake_follow.LakeFollower:
    follower = wh._follower
    assert follower is not None
    return follower


def test_partitions_a_commit_left_alone_are_rewritten_behind_it(tmp_path: Path) -> None:
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(follow=True):
            _load(wh, "a", (1, D1, 0, "10:00", "1.00", ["x"]), (2, D1, 0, "11:00", "2.00", []))
            _load(wh, "b", (3, D2, 0, "10:00", "3.00", ["y", "z"]))
            _follower(wh).settle()
            # D1 was left alone by the second commit: written and cleared; D2 waits.
            assert _marked(wh) == {(t, D2.isoformat()) for t in TABLES}
            for table in TABLES:
                args = (wh.con, wh.lake_dir, table, "business_date")
                assert partition_differences(*args, D1.isoformat()) == 0
                assert partition_differences(*args, D2.isoformat()) > 0  # not written yet
            _load(wh, "c", (4, D3, 0, "10:00", "4.00", ["w"]))
            _follower(wh).settle()
            assert _follower(wh).rewritten == 4  # two tables, D1 and D2
            assert _marked(wh) == {(t, D3.isoformat()) for t in TABLES}
        _equal_everywhere(wh)  # the block's end wrote D3


def test_a_partition_touched_after_its_rewrite_read_keeps_its_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rewrite of D1 reads DuckDB (t.child first) while a load adds a bill to D1: the
    load's COMMIT waits for the rewrite (no rewrite beside a COMMIT), so the file written is
    stale and D1's marks must stay for the final sync."""
    read, release, waiting = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []
    real_rewrite, real_quiet = lake_follow.rewrite_partition, LakeFollower.quiet

    def slow(con: duckdb.DuckDBPyConnection, lake: Path, part: Partition, files: Files) -> None:
        real_rewrite(con, lake, part, files)
        if part[2] == D1.isoformat() and not read.is_set():
            read.set()
            assert release.wait(timeout=60)  # a safety net only: the test releases it
            order.append(f"{part[0]} rewritten")

    def quiet(follower: LakeFollower) -> Any:
        waiting.set()
        return real_quiet(follower)

    monkeypatch.setattr(lake_follow, "rewrite_partition", slow)
    monkeypatch.setattr(LakeFollower, "quiet", quiet)
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred(follow=True):
            _load(wh, "a", (1, D1, 0, "10:00", "1.00", ["x"]))
            waiting.clear()
            _load(wh, "b", (2, D2, 0, "10:00", "2.00", []))  # schedules D1
            assert read.wait(timeout=60)  # D1's first table read and written, not reported
            waiting.clear()

            def late() -> None:
                _load(wh, "c", (3, D1, 0, "12:00", "3.00", ["late"]))  # touches D1 again
                order.append("c committed")

            loader = threading.Thread(target=late)
            loader.start()
            assert waiting.wait(timeout=60)  # c is at its COMMIT, which must wait
            assert order == []
            release.set()
            loader.join(timeout=60)
            assert order == ["t.child rewritten", "c committed"]
            _follower(wh).settle()
            marked = _marked(wh)
            assert {(t, D1.isoformat()) for t in TABLES} <= marked
            # t.child's file of D1 was written before bill 3 came: one row short.
            stale = partition_differences(
                wh.con, wh.lake_dir, "t.child", "business_date", D1.isoformat()
            )
            assert stale == 1
        _equal_everywhere(wh)
        (bills,) = wh.con.execute("SELECT count(*) FROM t.parent").fetchall()[0]
        assert bills == 3


def test_a_rewrite_failing_on_the_thread_is_left_for_the_final_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = lake_follow.rewrite_partition

    def full(con: duckdb.DuckDBPyConnection, lake: Path, part: Partition, files: Files) -> None:
        if part[0] == "t.child":
            raise OSError(28, "No space left on device")
        real(con, lake, part, files)

    monkeypatch.setattr(lake_follow, "rewrite_partition", full)
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        logs = caplog.at_level("INFO", logger="etl.warehouse.lake_follow")
        with logs, wh.lake_deferred(follow=True):
            _load(wh, "a", (1, D1, 0, "10:00", "1.00", ["x"]))
            _load(wh, "b", (2, D2, 0, "10:00", "2.00", ["y"]))
            _follower(wh).settle()
            assert ("t.child", D1.isoformat()) in _marked(wh)
            assert ("t.parent", D1.isoformat()) not in _marked(wh)
        assert "lake rewrite of t.child 2026-11-01 behind the load failed" in caplog.text
        assert "No space left on device" in caplog.text
        _equal_everywhere(wh)  # the final sync (the real rewrite) wrote it


def test_without_follow_nothing_is_rewritten_before_the_block_ends(tmp_path: Path) -> None:
    with Warehouse.open(WarehouseSettings(home=tmp_path)) as wh:
        _create(wh)
        with wh.lake_deferred():
            _load(wh, "a", (1, D1, 0, "10:00", "1.00", ["x"]))
            _load(wh, "b", (2, D2, 0, "10:00", "2.00", ["y"]))
            assert wh._follower is None
            assert len(_marked(wh)) == 4
        _equal_everywhere(wh)


@pytest.mark.parametrize(("env", "follow"), [("true", True), ("false", False), (None, False)])
def test_a_replay_follows_only_where_the_setting_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, follow: bool
) -> None:
    """Off by default (a rewrite may not run beside a COMMIT, and waiting for it cost more
    than it saved)."""
    from etl.pipeline.qianhub import replay_days
    from etl.raw import RawStore

    if env is None:
        monkeypatch.delenv("POS_WAREHOUSE_REPLAY_LAKE_FOLLOW", raising=False)
    else:
        monkeypatch.setenv("POS_WAREHOUSE_REPLAY_LAKE_FOLLOW", env)
    settings = WarehouseSettings(home=tmp_path)
    assert settings.replay_lake_follow is follow
    seen: list[bool] = []
    real = Warehouse.lake_deferred

    def recorded(self: Warehouse, *, follow: bool = False, append: bool = False) -> Any:
        seen.append(self._follower is None)
        context = real(self, follow=follow, append=append)
        seen.append(follow)
        return context

    monkeypatch.setattr(Warehouse, "lake_deferred", recorded)
    with Warehouse.open(settings) as wh:
        units = [(D1, 10)]  # nothing landed: the replay yields None for it
        out = list(replay_days(wh, RawStore(tmp_path / "raw"), units, settings=settings))
    assert out == [(D1, 10, None)]
    assert seen == [True, follow]
