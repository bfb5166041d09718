"""Typed settings, read from the environment (and a git-ignored ``.env``) when asked, never at
import time.

Two groups: :class:`WarehouseSettings` (where data lives, business-day rule) needs nothing set;
:class:`QianhubSettings` (gateway, app, key file) must be complete or loading fails at once with
an error naming every missing variable. The private key stays in its file: settings hold only
the path, and nothing here is logged.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl.business_day import BusinessDayRule
from etl.errors import ConfigError

ENV_FILE = ".env"


def _env_names(model: type[BaseSettings], error: ValidationError) -> str:
    prefix = model.model_config.get("env_prefix", "")
    names = []
    for item in error.errors():
        reason = "missing" if item["type"] == "missing" else item["msg"]
        if not item["loc"]:  # a rule across fields: its message names them
            names.append(f"{prefix}* ({reason})")
            continue
        names.append(f"{prefix}{str(item['loc'][0]).upper()} ({reason})")
    return ", ".join(names)


def _load(model: type[BaseSettings], **overrides: Any) -> Any:
    try:
        return model(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid or missing settings: {_env_names(model, exc)}") from None


class WarehouseSettings(BaseSettings):
    """Where the warehouse lives and how analysts count days."""

    model_config = SettingsConfigDict(
        env_prefix="POS_WAREHOUSE_", env_file=ENV_FILE, extra="ignore"
    )

    home: Path = Path("data")
    business_day_start: str = "06:00"
    timezone: str = "Asia/Shanghai"
    lookback_days: int = Field(default=3, ge=0, le=60)
    partition_start: dt.date = dt.date(2024, 1, 1)
    # DuckDB memory cap for loads; analysts' sessions are separate processes.
    duckdb_memory_limit: str = "2GB"
    # WAL size at which DuckDB folds the log into the file. DuckDB's 16MB would checkpoint
    # every few shop-days of a backfill; a larger log is folded less often, in bigger and
    # cheaper pieces (and on close), but what is not folded yet is held in memory, which a
    # small memory limit then pays for (the bench's 200k-bill replay on 2 cores at 192MB,
    # pairs of runs alternating: 64MB 2-6% faster than 256MB, 16MB and 128MB, 32MB between;
    # at 2GB no difference). Recovery after a crash replays at most this much.
    duckdb_checkpoint_threshold: str = "64MB"
    # Flatten worker processes of `pos-warehouse replay` (0: one per core). Each is a process
    # of about 200 MB while it flattens: fewer workers, less memory and fewer bills/s.
    replay_workers: int = Field(default=0, ge=0)
    # Records of consecutive shop-days a replay merges in one transaction: a bigger stack is
    # fewer, cheaper merges per bill and more memory in the loading process.
    replay_stack_records: int = Field(default=20_000, ge=1)
    # True: a replay rewrites the Parquet partitions it has moved past while it loads on
    # (etl.warehouse.lake_follow), so the end waits for the last dates only. Off by default:
    # no rewrite may run beside a COMMIT (DuckDB does not survive a COMMIT out of memory),
    # and the loading thread's waits for it take back what the follower gains (1M bills on
    # 2 cores, medians of 3 runs back to back: 7,350 bills/s and 872 MB peak with it, 7,184
    # and 809 MB without; with rewrites beside the COMMITs, 8,831 against 7,688 bills/s).
    replay_lake_follow: bool = False
    # True: the Parquet partitions a replay creates (dates the warehouse did not hold) are
    # written from the rows it inserts, on a thread while it loads, and renamed into place at
    # the end (etl.warehouse.lake_append), instead of read back from DuckDB at the end; any
    # other partition is rewritten from DuckDB as before. False: every partition is.
    replay_lake_append: bool = True
    # Analysts query a published copy (reader_path), never the file a load holds: DuckDB lets
    # no reader open a file another process has open read-write. During a load the copy is at
    # most this old (0: republished after every committed load unit; always at the end).
    reader_publish_seconds: float = Field(default=30.0, ge=0)
    reader_copy: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("business_day_start")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        BusinessDayRule.parse(value)
        return value

    @classmethod
    def from_env(cls, **overrides: Any) -> WarehouseSettings:
        loaded: WarehouseSettings = _load(cls, **overrides)
        return loaded

    @property
    def rule(self) -> BusinessDayRule:
        return BusinessDayRule.parse(self.business_day_start)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def reader_path(self) -> Path:
        """The read copy analysts open read-only (see :mod:`etl.warehouse.replica`)."""
        return self.home / "warehouse-read.duckdb"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"


class QianhubSettings(BaseSettings):
    """The QianHub gateway and this app's credentials. All three connection fields are required."""

    model_config = SettingsConfigDict(env_prefix="QIANHUB_", env_file=ENV_FILE, extra="ignore")

    gateway_url: str
    app_id: str
    private_key_file: Path
    # Window per batch-query call; halved automatically on oversized or timed-out responses.
    window_hours: float = Field(default=24.0, gt=0, le=24)
    min_window_minutes: float = Field(default=15.0, gt=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    max_response_mb: float = Field(default=64.0, gt=0)

    @model_validator(mode="after")
    def _min_window_fits(self) -> QianhubSettings:
        if self.min_window_minutes > self.window_hours * 60:
            raise ValueError(
                f"QIANHUB_MIN_WINDOW_MINUTES ({self.min_window_minutes}) is longer than "
                f"QIANHUB_WINDOW_HOURS ({self.window_hours} h)"
            )
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> QianhubSettings:
        loaded: QianhubSettings = _load(cls, **overrides)
        return loaded
