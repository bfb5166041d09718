"""Pospal accounts from env or a TOML file, every error naming account and field, no key shown.

Keys here are made up and distinctive so a leak is easy to spot.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.errors import ConfigError
from etl.pospal.settings import PospalAccount, PospalTuning, load_accounts

KEY_1 = "k3y-one-AAAA-1111"
KEY_2 = "k3y-two-BBBB-2222"
URL = "https://area24-win.pospal.cn:443"
SINGLE = {"POSPAL_BASE_URL": URL + "/", "POSPAL_APP_ID": "APP1", "POSPAL_APP_KEY": f" {KEY_1}\n"}


def write(tmp_path: Path, text: str, name: str = "accounts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def accounts_env(path: Path, **extra: str) -> dict[str, str]:
    return {"POSPAL_ACCOUNTS_FILE": str(path), **extra}


TWO_ACCOUNTS = f"""
[[accounts]]
name = "store-1"
base_url = "{URL}"
app_id = "APP1"
app_key_env = "STORE1_KEY"

[[accounts]]
name = "store-2"
base_url = "https://area9-win.pospal.cn"
app_id = "APP2"
app_key_file = "keys/store-2.key"
"""


def test_single_account_from_env() -> None:
    (account,) = load_accounts(SINGLE, env_file=None)
    assert (account.name, account.base_url, account.app_id) == ("default", URL, "APP1")
    assert account.app_key.get_secret_value() == KEY_1  # whitespace stripped
    (named,) = load_accounts(SINGLE | {"POSPAL_ACCOUNT_NAME": "flagship"}, env_file=None)
    assert named.name == "flagship"


def test_single_account_from_dotenv_with_environment_winning(tmp_path: Path) -> None:
    dotenv = write(tmp_path, f"POSPAL_BASE_URL={URL}\nPOSPAL_APP_ID=FROM_FILE\n", ".env")
    env = {"POSPAL_APP_ID": "FROM_ENV", "POSPAL_APP_KEY": KEY_1}
    (account,) = load_accounts(env, env_file=dotenv)
    assert (account.base_url, account.app_id) == (URL, "FROM_ENV")


def test_toml_with_app_key_env_and_app_key_file(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    write(tmp_path, f"\n  {KEY_2}  \n", "keys/store-2.key")
    path = write(tmp_path, TWO_ACCOUNTS)
    first, second = load_accounts(accounts_env(path, STORE1_KEY=KEY_1), env_file=None)
    assert (first.name, first.app_id) == ("store-1", "APP1")
    assert first.app_key.get_secret_value() == KEY_1
    assert (second.name, second.base_url, second.app_key.get_secret_value()) == (
        "store-2",
        "https://area9-win.pospal.cn",
        KEY_2,
    )


def test_nothing_configured_names_every_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_accounts({}, env_file=None)
    for name in ("POSPAL_BASE_URL", "POSPAL_APP_ID", "POSPAL_APP_KEY", "POSPAL_ACCOUNTS_FILE"):
        assert name in str(info.value)


def test_single_account_errors_name_account_and_fields() -> None:
    with pytest.raises(ConfigError) as info:
        load_accounts({"POSPAL_BASE_URL": URL}, env_file=None)
    assert str(info.value) == "Pospal account 'default': POSPAL_APP_ID, POSPAL_APP_KEY not set"
    with pytest.raises(ConfigError, match="'default': POSPAL_BASE_URL must be an http"):
        load_accounts(SINGLE | {"POSPAL_BASE_URL": "area24-win.pospal.cn"}, env_file=None)
    with pytest.raises(ConfigError, match="POSPAL_ACCOUNT_NAME must match"):
        load_accounts(SINGLE | {"POSPAL_ACCOUNT_NAME": "bad name/.."}, env_file=None)
    with pytest.raises(ConfigError, match="not both"):
        load_accounts(SINGLE | {"POSPAL_ACCOUNTS_FILE": "x.toml"}, env_file=None)


@pytest.mark.parametrize(
    ("table", "env", "message"),
    [
        (
            'name = "store-2"\nbase_url = "https://a.pospal.cn"\napp_id = "APP2"\n'
            'app_key_env = "STORE2_KEY"',
            {},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): "
            "app_key_env 'STORE2_KEY' is not set",
        ),
        (
            f'name = "store-2"\nbase_url = "https://a.pospal.cn"\napp_id = "APP2"\n'
            f'app_key = "{KEY_2}"',
            {},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): app_key must not be written in the "
            "accounts file; name an environment variable (app_key_env) or a key file "
            "(app_key_file); POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): set exactly one "
            "of app_key_env or app_key_file",
        ),
        (
            'name = "store-2"\nbase_url = "https://a.pospal.cn"\napp_id = "APP2"\n'
            'app_key_env = "K"\napp_key_file = "k.key"',
            {"K": KEY_2},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): set exactly one of app_key_env or "
            "app_key_file",
        ),
        (
            'base_url = "https://a.pospal.cn"\napp_id = "APP2"\napp_key_env = "K"',
            {"K": KEY_2},
            "POSPAL_ACCOUNTS_FILE accounts[1]: name is missing",
        ),
        (
            'name = "store-2"\napp_id = 42\napp_key_env = "K"',
            {"K": KEY_2},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): base_url is missing; "
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): app_id must be a non-empty string",
        ),
        (
            'name = "store-2"\nbase_url = "ftp://a.pospal.cn"\napp_id = "APP2"\n'
            'app_key_file = "missing.key"',
            {},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): base_url must be an http(s) URL "
            "such as https://area24-win.pospal.cn:443; POSPAL_ACCOUNTS_FILE accounts[1] "
            "(name 'store-2'): app_key_file '{dir}/missing.key' cannot be read "
            "(No such file or directory)",
        ),
        (
            'name = "store-2"\nbase_url = "https://a.pospal.cn"\napp_id = "APP2"\n'
            'app_key_file = "empty.key"\nappkey_env = "typo"',
            {},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-2'): unknown field 'appkey_env' (known: "
            "name, base_url, app_id, app_key_env, app_key_file); POSPAL_ACCOUNTS_FILE accounts[1] "
            "(name 'store-2'): app_key_file '{dir}/empty.key' is empty",
        ),
        (
            'name = "store-1"\nbase_url = "https://a.pospal.cn"\napp_id = "APP1"\n'
            'app_key_env = "K"',
            {"K": KEY_2},
            "POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-1'): name 'store-1' is already used by "
            "accounts[0]; POSPAL_ACCOUNTS_FILE accounts[1] (name 'store-1'): app_id 'APP1' is "
            "already used by accounts[0]",
        ),
    ],
)
def test_toml_errors_name_account_and_field(
    tmp_path: Path, table: str, env: dict[str, str], message: str
) -> None:
    write(tmp_path, "\n", "empty.key")
    first = f'name = "store-1"\nbase_url = "{URL}"\napp_id = "APP1"\napp_key_env = "STORE1_KEY"'
    path = write(tmp_path, f"[[accounts]]\n{first}\n\n[[accounts]]\n{table}\n")
    with pytest.raises(ConfigError) as info:
        load_accounts(accounts_env(path, STORE1_KEY=KEY_1, **env), env_file=None)
    assert str(info.value) == message.format(dir=tmp_path)
    assert KEY_1 not in str(info.value) and KEY_2 not in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[accounts]\n", "not valid TOML"),
        ('title = "x"\n', "expected only [[accounts]] tables"),
        ("accounts = []\n", "expected only [[accounts]] tables"),
        ('accounts = ["x"]\n', "accounts[0]: must be a table"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"POSPAL_ACCOUNTS_FILE.*{re.escape(fragment)}"):
        load_accounts(accounts_env(path), env_file=None)


def test_missing_accounts_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_accounts(accounts_env(tmp_path / "nope.toml"), env_file=None)


def test_no_key_in_repr_or_str_of_anything(tmp_path: Path) -> None:
    (account,) = load_accounts(SINGLE, env_file=None)
    shown = [repr(account), str(account), repr([account]), f"{account}", repr(account.app_key)]
    for text in shown:
        assert KEY_1 not in text
    assert "app_key=<redacted>" in repr(account)
    assert account == PospalAccount("default", URL, "APP1", account.app_key)


def test_tuning_defaults_env_and_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    tuning = PospalTuning.from_env()
    assert (
        tuning.timeout_seconds,
        tuning.max_attempts,
        tuning.daily_quota,
        tuning.quota_reserve,
        tuning.max_pages,
        tuning.overlap_seconds,
        tuning.quota_codes,
    ) == (30.0, 5, 300, 10, 1000, 1, frozenset({1035}))
    monkeypatch.setenv("POSPAL_DAILY_QUOTA", "500")
    monkeypatch.setenv("POSPAL_QUOTA_CODES", "[1035, 4001]")
    monkeypatch.setenv("POSPAL_APP_KEY", KEY_1)  # not a tuning field: ignored, never echoed
    tuning = PospalTuning.from_env()
    assert (tuning.daily_quota, tuning.quota_codes) == (500, frozenset({1035, 4001}))
    assert KEY_1 not in repr(tuning)
    monkeypatch.setenv("POSPAL_MAX_ATTEMPTS", "0")
    with pytest.raises(ConfigError, match="POSPAL_MAX_ATTEMPTS"):
        PospalTuning.from_env()
    with pytest.raises(ConfigError, match="POSPAL_QUOTA_RESERVE must be smaller"):
        PospalTuning.from_env(max_attempts=3, quota_reserve=500)


def test_a_reserve_not_below_the_quota_names_both_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSPAL_QUOTA_RESERVE", "400")
    with pytest.raises(ConfigError) as caught:
        PospalTuning.from_env()
    assert str(caught.value) == (
        "invalid Pospal settings: POSPAL_QUOTA_RESERVE must be smaller than "
        "POSPAL_DAILY_QUOTA (400 >= 300)"
    )
