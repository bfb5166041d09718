"""A scripted Pospal vendor for client tests (httpx.MockTransport handlers and answers)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx

from etl.pospal.client import PospalClient

# Distinctive, so a leak is easy to spot in messages and logs.
TEST_KEY = "k3y-P0SPAL-t3st-0nly-9f8e7d"
APP_ID = "87EB2C555BBF382E7F6C7B275B0C502A"
BASE_URL = "https://area24-win.pospal.test:443"
# 2026-11-01 12:00 in Shanghai.
NOON_SHANGHAI = dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC)


class Vendor:
    """Answers from a list (the last one repeats) and keeps every request it saw."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def sent(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def envelope(status: int = 200, **fields: Any) -> httpx.Response:
    payload = {"status": "success", "messages": [], **fields}
    return httpx.Response(status, content=json.dumps(payload, ensure_ascii=False).encode())


def error(code: int | None, *messages: str, status: int = 200) -> httpx.Response:
    payload: dict[str, Any] = {"status": "error", "messages": list(messages)}
    if code is not None:
        payload["errorCode"] = code
    return httpx.Response(status, content=json.dumps(payload, ensure_ascii=False).encode())


def tickets_page(rows: int, cursor: object | None, *, page_size: int = 100) -> httpx.Response:
    """A queryTicketPages answer with ``rows`` tickets carrying 18-digit ids and exact money."""
    result = [
        {
            "uid": 1508919704366308111 + i,
            "cashierUid": 832101480292933201,
            "sn": f"2026110112000{i:07d}",
            "totalAmount": 9.42,
        }
        for i in range(rows)
    ]
    data: dict[str, Any] = {"result": result, "pageSize": page_size}
    if cursor is not None:
        data["postBackParameter"] = cursor
    return envelope(data=data)


MakeClient = Callable[..., PospalClient]
START = dt.datetime(2026, 11, 1, 0, 0, 0)
END = dt.datetime(2026, 11, 1, 23, 59, 59)
