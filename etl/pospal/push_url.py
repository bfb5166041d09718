"""Where Pospal sends an account's push notifications (``openNotificationOpenApi``)."""

from __future__ import annotations

import msgspec

from etl.errors import ConfigError
from etl.pospal.client import PospalClient


class _PushConfig(msgspec.Struct):
    # The vendor's field names, as sent.
    sendUrl: str | None = None
    enable: int | None = None
    startUseTime: str | None = None
    endUseTime: str | None = None


class _Answer(msgspec.Struct):
    data: _PushConfig | None = None


def push_url_of(client: PospalClient) -> str:
    """``<sendUrl> (enabled|disabled, valid <start> .. <end>)``, or ``not set``."""
    answer = msgspec.json.decode(client.push_url(), type=_Answer)
    config = answer.data
    if config is None or not config.sendUrl:
        return "not set"
    state = "enabled" if config.enable == 1 else "disabled"
    return f"{config.sendUrl.strip()} ({state}, valid {config.startUseTime} .. {config.endUseTime})"


def set_push_url(client: PospalClient, url: str) -> None:
    """Point pushes at ``url`` (http(s) only; the vendor pushes to it from the internet)."""
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"push URL must be http(s), got {url!r}")
    client.update_push_url(url)
