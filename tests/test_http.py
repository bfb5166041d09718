"""Shared transport against a real HTTP server on 127.0.0.1: byte cap, dropped connections,
retry policy and redaction."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from etl.errors import (
    ResponseTooLarge,
    VendorRequestError,
    VendorTimeout,
    VendorUnavailable,
)
from etl.http import post_capped, redact, redact_headers, retrying

CAP = 1_000
SIGNATURE = "1dc43b8c1d86ea048ee63a13becf93986a5464f261fe871f4550cdc68a9bdddb"


class _Handler(BaseHTTPRequestHandler):
    """One behaviour per path; every path first drains the request body like a real server."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # The client hangs up on purpose when a body passes the cap.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            getattr(self, "_" + self.path.strip("/").replace("-", "_"))()

    def _send_head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _ok(self) -> None:
        body = b'{"shops":[]}'
        self._send_head(200, {"Content-Length": str(len(body))})
        self.wfile.write(body)

    def _huge_declared(self) -> None:
        # Declares a gigabyte but sends a few bytes and stalls: only an early abort on
        # Content-Length returns before the client's read timeout.
        self._send_head(200, {"Content-Length": str(10**9)})
        self.wfile.write(b"[" * 10)
        self.wfile.flush()

    def _huge_chunked(self) -> None:
        self._send_head(200, {"Transfer-Encoding": "chunked"})
        chunk = b"[" + b"0," * 200
        for _ in range(20):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def _drop(self) -> None:
        self.close_connection = True  # no status line at all

    def _short(self) -> None:
        self._send_head(200, {"Content-Length": "100"})
        self.wfile.write(b'[{"bill_id":')
        self.close_connection = True

    def _busy(self) -> None:
        self._send_head(503, {"Content-Length": "0"})

    def _bad(self) -> None:
        body = b'{"error_code":2001,"message":"bad"}'
        self._send_head(400, {"Content-Length": str(len(body))})
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(2.0)) as c:
        yield c


def _post(client: httpx.Client, url: str) -> object:
    return post_capped(
        client,
        url,
        content=b'{"secret-body":1}',
        headers={"X-QianHub-Sign": SIGNATURE},
        max_bytes=CAP,
        vendor="qianhub",
        endpoint="qianhub.agent.batch-query",
    )


def test_small_body_is_returned_whole(server: str, client: httpx.Client) -> None:
    response = post_capped(
        client,
        f"{server}/ok",
        content=b"{}",
        headers={},
        max_bytes=CAP,
        vendor="qianhub",
        endpoint="x",
    )
    assert (response.status, response.body) == (200, b'{"shops":[]}')


def test_declared_length_over_cap_aborts_before_reading(server: str, client: httpx.Client) -> None:
    with pytest.raises(ResponseTooLarge) as info:
        _post(client, f"{server}/huge-declared")
    assert info.value.status == 200
    assert "1000-byte cap" in str(info.value)


def test_chunked_body_over_cap_aborts(server: str, client: httpx.Client) -> None:
    with pytest.raises(ResponseTooLarge, match="streamed more"):
        _post(client, f"{server}/huge-chunked")


@pytest.mark.parametrize("path", ["/drop", "/short"])
def test_dropped_or_truncated_connection_is_unavailable(
    server: str, client: httpx.Client, path: str
) -> None:
    with pytest.raises(VendorUnavailable) as info:
        _post(client, f"{server}{path}")
    assert info.value.endpoint == "qianhub.agent.batch-query"
    assert SIGNATURE not in str(info.value) and "secret-body" not in str(info.value)


def test_5xx_is_unavailable_with_status(server: str, client: httpx.Client) -> None:
    with pytest.raises(VendorUnavailable) as info:
        _post(client, f"{server}/busy")
    assert info.value.status == 503


def test_400_is_left_to_the_caller(server: str, client: httpx.Client) -> None:
    response = post_capped(
        client, f"{server}/bad", content=b"{}", headers={}, max_bytes=CAP, vendor="v", endpoint="e"
    )
    assert response.status == 400 and b"2001" in response.body


def test_connection_refused_is_unavailable(client: httpx.Client) -> None:
    with pytest.raises(VendorUnavailable, match="ConnectError"):
        _post(client, "http://127.0.0.1:9/")


def test_timeout_maps_to_vendor_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as c, pytest.raises(VendorTimeout):
        _post(c, "http://gateway.test/")


def test_retrying_retries_transient_only_and_reraises_last(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise VendorUnavailable("down", vendor="qianhub", endpoint="qianhub.test", status=503)
        return "ok"

    with caplog.at_level(logging.WARNING, logger="etl.http"):
        assert retrying(5, base_delay=0)(flaky) == "ok"
    assert len(calls) == 3
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    assert "qianhub qianhub.test after attempt 1" in caplog.records[0].getMessage()

    def permanent() -> None:
        calls.append(1)
        raise VendorRequestError("bad", vendor="qianhub", endpoint="x", status=400, code=2001)

    calls.clear()
    with pytest.raises(VendorRequestError):
        retrying(5, base_delay=0)(permanent)
    assert len(calls) == 1

    def always_down() -> None:
        calls.append(1)
        raise VendorTimeout(f"attempt {len(calls)}", vendor="qianhub", endpoint="x")

    calls.clear()
    with pytest.raises(VendorTimeout, match="attempt 4"):
        retrying(4, base_delay=0)(always_down)
    assert len(calls) == 4


def test_redact_masks_signatures_and_keys() -> None:
    text = (
        f"POST https://area9-win.pospal.cn/api?appKey=abc123&shop=10&sign=ffee "
        f"X-QianHub-Sign: {SIGNATURE}\n"
        f'{{"app_key": "k-999", "token":"t0k", "name": "Jack"}} '
        f"{{'data-signature': 'F6AA018F'}} Authorization: Bearer eyJhbGciOi"
    )
    out = redact(text)
    for secret in ("abc123", "ffee", SIGNATURE, "k-999", "t0k", "F6AA018F", "eyJhbGciOi"):
        assert secret not in out
    assert "appKey=***&shop=10&sign=***" in out
    assert "X-QianHub-Sign: ***" in out
    assert '"name": "Jack"' in out
    assert "Authorization: Bearer ***" in out
    # A bare RSA-length hex run is masked wherever it appears; a sha256 digest is not.
    rsa_hex, sha256_hex = SIGNATURE * 4, SIGNATURE
    assert redact(f"got ({rsa_hex}) file sha {sha256_hex}") == f"got (***) file sha {sha256_hex}"
    # Words that merely contain a secret name are left alone.
    assert (
        redact("design=blue signed=1 page_token_hint=2") == "design=blue signed=1 page_token_hint=2"
    )


def test_redact_headers() -> None:
    headers = {"X-QianHub-App": "507435914698", "X-QianHub-Sign": SIGNATURE, "data-signature": "A"}
    assert redact_headers(headers) == {
        "X-QianHub-App": "507435914698",
        "X-QianHub-Sign": "***",
        "data-signature": "***",
    }
