"""``POST /pospal/push`` and ``GET /healthz`` (Starlette).

Order of work for a push, each step before the next: read at most ``max_body_bytes``; check
the signature over those raw bytes against every configured account (401 without one, 403
when none matches -- nothing stored, one log line that names no key); parse (400 with the
reason, the raw request kept as a reject); store durably (fsynced SQLite); only then 200. A
store that cannot write answers 503, so the vendor retries. Unknown commands are stored and
acknowledged like any other.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from etl.pospal.auth import SIGNATURE_HEADER
from etl.pospal.push import PushMessage, PushRejected, authenticate, parse
from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalAccount

log = logging.getLogger(__name__)

PUSH_PATH = "/pospal/push"
MAX_BODY_BYTES = 1024 * 1024


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"status": "error", "reason": reason}, status_code=status)


def create_app(
    store: PushStore,
    accounts: Mapping[str, PospalAccount],
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    after_store: Callable[[PushMessage], None] | None = None,
) -> Starlette:
    """The receiver for ``accounts`` (by appId), storing into ``store``. ``after_store`` runs
    after a push is stored and before it is acknowledged (tests use it to crash there)."""

    async def push(request: Request) -> Response:
        peer = request.client.host if request.client else "?"
        try:
            raw = await _body(request, max_body_bytes)
        except _TooLarge:
            log.warning("pospal push refused (413): over %d bytes, from %s", max_body_bytes, peer)
            return _error(413, f"request body over {max_body_bytes} bytes")
        try:
            account = authenticate(raw, request.headers.get(SIGNATURE_HEADER), accounts)
            message = parse(raw, account)
        except PushRejected as exc:
            log.warning(
                "pospal push refused (%d): %s; %d bytes from %s",
                exc.status,
                exc.reason,
                len(raw),
                peer,
            )
            if exc.status != 400:
                return _error(exc.status, exc.reason)
            try:
                await run_in_threadpool(store.reject, raw, exc.reason)
            except (sqlite3.Error, OSError) as store_exc:
                log.error("pospal push reject could not be stored: %s", store_exc)
                return _error(503, "push store unavailable; retry")
            return _error(400, exc.reason)
        try:
            new = await run_in_threadpool(store.accept, message)
        except (sqlite3.Error, OSError) as exc:
            log.error("pospal push %s could not be stored: %s", message.cmd, exc)
            return _error(503, "push store unavailable; retry")
        if after_store is not None:
            after_store(message)
        return JSONResponse({"status": "ok", "stored": "new" if new else "duplicate"})

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(store.ping)
        except (sqlite3.Error, OSError) as exc:
            return _error(503, f"push store unavailable: {exc}")
        return JSONResponse({"status": "ok", "accounts": len(accounts)})

    return Starlette(
        routes=[
            Route(PUSH_PATH, push, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
