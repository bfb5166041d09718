"""The reduced chaos set (``python -m etl.chaos --quick``), in process: two fault classes
against a clean load, three SIGKILLed loads re-run to the clean result; and proof that the
comparison does catch a difference, naming the table and the key."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from etl.chaos.__main__ import ChaosRun, plan_for, run
from etl.chaos.compare import compare
from etl.chaos.hooks import KILL_AT_ENV, POINTS
from etl.chaos.report import render
from etl.chaos.units import half_units, unit_states

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ChaosRun]:
    workdir = tmp_path_factory.mktemp("chaos")
    return workdir, run(workdir, plan_for(quick=True, seed=1), seed=1)


def test_the_quick_set_passes_with_three_kills(quick: tuple[Path, ChaosRun]) -> None:
    _, result = quick
    totals = result.totals
    assert [t.problems for t in result.trials] == [[]] * len(result.trials)
    assert [k.problems for k in result.kills] == [[], [], []]
    assert (totals.failures, totals.kills) == (0, 3)
    assert totals.trials == len(result.trials) + 3 == 6
    assert totals.rows_compared > 0
    assert [k.plan.point for k in result.kills] == list(POINTS[:3])
    # Every fault class was met at least once, and every re-run compared both schemas.
    assert all(sum(t.faults_met.values()) > 0 for t in result.trials)
    qianhub, pospal = result.trials[:2]  # 5xx: QianHub, then Pospal
    assert (qianhub.vendor, pospal.vendor) == ("qianhub", "pospal")
    assert {k.rows_compared for k in result.kills} == {qianhub.rows_compared + pospal.rows_compared}


def test_the_report_ends_with_the_totals_line(quick: tuple[Path, ChaosRun]) -> None:
    _, result = quick
    text = render(result.trials, result.kills, descriptions={}, command="c", seconds=1.0)
    line = result.totals.line()
    assert re.fullmatch(r"chaos: trials=6 failures=0 rows_compared=\d+ kills=3", line)
    assert text.rstrip().endswith(f"{line}\n```")
    assert "| 5xx | pospal |" in text and "| upsert |" in text


def test_the_comparison_names_a_deleted_and_a_changed_row(
    quick: tuple[Path, ChaosRun], tmp_path: Path
) -> None:
    workdir, _ = quick
    clean = workdir / "kill-clean" / "warehouse.duckdb"
    planted = tmp_path / "planted.duckdb"
    (faulted,) = workdir.glob("5xx-pospal-*/warehouse.duckdb")
    planted.write_bytes(faulted.read_bytes())
    with duckdb.connect(str(planted)) as con:
        ((account, sn),) = con.execute(
            "DELETE FROM pospal.tickets WHERE (account, sn) = "
            "(SELECT (account, sn) FROM pospal.tickets ORDER BY sn LIMIT 1) RETURNING account, sn"
        ).fetchall()
        ((code,),) = con.execute(
            "UPDATE pospal.pay_methods SET name = 'changed' WHERE code = "
            "(SELECT min(code) FROM pospal.pay_methods WHERE account = 'store-2') "
            "AND account = 'store-2' RETURNING code"
        ).fetchall()
    result = compare(clean, planted, ("pospal",))
    assert [d.table for d in result.differences] == ["pospal.pay_methods", "pospal.tickets"]
    methods, tickets = result.differences
    assert (methods.key, methods.changed, methods.missing) == (
        ("account", "code"),
        [("store-2", code)],
        [],
    )
    assert (tickets.key, tickets.missing, tickets.extra) == (("account", "sn"), [(account, sn)], [])
    assert f"missing ({account}, {sn})" in tickets.describe()

    # The same warehouse seen as units: the ticket's unit is half there (items without it).
    with (
        duckdb.connect(str(clean), read_only=True) as want,
        duckdb.connect(str(planted), read_only=True) as got,
    ):
        problems = half_units(unit_states(got), unit_states(want))
    assert any(p.startswith(f"pospal tickets {account}/") and "half-written" in p for p in problems)
    assert any(p.startswith("pospal pay methods store-2") for p in problems)


def test_kill_points_do_nothing_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.chaos import hooks

    monkeypatch.delenv(KILL_AT_ENV, raising=False)
    hooks.kill_point("upsert")  # no variable: not even counted
    monkeypatch.setenv(KILL_AT_ENV, "parquet:1000000")
    before = hooks.hits().get("upsert", 0)
    hooks.kill_point("upsert")
    assert hooks.hits()["upsert"] == before + 1
