"""Pospal (银豹) open API v1: settings, MD5 signing, a budgeted client, the cursor rule and
one-day windows. Plain library code; nothing here imports Dagster."""

from etl.pospal.auth import sign, verify
from etl.pospal.budget import CallBudget, parse_access_log
from etl.pospal.client import PospalClient
from etl.pospal.envelope import check_answer, encode_body
from etl.pospal.pagination import Page, PageCapExceeded, page_from_body, paginate
from etl.pospal.settings import PospalAccount, PospalTuning, load_accounts
from etl.pospal.windows import day_windows, format_time

__all__ = [
    "CallBudget",
    "Page",
    "PageCapExceeded",
    "PospalAccount",
    "PospalClient",
    "PospalTuning",
    "check_answer",
    "day_windows",
    "encode_body",
    "format_time",
    "load_accounts",
    "page_from_body",
    "paginate",
    "parse_access_log",
    "sign",
    "verify",
]
