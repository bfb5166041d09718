"""Pospal accounts (where to call, as whom, with which key) and tuning, read when asked.

One account comes from ``POSPAL_BASE_URL``, ``POSPAL_APP_ID`` and ``POSPAL_APP_KEY`` (named
``POSPAL_ACCOUNT_NAME``, default ``default``). Several come from ``POSPAL_ACCOUNTS_FILE``, a TOML
file of ``[[accounts]]`` tables::

    [[accounts]]
    name = "store-1"
    base_url = "https://area24-win.pospal.cn:443"
    app_id = "87EB2C555BBF382E7F6C7B275B0C502A"
    app_key_env = "POSPAL_STORE1_KEY"          # or: app_key_file = "/etc/pos/store-1.key"

Keys never sit in that file (an ``app_key`` field is refused): each table names exactly one of
an environment variable or a key file (relative paths are taken from the TOML's folder;
surrounding whitespace is stripped). Environment variables win over a git-ignored ``.env``.
Anything missing or malformed fails at once with a ``ConfigError`` naming account and field;
the key itself appears in no message and no repr.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl.errors import ConfigError

SINGLE_VARS = ("POSPAL_BASE_URL", "POSPAL_APP_ID", "POSPAL_APP_KEY")
FILE_VAR = "POSPAL_ACCOUNTS_FILE"
NAME_VAR = "POSPAL_ACCOUNT_NAME"
DEFAULT_NAME = "default"
# Account names end up in log lines, raw-landing paths and Dagster partition keys.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TABLE_FIELDS = ("name", "base_url", "app_id", "app_key_env", "app_key_file")


@dataclass(frozen=True)
class PospalAccount:
    """One Pospal app (store or chain): its base URL, appId and key. repr/str hide the key."""

    name: str
    base_url: str
    app_id: str
    app_key: SecretStr = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"PospalAccount(name={self.name!r}, base_url={self.base_url!r}, "
            f"app_id={self.app_id!r}, app_key=<redacted>)"
        )

    __str__ = __repr__


class PospalTuning(BaseSettings):
    """How hard to try and how much to spend; shared by every account (env prefix POSPAL_)."""

    model_config = SettingsConfigDict(env_prefix="POSPAL_", env_file=".env", extra="ignore")

    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    # Every attempt, failed or not, counts against the vendor's 300 calls per appId per day.
    daily_quota: int = Field(default=300, ge=1)
    # Calls a day kept back for a person to use by hand; automatic loads stop before them.
    quota_reserve: int = Field(default=10, ge=0)
    max_pages: int = Field(default=1000, ge=1)
    overlap_seconds: int = Field(default=1, ge=0, le=3600)
    max_response_mb: float = Field(default=64.0, gt=0)
    # Error codes that mean "quota spent"; no public source shows the real one (JSON list).
    quota_codes: frozenset[int] = frozenset({1035})
    # Where the calls spent per appId and day are counted; default
    # $POS_WAREHOUSE_HOME/pospal-budget.sqlite. Share it between everything using the appIds.
    budget_file: Path | None = None
    # The webhook's durable inbox of pushes; default $POS_WAREHOUSE_HOME/pospal-push.sqlite.
    push_store_file: Path | None = None

    @model_validator(mode="after")
    def _reserve_below_quota(self) -> PospalTuning:
        if self.quota_reserve >= self.daily_quota:
            raise ValueError(
                "POSPAL_QUOTA_RESERVE must be smaller than POSPAL_DAILY_QUOTA "
                f"({self.quota_reserve} >= {self.daily_quota})"
            )
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> PospalTuning:
        try:
            return cls(**overrides)
        except ValidationError as exc:
            # A model-level rule has no field: its message names the variables itself.
            problems = ", ".join(
                f"POSPAL_{str(item['loc'][0]).upper()} ({item['msg']})"
                if item["loc"]
                else str(item["msg"]).removeprefix("Value error, ")
                for item in exc.errors()
            )
            raise ConfigError(f"invalid Pospal settings: {problems}") from None


def load_accounts(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")
) -> list[PospalAccount]:
    """Every configured account, validated. ``environ`` defaults to ``os.environ``; names it
    lacks are looked up in ``env_file`` when that exists."""
    env = _merged_env(environ, env_file)
    file_value = env.get(FILE_VAR, "").strip()
    single = [name for name in SINGLE_VARS if env.get(name, "").strip()]
    if file_value and single:
        raise ConfigError(
            f"set either {FILE_VAR} or {', '.join(SINGLE_VARS)}, not both "
            f"(found {FILE_VAR} and {', '.join(single)})"
        )
    if file_value:
        return _from_file(Path(file_value).expanduser(), env)
    if single:
        return [_single_account(env)]
    raise ConfigError(
        "no Pospal account configured: set POSPAL_BASE_URL, POSPAL_APP_ID and POSPAL_APP_KEY "
        f"for one account, or {FILE_VAR} for several"
    )


def _merged_env(environ: Mapping[str, str] | None, env_file: Path | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _single_account(env: Mapping[str, str]) -> PospalAccount:
    name = env.get(NAME_VAR, "").strip() or DEFAULT_NAME
    where = f"Pospal account {name!r}"
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: {NAME_VAR} must match {_NAME.pattern}")
    missing = [var for var in SINGLE_VARS if not env.get(var, "").strip()]
    if missing:
        raise ConfigError(f"{where}: {', '.join(missing)} not set")
    problems = _url_problem(env["POSPAL_BASE_URL"].strip(), "POSPAL_BASE_URL")
    if problems:
        raise ConfigError(f"{where}: {problems}")
    return PospalAccount(
        name=name,
        base_url=env["POSPAL_BASE_URL"].strip().rstrip("/"),
        app_id=env["POSPAL_APP_ID"].strip(),
        app_key=SecretStr(env["POSPAL_APP_KEY"].strip()),
    )


def _from_file(path: Path, env: Mapping[str, str]) -> list[PospalAccount]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{FILE_VAR} {path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{FILE_VAR} {path}: not valid TOML ({exc})") from None
    tables = document.get("accounts")
    extra = sorted(set(document) - {"accounts"})
    if not isinstance(tables, list) or not tables or extra:
        raise ConfigError(
            f"{FILE_VAR} {path}: expected only [[accounts]] tables, one or more"
            + (f" (unexpected top-level {', '.join(extra)})" if extra else "")
        )
    built: list[tuple[int, PospalAccount]] = []
    problems: list[str] = []
    for index, table in enumerate(tables):
        account = _from_table(index, table, env, path.parent, problems)
        if account is not None:
            built.append((index, account))
    problems += _duplicates(built)
    if problems:
        raise ConfigError("; ".join(problems))
    return [account for _, account in built]


def _from_table(
    index: int, table: object, env: Mapping[str, str], base: Path, problems: list[str]
) -> PospalAccount | None:
    if not isinstance(table, dict):
        problems.append(f"{FILE_VAR} accounts[{index}]: must be a table")
        return None
    where = _where(index, table)
    found = len(problems)
    if "app_key" in table:
        problems.append(
            f"{where}: app_key must not be written in the accounts file; "
            "name an environment variable (app_key_env) or a key file (app_key_file)"
        )
    for unknown in sorted(set(table) - set(_TABLE_FIELDS) - {"app_key"}):
        problems.append(f"{where}: unknown field {unknown!r} (known: {', '.join(_TABLE_FIELDS)})")
    values: dict[str, str] = {}
    for name in _TABLE_FIELDS:
        value = table.get(name)
        if value is None:
            if name in ("name", "base_url", "app_id"):
                problems.append(f"{where}: {name} is missing")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: {name} must be a non-empty string")
        else:
            values[name] = value.strip()
    if "name" in values and not _NAME.fullmatch(values["name"]):
        problems.append(f"{where}: name must match {_NAME.pattern}")
    if "base_url" in values and (url_problem := _url_problem(values["base_url"], "base_url")):
        problems.append(f"{where}: {url_problem}")
    key = _read_key(where, values, table, env, base, problems)
    if len(problems) > found or key is None:
        return None
    return PospalAccount(
        values["name"], values["base_url"].rstrip("/"), values["app_id"], SecretStr(key)
    )


def _read_key(
    where: str,
    values: Mapping[str, str],
    table: Mapping[str, object],
    env: Mapping[str, str],
    base: Path,
    problems: list[str],
) -> str | None:
    sources = [name for name in ("app_key_env", "app_key_file") if name in table]
    if len(sources) != 1:
        problems.append(f"{where}: set exactly one of app_key_env or app_key_file")
        return None
    if "app_key_env" in values:
        var = values["app_key_env"]
        key = env.get(var, "").strip()
        if not key:
            problems.append(f"{where}: app_key_env {var!r} is not set")
            return None
        return key
    if "app_key_file" not in values:
        return None  # its type problem is already reported
    key_path = Path(values["app_key_file"]).expanduser()
    key_path = key_path if key_path.is_absolute() else base / key_path
    try:
        key = key_path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        problems.append(f"{where}: app_key_file {str(key_path)!r} cannot be read ({exc.strerror})")
        return None
    except UnicodeDecodeError:
        problems.append(f"{where}: app_key_file {str(key_path)!r} is not UTF-8 text")
        return None
    if not key:
        problems.append(f"{where}: app_key_file {str(key_path)!r} is empty")
        return None
    return key


def _duplicates(built: list[tuple[int, PospalAccount]]) -> list[str]:
    problems: list[str] = []
    for attr in ("name", "app_id"):
        first: dict[str, int] = {}
        for index, account in built:
            value = getattr(account, attr)
            if value in first:
                problems.append(
                    f"{FILE_VAR} accounts[{index}] (name {account.name!r}): {attr} {value!r} "
                    f"is already used by accounts[{first[value]}]"
                )
            else:
                first[value] = index
    return problems


def _where(index: int, table: Mapping[str, object]) -> str:
    name = table.get("name")
    label = f" (name {name.strip()!r})" if isinstance(name, str) and name.strip() else ""
    return f"{FILE_VAR} accounts[{index}]{label}"


def _url_problem(url: str, field_name: str) -> str | None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        return f"{field_name} must be an http(s) URL such as https://area24-win.pospal.cn:443"
    if parsed.userinfo or parsed.query:
        return f"{field_name} must not carry credentials or a query string"
    return None
