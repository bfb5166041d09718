"""WHALE e-voucher admin settings: where to call, which extra headers, how to sign, which orders.

The document gives no host and no authentication scheme, so all of it is configuration:

* ``WHALE_BASE_URL`` (required to send anything): scheme + host (+ path prefix).
* ``WHALE_PATH_TEMPLATE`` (default ``/{action}``): where an action is POSTed under the base URL.
  The document names each interface by its ``action`` only; a POST of the documented JSON body
  to ``<base>/<action>`` is our assumption, and the template is there to change it.
* ``WHALE_HEADERS_FILE``: a JSON object of extra headers sent with every call (e.g. a token).
  Every value is a secret: kept as ``SecretStr``, never logged or printed.
* ``WHALE_SIGNER``: ``"module:function"``, called as ``function(method, path, body_bytes)`` and
  returning headers to add (a signature over the exact bytes sent). Its values are secret too.
* ``WHALE_VERIFY_NOTIFY_ACTION`` (default ``verifyNotifyQuery``): the document prints the
  action of 核销通知查询 as ``makeNotifyQuery`` (a copy of the make-code query); ours is a guess.
* ``WHALE_ORDER_IDS_FILE`` / ``WHALE_ORDER_IDS_TABLE``: the sale-channel order ids (渠道方订单编号)
  whose notifications the assets load; the ERP supplies them (the API cannot list them).

Anything missing or malformed fails with a ``ConfigError`` naming the variable.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl.errors import ConfigError

BASE_URL_VAR = "WHALE_BASE_URL"
HEADERS_FILE_VAR = "WHALE_HEADERS_FILE"
SIGNER_VAR = "WHALE_SIGNER"
ORDER_IDS_FILE_VAR = "WHALE_ORDER_IDS_FILE"
ORDER_IDS_TABLE_VAR = "WHALE_ORDER_IDS_TABLE"

Signer = Callable[[str, str, bytes], Mapping[str, str]]
"""``(method, path, body) -> headers``: signs the exact bytes sent."""

_SIGNER_REF = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TABLE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?")


class WhaleSettings(BaseSettings):
    """Everything under the ``WHALE_`` prefix (environment, then a git-ignored ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="WHALE_", env_file=".env", extra="ignore")

    base_url: str | None = None
    path_template: str = "/{action}"
    headers_file: Path | None = None
    signer: str | None = None
    verify_notify_action: str = "verifyNotifyQuery"
    order_ids_file: Path | None = None
    order_ids_table: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    # Queries only: set-up inserts and makeNotifyRetry are never retried (no idempotency key).
    max_attempts: int = Field(default=3, ge=1, le=20)
    max_response_mb: float = Field(default=16.0, gt=0)

    @classmethod
    def from_env(cls, **overrides: Any) -> WhaleSettings:
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = ", ".join(
                f"WHALE_{str(item['loc'][0]).upper() if item['loc'] else '?'} ({item['msg']})"
                for item in exc.errors()
            )
            raise ConfigError(f"invalid WHALE settings: {problems}") from None

    def require_base_url(self) -> str:
        """The base URL, or a ``ConfigError`` naming ``WHALE_BASE_URL``."""
        return check_base_url(self.base_url)

    def path_for(self, action: str) -> str:
        return path_for(self.path_template, action)

    def extra_headers(self) -> dict[str, SecretStr]:
        """The headers of ``WHALE_HEADERS_FILE`` (empty when unset); values stay secret."""
        if self.headers_file is None:
            return {}
        path = self.headers_file.expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{HEADERS_FILE_VAR}: cannot read {path} ({exc.strerror})") from None
        except ValueError:
            raise ConfigError(f"{HEADERS_FILE_VAR}: {path} is not JSON") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{HEADERS_FILE_VAR}: {path} must hold one JSON object")
        headers: dict[str, SecretStr] = {}
        for name, value in data.items():
            # Only the name may appear in the message: the value is the secret.
            if not _HEADER_NAME.fullmatch(name) or not isinstance(value, str):
                raise ConfigError(
                    f"{HEADERS_FILE_VAR}: header {name!r} needs a token name and a string value"
                )
            headers[name] = SecretStr(value)
        return headers

    def load_signer(self) -> Signer | None:
        """The ``WHALE_SIGNER`` function, imported; None when unset."""
        if not self.signer:
            return None
        ref = self.signer.strip()
        if not _SIGNER_REF.fullmatch(ref):
            raise ConfigError(f"{SIGNER_VAR} must look like 'package.module:function'")
        module_name, function_name = ref.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"{SIGNER_VAR}: cannot import {module_name} ({exc})") from None
        function = getattr(module, function_name, None)
        if not callable(function):
            raise ConfigError(f"{SIGNER_VAR}: {ref} is not a callable")
        signer: Signer = function
        return signer

    def require_order_ids_source(self) -> Path | str:
        """The file (or warehouse table) naming the order ids; exactly one must be set."""
        if self.order_ids_file and self.order_ids_table:
            raise ConfigError(f"set {ORDER_IDS_FILE_VAR} or {ORDER_IDS_TABLE_VAR}, not both")
        if self.order_ids_file:
            return self.order_ids_file.expanduser()
        if self.order_ids_table:
            if not _TABLE_NAME.fullmatch(self.order_ids_table):
                raise ConfigError(f"{ORDER_IDS_TABLE_VAR} must be a [schema.]table name")
            return self.order_ids_table
        raise ConfigError(
            f"neither {ORDER_IDS_FILE_VAR} nor {ORDER_IDS_TABLE_VAR} is set: the ERP must say "
            "which sale-channel order ids to load (WHALE cannot list them)"
        )


def check_base_url(url: str | None) -> str:
    """``url`` without a trailing slash, or a ``ConfigError`` naming ``WHALE_BASE_URL``."""
    url = (url or "").strip()
    if not url:
        raise ConfigError(
            f"{BASE_URL_VAR} is not set: the WHALE document names no host, so the base URL "
            "of the WHALE admin API must be configured (e.g. https://whale.example.com/api)"
        )
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https"):
        raise ConfigError(f"{BASE_URL_VAR} must be an http(s) URL")
    return url.rstrip("/")


def path_for(template: str, action: str) -> str:
    """The request path of ``action`` under ``WHALE_PATH_TEMPLATE``."""
    if "{action}" not in template:
        raise ConfigError("WHALE_PATH_TEMPLATE must contain {action}")
    path = template.replace("{action}", action)
    return path if path.startswith("/") else "/" + path


def read_order_ids(path: Path) -> list[str]:
    """Order ids from a file: one per line, or CSV (the ``saleChannelOrderId`` /
    ``sale_channel_order_id`` / ``order_id`` column when a header names one, else the first
    column). Blank lines and ``#`` comments are skipped; duplicates keep their first place."""
    import csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{ORDER_IDS_FILE_VAR}: cannot read {path} ({exc.strerror})") from None
    rows = [
        row
        for row in csv.reader(text.splitlines())
        if row and row[0].strip() and not row[0].lstrip().startswith("#")
    ]
    column = 0
    if rows:
        header = [cell.strip() for cell in rows[0]]
        for name in ("saleChannelOrderId", "sale_channel_order_id", "order_id"):
            if name in header:
                column, rows = header.index(name), rows[1:]
                break
    ids: dict[str, None] = {}
    for row in rows:
        value = row[column].strip() if column < len(row) else ""
        if value:
            ids.setdefault(value, None)
    return list(ids)
