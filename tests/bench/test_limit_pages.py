"""The raw limit reads the pages a replay reads: the newest complete fetch of each unit, not
every fetch a re-run of the fetch stage left beside it."""

from __future__ import annotations

from pathlib import Path

from etl.bench.limits import _fetch_dirs
from etl.bench.world import BenchConfig
from etl.raw import RawStore


def _land(raw: RawStore, day: str, unit: str, load_id: str, *, complete: bool = True) -> Path:
    fetch = raw.start("qianhub", "batch-query", day, unit, load_id)
    fetch.add(None, None, b"[]")
    if complete:
        fetch.complete()  # (writes the manifest that makes the fetch visible)
    return fetch.path


def test_each_unit_is_read_once_from_its_newest_fetch(tmp_path: Path) -> None:
    config = BenchConfig(workdir=str(tmp_path))
    raw = RawStore(config.raw_dir)
    _land(raw, "2026-11-01", "shop_id=1", "20261101T000000_a")
    newest = _land(raw, "2026-11-01", "shop_id=1", "20261124T000000_b")  # fetched again
    other = _land(raw, "2026-11-01", "shop_id=2", "20261101T000000_c")
    _land(raw, "2026-11-01", "shop_id=2", "20261124T000000_d", complete=False)  # killed
    next_day = _land(raw, "2026-11-02", "shop_id=1", "20261101T000000_e")
    assert _fetch_dirs(config, "qianhub", "batch-query") == [newest, other, next_day]
