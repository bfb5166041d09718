"""Where the project's SQL files are: ``sql/`` in a checkout, or the copy a wheel installs.

SQL lives in files (``sql/ddl/NNN_<object>.sql``), not in f-strings. A checkout or editable
install reads them from the repository; ``pip install .`` ships the same files under
``<prefix>/share/pos-warehouse/sql`` (``[tool.setuptools.data-files]`` in pyproject.toml).
"""

from __future__ import annotations

import sys
import sysconfig
from functools import cache
from pathlib import Path


@cache
def sql_dir() -> Path:
    candidates = [
        Path(__file__).resolve().parent.parent / "sql",
        Path(sysconfig.get_path("data")) / "share" / "pos-warehouse" / "sql",
        Path(sys.prefix) / "share" / "pos-warehouse" / "sql",
    ]
    for candidate in candidates:
        if (candidate / "ddl").is_dir():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"pos-warehouse SQL files not found (looked in {searched})")


def ddl_files() -> list[Path]:
    """DDL files in the order they apply (by their NNN_ prefix): the tables of ``sql/ddl``,
    then the analysts' views of ``sql/marts`` (which read those tables)."""
    return sorted((sql_dir() / "ddl").glob("*.sql")) + sorted((sql_dir() / "marts").glob("*.sql"))


def read_sql(relative: str) -> str:
    return (sql_dir() / relative).read_text(encoding="utf-8")


def read_statements(relative: str) -> list[str]:
    """The statements of a multi-statement file (split on ``;`` at line ends), for files whose
    statements take bound parameters (DuckDB binds parameters to one statement at a time)."""
    text = read_sql(relative)
    parts = (p.strip() for p in text.split(";\n"))
    statements = []
    for part in parts:
        code = "\n".join(line for line in part.splitlines() if not line.strip().startswith("--"))
        if code.strip():
            statements.append(part.rstrip(";"))
    return statements
