"""Raw landing: round trip, manifest, newest complete fetch, integrity and path safety."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from etl.errors import LoadError
from etl.raw import RawStore

VENDOR, ENDPOINT, DAY = "qianhub", "qianhub.agent.batch-query", "2026-11-01"
T06 = dt.datetime.fromisoformat("2026-11-01 06:00:00")  # shop-local, naive by design
T18 = dt.datetime.fromisoformat("2026-11-01 18:00:00")
T30 = dt.datetime.fromisoformat("2026-11-02 06:00:00")
BODY_A = (
    '[{"shop_id":10,"boh_type":"cashier.finish",'
    '"json":{"bill_id":5539576104912,"amount":109.5,"staff_name":"王店"}}]'
).encode()
BODY_B = b"[]"


def _land(store: RawStore, load_id: str, unit: str = "shop_id=10", complete: bool = True) -> Path:
    fetch = store.start(VENDOR, ENDPOINT, DAY, unit, load_id)
    fetch.add(T06, T18, BODY_A)
    fetch.add(T18, T30, BODY_B)
    if complete:
        fetch.complete()
    return fetch.path


def test_round_trip_keeps_bytes_and_writes_manifest(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    path = _land(store, "run-1")
    assert path.parent == tmp_path / VENDOR / ENDPOINT / f"business_date={DAY}" / "shop_id=10"
    assert path.name.endswith("_run-1") and len(path.name.split("_")[0]) == len(
        "20261101T000000000000"
    )
    assert sorted(p.name for p in path.iterdir()) == [
        "0001_20261101T060000_20261101T180000.json.gz",
        "0002_20261101T180000_20261102T060000.json.gz",
        "manifest.json",
    ]
    assert (
        gzip.decompress((path / "0001_20261101T060000_20261101T180000.json.gz").read_bytes())
        == BODY_A
    )

    manifest = json.loads((path / "manifest.json").read_text())
    first = manifest["files"][0]
    assert (first["begin"], first["end"]) == ("2026-11-01T06:00:00", "2026-11-01T18:00:00")
    assert first["bytes"] == len(BODY_A)
    assert first["sha256"] == hashlib.sha256(BODY_A).hexdigest()
    gz_file = path / "0001_20261101T060000_20261101T180000.json.gz"
    assert first["gz_sha256"] == hashlib.sha256(gz_file.read_bytes()).hexdigest()
    assert manifest["load_id"] == "run-1" and "fetched_at" in first

    landed = store.latest(VENDOR, ENDPOINT, DAY, "shop_id=10")
    assert landed is not None
    assert (landed.path, landed.load_id) == (path, "run-1")
    assert landed.windows == ((T06, T18), (T18, T30))
    assert list(landed.bodies()) == [BODY_A, BODY_B]
    assert not list(path.glob(".*"))  # no temporary files left behind


def test_latest_is_newest_complete_and_ignores_incomplete(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    _land(store, "run-1")
    second = _land(store, "run-2")
    _land(store, "run-3", complete=False)  # crashed mid-load: newer but invisible
    landed = store.latest(VENDOR, ENDPOINT, DAY, "shop_id=10")
    assert landed is not None and (landed.path, landed.load_id) == (second, "run-2")
    assert store.latest(VENDOR, ENDPOINT, DAY, "shop_id=11") is None
    assert store.latest(VENDOR, ENDPOINT, "2026-11-02", "shop_id=10") is None


def test_units_lists_only_units_with_a_complete_fetch(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    _land(store, "run-1", unit="shop_id=10")
    _land(store, "run-1", unit="shop_id=12")
    _land(store, "run-1", unit="shop_id=11", complete=False)
    assert store.units(VENDOR, ENDPOINT, DAY) == ["shop_id=10", "shop_id=12"]
    assert store.units(VENDOR, ENDPOINT, "2026-11-09") == []


def test_sha_mismatch_names_the_file(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    path = _land(store, "run-1")
    tampered = path / "0002_20261101T180000_20261102T060000.json.gz"
    tampered.write_bytes(gzip.compress(b'[{"forged":true}]'))
    landed = store.latest(VENDOR, ENDPOINT, DAY, "shop_id=10")
    assert landed is not None
    bodies = landed.bodies()
    assert next(bodies) == BODY_A
    with pytest.raises(LoadError, match=tampered.name):
        next(bodies)

    tampered.write_bytes(b"\x1f\x8b\x08\x00garbage")  # a gzip header, then noise
    with pytest.raises(LoadError, match=f"{tampered.name} is unreadable"):
        list(landed.bodies())


def test_a_recompressed_file_is_checked_over_its_body(tmp_path: Path) -> None:
    """The gzip file's own sha256 is a shortcut, not the contract: the same body in other
    gzip bytes (another level, a header with a name and time) still reads, and a different
    body in a file of another level still fails."""
    store = RawStore(tmp_path)
    path = _land(store, "run-1")
    first = path / "0001_20261101T060000_20261101T180000.json.gz"
    first.write_bytes(gzip.compress(BODY_A, compresslevel=1, mtime=1_700_000_000))
    landed = store.latest(VENDOR, ENDPOINT, DAY, "shop_id=10")
    assert landed is not None
    assert list(landed.bodies()) == [BODY_A, BODY_B]

    first.write_bytes(gzip.compress(BODY_A.replace(b"109.5", b"100.5"), compresslevel=1))
    with pytest.raises(LoadError, match=f"{first.name} fails its manifest check"):
        list(landed.bodies())


def test_a_body_in_several_gzip_members_or_cut_short_is_read_whole_or_refused(
    tmp_path: Path,
) -> None:
    """The one-buffer inflate reads the first gzip member only: a body landed again in two
    members (as ``cat a.gz b.gz`` makes) is inflated whole and still reads; a file cut
    short, or with one more member than its body, is refused."""
    store = RawStore(tmp_path)
    path = _land(store, "run-1")
    first = path / "0001_20261101T060000_20261101T180000.json.gz"
    half = len(BODY_A) // 2
    first.write_bytes(gzip.compress(BODY_A[:half]) + gzip.compress(BODY_A[half:]))
    landed = store.latest(VENDOR, ENDPOINT, DAY, "shop_id=10")
    assert landed is not None
    assert list(landed.bodies()) == [BODY_A, BODY_B]

    whole = gzip.compress(BODY_A)
    first.write_bytes(whole[:-6])  # the trailer's CRC and length cut off
    with pytest.raises(LoadError, match=f"{first.name} is unreadable"):
        list(landed.bodies())

    first.write_bytes(whole + gzip.compress(b"[]"))
    with pytest.raises(LoadError, match=f"{first.name} fails its manifest check"):
        list(landed.bodies())


def test_a_landing_from_before_gz_sha256_is_checked_over_its_bodies(tmp_path: Path) -> None:
    """Manifests written before the gzip file's sha256 was recorded read as before."""
    store = RawStore(tmp_path)
    path = _land(store, "run-1")
    manifest = json.loads((path / "manifest.json").read_text())
    for entry in manifest["files"]:
        del entry["gz_sha256"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    landed = store.latest(VENDOR, ENDPOINT, DAY, "shop_id=10")
    assert landed is not None
    assert list(landed.bodies()) == [BODY_A, BODY_B]

    second = path / "0002_20261101T180000_20261102T060000.json.gz"
    second.write_bytes(gzip.compress(b'[{"forged":true}]', mtime=0))
    with pytest.raises(LoadError, match=f"{second.name} fails its manifest check"):
        list(landed.bodies())


def test_fetch_cannot_grow_after_completion(tmp_path: Path) -> None:
    fetch = RawStore(tmp_path).start(VENDOR, ENDPOINT, DAY, "shop_id=10", "run-1")
    fetch.add(None, None, BODY_B)
    fetch.complete()
    with pytest.raises(RuntimeError):
        fetch.add(T06, T18, BODY_A)


def test_land_one_off_body(tmp_path: Path) -> None:
    shops = '{"shops":[{"shop_id":10,"shop_name":"哇哇叫"}]}'.encode()
    path = RawStore(tmp_path).land(
        VENDOR, "qianhub.agent.list-shop", "20261101T060000_run-1", shops
    )
    assert path == tmp_path / VENDOR / "qianhub.agent.list-shop" / "20261101T060000_run-1.json.gz"
    assert gzip.decompress(path.read_bytes()) == shops


@pytest.mark.parametrize("bad", ["../etc", "a/b", "..", "x\x00y", "", ".hidden", "a\\b"])
def test_path_traversal_is_rejected(tmp_path: Path, bad: str) -> None:
    store = RawStore(tmp_path)
    with pytest.raises(ValueError, match="safe path component"):
        store.start(VENDOR, ENDPOINT, bad, "shop_id=10", "run-1")
    with pytest.raises(ValueError, match="safe path component"):
        store.start(VENDOR, ENDPOINT, DAY, bad, "run-1")
    with pytest.raises(ValueError, match="safe path component"):
        store.land(VENDOR, ENDPOINT, bad, b"{}")
    assert list(tmp_path.iterdir()) == []  # nothing was created outside or inside the root
