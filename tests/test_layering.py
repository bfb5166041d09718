"""etl/ is a plain library: it never imports dagster, directly or through its imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ETL = Path(__file__).resolve().parents[1] / "etl"


def test_no_module_in_etl_imports_dagster() -> None:
    offenders = []
    for path in sorted(ETL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ETL)}: {n}" for n in names if n.split(".")[0] == "dagster"
            ]
    assert offenders == []
    assert len(list(ETL.rglob("*.py"))) > 20  # the walk really saw the library


def test_importing_every_etl_module_loads_no_dagster() -> None:
    modules = sorted(
        ".".join(p.relative_to(ETL.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in ETL.rglob("*.py")
        if p.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_replay_workers_import_no_duckdb() -> None:
    """A replay's flatten workers import only these modules (and the parent's main module):
    each worker is a whole process, and DuckDB and the warehouse would be most of its size."""
    worker_modules = [
        "etl.pipeline.workers",
        "etl.pipeline.qianhub_landed",
        "etl.pipeline.pospal_landed",
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {worker_modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'duckdb'"
        " or m.startswith('etl.warehouse')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cli_module_imports_no_duckdb() -> None:
    """A worker spawned by ``pos-warehouse replay`` re-imports the console script's module
    (``dagster_project.cli``) as its main module before it runs anything: that import must
    not load DuckDB or the warehouse either (the commands import them when they run)."""
    code = (
        "import sys, dagster_project.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('duckdb', 'dagster')"
        " or m.startswith('etl.warehouse')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
