"""Shared pieces for the push tests: two accounts, an inbox in a temp folder, and pushes
signed by an MD5 written here (not the code under test)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalAccount

APP_1, KEY_1 = "A1B2C3D4E5F60718293A4B5C6D7E8F90", "k1-0123456789abcdef0123456789abcd"
APP_2, KEY_2 = "0F1E2D3C4B5A69788796A5B4C3D2E1F0", "k2-fedcba9876543210fedcba98765432"
BIG_UID = 1514196146215295712  # > 2**53
BORN = 1_762_059_600_000  # 2026-11-02 13:00:00 in Shanghai


def accounts(base_url: str = "http://127.0.0.1:9") -> dict[str, PospalAccount]:
    return {
        APP_1: PospalAccount("store-1", base_url, APP_1, SecretStr(KEY_1)),
        APP_2: PospalAccount("store-2", base_url, APP_2, SecretStr(KEY_2)),
    }


def signed(key: str, raw: bytes) -> str:
    return hashlib.md5(key.encode() + raw).hexdigest().upper()


def push(
    cmd: str,
    body: object,
    *,
    app_id: str = APP_1,
    born: int = BORN,
    sent: int | None = None,
    body_text: str | None = None,
) -> bytes:
    """A push as the vendor sends it: ``body`` is a JSON string inside the JSON."""
    message = {
        "cmd": cmd,
        "timestamp": sent if sent is not None else born + 150,
        "bornTimeStamp": born,
        "version": "1.0",
        "appId": app_id,
        "body": body_text if body_text is not None else json.dumps(body, ensure_ascii=False),
    }
    return json.dumps(message, ensure_ascii=False).encode()


def ticket_body(sn: str = "202611021300001230001", ticket_type: int = 1) -> dict[str, object]:
    return {"sn": sn, "uid": BIG_UID, "customerUid": 0, "ticketType": ticket_type}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PushStore]:
    inbox = PushStore(tmp_path / "push.sqlite")
    yield inbox
    inbox.close()
