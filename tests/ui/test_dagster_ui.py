"""The Dagster UI after a demo load, seen through Debian's chromium: the lineage of both vendors,
a materialised business-day partition, and an asset's description and metadata. Each test saves
the screenshot the README shows: into a temp folder, or into ``$POS_WAREHOUSE_SCREENSHOT_DIR``
(``make screenshots`` points it at docs/screenshots/)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import duckdb
import pytest
from playwright.sync_api import Page, expect

from tests.ui.conftest import DagsterUI

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The assets the lineage screenshot shows and the test expects, both vendors and what the marts
# build from them; the group of each is the first part of its key.
EXPECTED_ASSETS = [
    "qianhub/shops",
    "qianhub/bills",
    "qianhub/dayend_stats",
    "pospal/tickets",
    "pospal/ticket_items",
    "marts/daily_sales",
    "marts/payment_mix",
]
PARTITIONED_ASSET = "qianhub/bills"


def _lineage_url(ui: DagsterUI) -> str:
    """The global lineage filtered to EXPECTED_ASSETS, with their groups opened."""
    selection = " or ".join(f'key:"{key}"' for key in EXPECTED_ASSETS)
    groups = sorted({key.split("/")[0] for key in EXPECTED_ASSETS})
    # Group ids as the global lineage writes them into its own URL when a group is opened.
    expanded = ",".join(f"global@global:{group}" for group in groups)
    return f"{ui.url}/asset-groups~{quote(selection, safe='')}?{urlencode({'expanded': expanded})}"


def _bills_in_partition(ui: DagsterUI, day: dt.date) -> int:
    with duckdb.connect(str(ui.warehouse), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM qianhub.bills WHERE business_date = ?", [day]
        ).fetchone()
    assert row is not None
    return int(row[0])


def _number(value: int) -> re.Pattern[str]:
    """The value as a whole number in a metadata row (289 must not match 2890)."""
    return re.compile(rf"(^|\D){value}(\D|$)")


def _settle_and_save(page: Page, folder: Path, name: str) -> None:
    """Screenshot once the UI has stopped fetching (statuses arrive after the first paint)."""
    page.wait_for_load_state("networkidle")
    page.screenshot(path=folder / name)


def test_asset_graph_shows_both_vendors(
    page: Page, dagster_ui: DagsterUI, screenshot_dir: Path
) -> None:
    page.goto(_lineage_url(dagster_ui))
    graph = page.locator("svg foreignObject")
    for key in EXPECTED_ASSETS:
        group, name = key.split("/", 1)
        expect(graph.get_by_text(group, exact=True).first).to_be_visible()
        expect(graph.get_by_text(name, exact=True)).to_be_visible()
    _settle_and_save(page, screenshot_dir, "asset-graph.png")


def test_demo_partition_is_materialised(
    page: Page, dagster_ui: DagsterUI, screenshot_dir: Path
) -> None:
    day = dagster_ui.demo_dates[0]
    page.goto(f"{dagster_ui.url}/assets/{PARTITIONED_ASSET}?view=partitions&partition={day}")
    # The status filter counts every materialised partition: exactly the demo's days.
    expect(page.get_by_text(f"Materialized ({len(dagster_ui.demo_dates)})")).to_be_visible()
    # The selected partition's header: its key, then its status tag.
    header = page.locator(f"span:has(> [title='{day}'])").locator("xpath=..")
    expect(header.locator(".BaseTag")).to_have_text("Materialized")
    rows = page.locator("tr", has=page.get_by_text("rows_in_partition", exact=True))
    expect(rows.first).to_contain_text(_number(_bills_in_partition(dagster_ui, day)))
    expect(rows.first).to_be_in_viewport()
    _settle_and_save(page, screenshot_dir, "asset-partitions.png")


def test_asset_details_show_description_and_metadata(
    page: Page, dagster_ui: DagsterUI, screenshot_dir: Path
) -> None:
    page.goto(f"{dagster_ui.url}/assets/{PARTITIONED_ASSET}?view=overview")
    description = page.get_by_text(re.compile(r"^One row per bill_id"))
    expect(description).to_be_visible()
    # The column table sits between description and metadata; folded, both fit the screenshot.
    columns = page.get_by_role("button", name=re.compile(r"\bColumns\b"), expanded=True)
    if columns.count():
        columns.click()
    # The overview shows the latest materialisation: the demo's last day, its checks and counts.
    latest = dagster_ui.demo_dates[-1]
    status = page.locator("div", has=page.get_by_text("Latest materialization", exact=True))
    expect(status.get_by_text(latest.isoformat(), exact=True).first).to_be_visible()
    expect(page.get_by_text("Latest check results", exact=True)).to_be_visible()
    rows = page.locator("tr", has=page.get_by_text("rows_in_partition", exact=True))
    expect(rows.first).to_contain_text(_number(_bills_in_partition(dagster_ui, latest)))
    expect(rows.first).to_be_in_viewport()
    expect(description).to_be_in_viewport()
    expect(page.get_by_text("preview", exact=True)).to_be_visible()
    _settle_and_save(page, screenshot_dir, "asset-details.png")
