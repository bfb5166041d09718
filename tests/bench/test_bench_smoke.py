"""Smoke test of ``python -m etl.bench`` on a tiny world: the harness runs end to end, prints
its ``bench:`` line and writes its report, and its replay stage loads exactly what a direct
load of the same world through the simulator loads (so it measures the real path). Never timed;
dlt and pandas are imported by the harness only when installed, else the baselines are skipped.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

from etl.bench import stages
from etl.bench.__main__ import main
from etl.bench.replay import settings_for
from etl.bench.world import (
    APP_ID,
    LAZY_CACHE_DAYS,
    BenchConfig,
    account_name,
    pospal_world,
    pregenerated,
    qianhub_world,
)
from etl.config import QianhubSettings
from etl.pipeline import pospal as pospal_pipeline
from etl.pipeline import qianhub as qianhub_pipeline
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount
from etl.qianhub.client import QianhubClient
from etl.raw import RawStore
from etl.simulator import PospalSimulator, QianhubSimulator, ensure_demo_keypair
from etl.warehouse import Warehouse

pytestmark = pytest.mark.slow  # a whole (tiny) bench run against the simulators: ~10 s

ARGS = ["--bills", "300", "--tickets", "120", "--days", "1", "--in-process", "--runs", "2"]
LINE = re.compile(
    r"^bench: replay_bills_per_s=(?P<replay>\d+) vs_dlt=(?P<dlt>[\d.]+x|skipped) "
    r"vs_naive=(?P<naive>[\d.]+x|skipped) vs_limit=(?P<limit>[\d.]+)x "
    r"peak_rss_mb=(?P<rss>\d+)$"
)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[BenchConfig, str, Path]:
    """One tiny run (workdir kept), its stdout and the report it wrote."""
    root = tmp_path_factory.mktemp("bench")
    out = root / "performance.md"
    work = root / "work"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main([*ARGS, "--workdir", str(work), "--out", str(out)]) == 0
    return BenchConfig.load(work), buffer.getvalue(), out


def _counts(home: Path, tables: list[str]) -> dict[str, int]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def test_prints_the_bench_line(bench_run: tuple[BenchConfig, str, Path]) -> None:
    _, stdout, _ = bench_run
    match = LINE.match(stdout.strip().splitlines()[-1])
    assert match, stdout.strip().splitlines()[-1]
    assert int(match["replay"]) > 0 and int(match["rss"]) > 0 and float(match["limit"]) > 0
    has_dlt = importlib.util.find_spec("dlt") is not None
    has_pandas = importlib.util.find_spec("pandas") is not None
    assert (match["dlt"] != "skipped") is has_dlt
    assert (match["naive"] != "skipped") is has_pandas
    if not has_dlt:
        assert "dlt is not installed" in stdout  # the table says why
    for ratio in (match["dlt"], match["naive"]):
        if ratio != "skipped":
            assert float(ratio.rstrip("x")) > 0


def test_writes_the_report(bench_run: tuple[BenchConfig, str, Path]) -> None:
    config, stdout, out = bench_run
    text = out.read_text()
    assert text.startswith("# Performance")
    assert stdout.strip().splitlines()[-1] in text
    assert "## Machine and versions" in text and "duckdb:" in text
    assert re.search(r"raw limit of this machine \(below\) is [\d,]+ bills/s", text)
    assert f"{config.total_bills():,} bills" in text
    assert "records, lake: new partitions from the loads, others at the end." in text
    assert "--lake-follow" not in text and "each new partition written from the rows" in text
    # The profile stage: the fast path against the reference, and both profiles.
    assert "## Where replay time goes" in text and "reference flattener" in text
    assert text.count("   ncalls") == 2
    # One bill in ten re-checked-out for the re-upsert stage (the tiny world has one day).
    assert f"{config.total_bills() // 10} bills re-checked-out" in stdout


def test_headline_stages_report_their_median_run(
    bench_run: tuple[BenchConfig, str, Path],
) -> None:
    """``--runs 2``: the replay and the raw limit each ran twice; the rate shown is the median
    (the lower of two), beside the slowest and fastest run."""
    _, stdout, _ = bench_run
    for stage, unit in (("replay QianHub", "bills"), ("raw limit QianHub", "bills")):
        (line,) = [row for row in stdout.splitlines() if row.startswith(stage)]
        match = re.search(rf"([\d,]+) {unit}/s \(median of 2: ([\d,]+)-([\d,]+)\)", line)
        assert match, line
        rate, low, high = (int(g.replace(",", "")) for g in match.groups())
        assert rate == low <= high


def test_repeated_stage_takes_the_median_run_and_the_worst_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = iter(
        [
            {"bills_per_s": 900.0, "peak_rss_mb": 500.0, "tree_peak_rss_mb": 800.0, "n": 1},
            {"bills_per_s": 700.0, "peak_rss_mb": 650.0, "tree_peak_rss_mb": 700.0, "n": 2},
            {"bills_per_s": 800.0, "peak_rss_mb": 520.0, "tree_peak_rss_mb": 750.0, "n": 3},
        ]
    )
    monkeypatch.setattr(stages, "run_stage", lambda name, config, in_process: dict(next(runs)))
    config = BenchConfig(workdir="unused", runs=3)
    figures = stages.run_stage_repeated("replay_qianhub", config, in_process=True)
    assert figures["n"] == 3 and figures["bills_per_s"] == 800.0  # the median run's figures
    assert figures["run_rates"] == [900.0, 700.0, 800.0]
    assert figures["peak_rss_mb"] == 650.0 and figures["tree_peak_rss_mb"] == 800.0
    single = {"tickets_per_s": 5.0, "peak_rss_mb": 1.0}
    monkeypatch.setattr(stages, "run_stage", lambda name, config, in_process: dict(single))
    assert stages.run_stage_repeated("replay_pospal", config, in_process=True) == single


def test_replay_equals_a_direct_load(
    bench_run: tuple[BenchConfig, str, Path], tmp_path: Path
) -> None:
    """The bench's replay warehouses hold what loading the same world directly gives."""
    config, _, _ = bench_run
    settings = settings_for(tmp_path / "direct")
    raw = RawStore(settings.raw_dir)
    keys = ensure_demo_keypair(config.root / "keys", app_id=APP_ID)
    q_world, p_world = qianhub_world(config), pospal_world(config)
    with (
        QianhubSimulator(q_world, apps={APP_ID: keys.public_key}) as gateway,
        PospalSimulator(p_world, accounts=p_world.accounts()) as api,
        Warehouse.open(settings) as wh,
    ):
        qianhub = QianhubSettings(
            gateway_url=gateway.url, app_id=APP_ID, private_key_file=keys.private_key_file
        )
        with QianhubClient.from_settings(qianhub) as client:
            day_results = [
                qianhub_pipeline.load_day(
                    client, wh, raw, q_world.shop_ids(), day, qianhub=qianhub, settings=settings
                )
                for day in config.dates()
            ]
        assert all(not r.failures for r in day_results)
        for i, store in enumerate(p_world.stores(), start=1):
            account = PospalAccount(
                account_name(i), api.url, store.app_id, SecretStr(store.app_key)
            )
            with PospalClient(account) as client:
                # Tickets, orders and pay methods as load_days loads them; member histories are
                # left out (the bench does not land them), so are their 100+ calls.
                methods = pospal_pipeline.load_pay_methods(client, wh, raw, account)
                for day in config.dates():
                    queries = pospal_pipeline.day_queries(client, account, day, settings, methods)
                    for query in queries:
                        pospal_pipeline.run_query(wh, raw, query)
    q_tables = list(day_results[0].rows())
    p_tables = ["pospal.tickets", "pospal.orders", "pospal.pay_methods"]
    direct_q = _counts(settings.home, q_tables)
    assert direct_q["qianhub.bills"] == config.total_bills()
    assert _counts(config.root / "replay-qianhub", q_tables) == direct_q
    direct_p = _counts(settings.home, p_tables)
    assert direct_p["pospal.tickets"] == config.total_tickets()
    assert _counts(config.root / "replay-pospal", p_tables) == direct_p


def test_a_partial_run_reports_what_it_ran(tmp_path: Path) -> None:
    """``--stages fetch,replay_qianhub``: how the 1M-bill peak RSS is measured without the
    other stages (the raw limit alone would hold every flattened table in memory); and the
    report names ``--lake-follow`` and ``--no-lake-append`` where they were given."""
    out = tmp_path / "partial.md"
    buffer = io.StringIO()
    args = ["--bills", "200", "--tickets", "40", "--days", "1", "--in-process"]
    with contextlib.redirect_stdout(buffer):
        lake = ["--lake-follow", "--no-lake-append"]
        code = main([*args, "--stages", "fetch,replay_qianhub", *lake, "--out", str(out)])
    assert code == 0
    line = buffer.getvalue().strip().splitlines()[-1]
    assert re.fullmatch(
        r"bench: replay_bills_per_s=\d+ vs_dlt=skipped vs_naive=skipped vs_limit=skipped "
        r"peak_rss_mb=\d+",
        line,
    ), line
    text = out.read_text()
    assert "Stages run: fetch, replay_qianhub." in text
    assert "memory_limit of the replay stages: 192MB" in text
    assert "native flattener on threads" in text
    assert "records, lake: behind the loads." in text
    assert "every partition read back from DuckDB (--no-lake-append)" in text
    assert "behind the loads (--lake-follow), on a thread" in text
    with pytest.raises(SystemExit, match="unknown stage"):
        main([*args, "--stages", "fetch,replay", "--out", str(out)])


def test_only_a_world_that_fits_is_generated_up_front() -> None:
    """The simulator process holds a pre-generated world whole (3.7 GB at 200k bills); at 1M
    it would not fit a 24 GB machine, so it is generated while served, a few days cached."""
    assert pregenerated(BenchConfig(workdir="unused"))
    large = BenchConfig(workdir="unused", bills=1_000_000, tickets=2_000)
    assert not pregenerated(large)
    assert qianhub_world(large)._cache_days == LAZY_CACHE_DAYS
