"""PospalClient paging (cursor sent back verbatim) and one real gzip-serving server on 127.0.0.1."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from etl.errors import (
    VendorAuthError,
    VendorError,
)
from etl.pospal.auth import verify
from etl.pospal.budget import CallBudget
from etl.pospal.client import PospalClient
from etl.pospal.settings import PospalAccount

# Distinctive, so a leak is easy to spot in messages and logs.
from tests.pospal.doubles import (
    APP_ID,
    END,
    START,
    TEST_KEY,
    MakeClient,
    Vendor,
    envelope,
    tickets_page,
)


def test_ticket_pages_100_100_37_send_the_cursor_back_verbatim(make_client: MakeClient) -> None:
    first = {"parameterType": "LAST_RESULT_MAX_ID", "parameterValue": "1508919704366308210"}
    second = {"parameterType": "LAST_RESULT_MAX_ID", "parameterValue": "1508919704366308310"}
    vendor = Vendor(tickets_page(100, first), tickets_page(100, second), tickets_page(37, None))
    pages = list(make_client(vendor).ticket_pages(START, END))
    assert [(p.rows, p.page_size) for p in pages] == [(100, 100), (100, 100), (37, 100)]
    assert [p.body for p in pages] == [
        a.content for a in vendor.answers if isinstance(a, httpx.Response)
    ]
    assert len(vendor.requests) == 3
    window = {"appId": APP_ID, "startTime": "2026-11-01 00:00:00", "endTime": "2026-11-01 23:59:59"}
    assert vendor.sent(0) == window  # first page: no postBackParameter key at all
    assert b"postBackParameter" not in vendor.requests[0].content
    assert vendor.sent(1) == window | {"postBackParameter": first}
    assert vendor.sent(2) == window | {"postBackParameter": second}
    path = "/pospal-api2/openapi/v1/ticketOpenApi/queryTicketPages"
    assert {r.url.path for r in vendor.requests} == {path}


def test_number_cursor_goes_back_as_the_same_json_number(make_client: MakeClient) -> None:
    number = b'{"parameterType":"LAST_RESULT_MAX_ID","parameterValue":12345678901234567890}'
    answer = b'{"status":"success","data":{"result":[%s],"pageSize":2,"postBackParameter":%s}}'
    vendor = Vendor(
        httpx.Response(200, content=answer % (b"{},{}", number)),
        httpx.Response(200, content=answer % (b"{}", b'{"parameterValue":"x"}')),
    )
    pages = list(make_client(vendor).order_pages(START, END))
    assert [p.rows for p in pages] == [2, 1]
    assert pages[0].cursor == {
        "parameterType": "LAST_RESULT_MAX_ID",
        "parameterValue": 12345678901234567890,
    }
    assert vendor.requests[1].content.endswith(b',"postBackParameter":' + number + b"}")
    assert vendor.requests[1].url.path.endswith("/orderOpenApi/queryOrderPages")


def test_order_pages_accept_a_bare_list_as_one_final_page(make_client: MakeClient) -> None:
    vendor = Vendor(envelope(data=[{"orderNo": "1"}, {"orderNo": "2"}]))
    pages = list(make_client(vendor).order_pages(START, END))
    assert [(p.rows, p.page_size, p.cursor) for p in pages] == [(2, None, None)]


def test_a_success_answer_that_is_not_a_page_is_permanent(make_client: MakeClient) -> None:
    vendor = Vendor(envelope(data={"result": "oops", "pageSize": 100}))
    with pytest.raises(VendorError, match="not a page"):
        list(make_client(vendor).ticket_pages(START, END))
    assert len(vendor.requests) == 1


# --- over a real socket ----------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """A tiny Pospal: checks the signature with the account key, serves 100 + 5 tickets."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not verify(TEST_KEY, body, self.headers.get("data-signature", "")):
            answer = b'{"status":"error","messages":["\xe7\xad\xbe\xe5\x90\x8d"],"errorCode":1032}'
        else:
            sent = json.loads(body)
            cursor = {"parameterType": "LAST_RESULT_MAX_ID", "parameterValue": "100"}
            rows = 5 if "postBackParameter" in sent else 100
            data = {"result": [{"uid": 1508919704366308111}] * rows, "pageSize": 100}
            page = {"status": "success", "data": data | {"postBackParameter": cursor}}
            answer = json.dumps(page).encode()
        compressed = gzip.compress(answer)
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(compressed)))
        self.end_headers()
        self.wfile.write(compressed)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_pospal() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_real_server_on_localhost(local_pospal: str, budget: CallBudget) -> None:
    account = PospalAccount("local", local_pospal, APP_ID, SecretStr(TEST_KEY))
    with PospalClient(account, budget=budget, timeout=5, backoff_base=0) as client:
        pages = list(client.ticket_pages(START, END))
    assert [p.rows for p in pages] == [100, 5]
    assert b"1508919704366308111" in pages[1].body  # gunzipped, exact
    assert budget.used(APP_ID) == 2
    wrong = PospalAccount("local", local_pospal, APP_ID, SecretStr("not-the-key"))
    with PospalClient(wrong, backoff_base=0) as client, pytest.raises(VendorAuthError):
        client.ticket_by_sn("1")
