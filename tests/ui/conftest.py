"""Fixtures for the browser test: a demo load into a temp home, ``dagster-webserver`` on a free
port of 127.0.0.1 over that instance, and Debian's chromium driven by Playwright.

Playwright drives the system browser (``executable_path``); its own browser downloads are never
used, so nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ENV = "POS_WAREHOUSE_CHROMIUM"
SCREENSHOT_ENV = "POS_WAREHOUSE_SCREENSHOT_DIR"

# One business day keeps the demo short (it is most of this test's time); a month of partitions,
# so the partitions view shows the loaded day among missing ones without 1,000 empty rows.
DEMO_START = dt.date(2026, 11, 1)
DEMO_DAYS = 1
PARTITION_START = dt.date(2026, 10, 1)

DEMO_TIMEOUT_S = 180
READY_TIMEOUT_S = 60
WEBSERVER_ARGS = ["-h", "127.0.0.1", "-m", "dagster_project.definitions"]


@dataclass(frozen=True)
class DagsterUI:
    url: str
    warehouse: Path
    demo_dates: list[dt.date]


@pytest.fixture(scope="session")
def chromium() -> str:
    path = os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM)
    if not os.access(path, os.X_OK):
        pytest.skip(
            f"Debian's chromium not found at {path}: `apt-get install chromium` (the CI script "
            f".ci/run does this), or point {CHROMIUM_ENV} at another Chromium binary"
        )
    return path


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the pages are saved: a temp folder, so a test run leaves the tracked PNGs alone;
    ``make screenshots`` (``$POS_WAREHOUSE_SCREENSHOT_DIR``) refreshes the README's."""
    chosen = os.environ.get(SCREENSHOT_ENV)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _environment(home: Path, dagster_home: Path) -> dict[str, str]:
    """This checkout's code, a throwaway home and instance, no vendor settings of the caller."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POS_WAREHOUSE_", "QIANHUB_", "POSPAL_", "DAGSTER_"))
    }
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "POS_WAREHOUSE_HOME": str(home),
            "POS_WAREHOUSE_PARTITION_START": PARTITION_START.isoformat(),
            "DAGSTER_HOME": str(dagster_home),
        }
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LOCATIONS_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def _location_error(url: str) -> str | None:
    """The code location's load error, if any (the webserver serves pages either way)."""
    answer = httpx.post(f"{url}/graphql", json={"query": LOCATIONS_QUERY}, timeout=10).json()
    for entry in answer["data"]["workspaceOrError"]["locationEntries"]:
        loaded = entry["locationOrLoadError"] or {}
        if loaded.get("__typename") == "PythonError":
            return f"{entry['name']}: {loaded['message']}"
    return None


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``/server_info`` until it answers (fail early if the webserver exits), then make
    sure the definitions loaded: a broken code location otherwise shows up as empty pages."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # poll interval, not a wait for a race
    else:
        pytest.fail(f"dagster-webserver not ready within {READY_TIMEOUT_S}s:\n{log.read_text()}")
    error = _location_error(url)
    if error:
        pytest.fail(f"dagster-webserver could not load the definitions: {error}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The webserver and the code server it spawned share a process group: stop them all."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def dagster_ui(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUI]:
    root = tmp_path_factory.mktemp("ui")
    home, dagster_home = root / "home", root / "dagster"
    env = _environment(home, dagster_home)
    demo_args = ["demo", "--start", DEMO_START.isoformat(), "--days", str(DEMO_DAYS)]
    demo = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *demo_args, "--faults", ""],
        cwd=root,  # away from a developer's .env
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )
    assert demo.returncode == 0, f"demo failed:\n{demo.stdout}\n{demo.stderr}"
    # The instance has "seen" Dagster's community pop-up, which would cover the first page.
    (dagster_home / ".nux").mkdir(parents=True, exist_ok=True)
    (dagster_home / ".nux" / "nux.yaml").write_text("seen: 1\n", encoding="utf-8")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "webserver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", *WEBSERVER_ARGS, "-p", str(port)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(url, process, log)
        dates = [DEMO_START + dt.timedelta(days=i) for i in range(DEMO_DAYS)]
        yield DagsterUI(url=url, warehouse=home / "warehouse.duckdb", demo_dates=dates)
    finally:
        _stop(process)


# Top-to-bottom lineage: a few assets per group sit side by side and fit a 1440x900 screen.
VERTICAL_GRAPH = "window.localStorage.setItem('asset-graph-direction', JSON.stringify('vertical'))"


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context per test: no local storage or cache carried over."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(VERTICAL_GRAPH)
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()
