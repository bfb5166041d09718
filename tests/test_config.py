from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from etl.business_day import BusinessDayRule, date_range
from etl.config import QianhubSettings, WarehouseSettings
from etl.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name in ("QIANHUB_GATEWAY_URL", "QIANHUB_APP_ID", "QIANHUB_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_missing_qianhub_settings_are_all_named() -> None:
    with pytest.raises(ConfigError) as info:
        QianhubSettings.from_env()
    message = str(info.value)
    for name in ("QIANHUB_GATEWAY_URL", "QIANHUB_APP_ID", "QIANHUB_PRIVATE_KEY_FILE"):
        assert name in message


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "QIANHUB_GATEWAY_URL=http://127.0.0.1:9/gateway\nQIANHUB_APP_ID=42\n"
        "QIANHUB_PRIVATE_KEY_FILE=/keys/k.pem\nPOS_WAREHOUSE_BUSINESS_DAY_START=05:30\n"
    )
    qianhub = QianhubSettings.from_env()
    assert (qianhub.app_id, qianhub.private_key_file) == ("42", Path("/keys/k.pem"))
    assert WarehouseSettings.from_env().rule == BusinessDayRule(dt.time(5, 30))


def test_warehouse_defaults_and_paths() -> None:
    settings = WarehouseSettings.from_env()
    assert settings.warehouse_path == Path("data/warehouse.duckdb")
    assert settings.lake_dir == Path("data/lake")
    assert settings.raw_dir == Path("data/raw")
    assert settings.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("POS_WAREHOUSE_TIMEZONE", "Mars/Olympus"), ("POS_WAREHOUSE_BUSINESS_DAY_START", "6am")],
)
def test_bad_warehouse_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        WarehouseSettings.from_env()


def test_business_day_rule() -> None:
    rule = BusinessDayRule(dt.time(6, 0))
    assert rule.business_date(dt.datetime(2026, 11, 2, 1, 30)) == dt.date(2026, 11, 1)
    assert rule.business_date(dt.datetime(2026, 11, 2, 6, 0)) == dt.date(2026, 11, 2)
    assert rule.window(dt.date(2026, 11, 1)) == (
        dt.datetime(2026, 11, 1, 6, 0),
        dt.datetime(2026, 11, 2, 6, 0),
    )
    assert date_range(dt.date(2026, 10, 31), dt.date(2026, 11, 2))[-1] == dt.date(2026, 11, 2)
    with pytest.raises(ConfigError):
        date_range(dt.date(2026, 11, 2), dt.date(2026, 11, 1))


def test_min_window_longer_than_window_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "QIANHUB_GATEWAY_URL": "http://127.0.0.1:9/gateway",
        "QIANHUB_APP_ID": "1",
        "QIANHUB_PRIVATE_KEY_FILE": "/k.pem",
        "QIANHUB_WINDOW_HOURS": "0.1",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=r"QIANHUB_MIN_WINDOW_MINUTES .* QIANHUB_WINDOW_HOURS"):
        QianhubSettings.from_env()
