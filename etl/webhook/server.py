"""Serve the push receiver with uvicorn for every configured Pospal account."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from etl.config import WarehouseSettings
from etl.pospal.push_store import PushStore
from etl.pospal.settings import PospalTuning, load_accounts
from etl.webhook.app import create_app

log = logging.getLogger(__name__)

PUSH_STORE_FILE = "pospal-push.sqlite"


def push_store_path(tuning: PospalTuning, settings: WarehouseSettings) -> Path:
    """``POSPAL_PUSH_STORE_FILE``, else ``$POS_WAREHOUSE_HOME/pospal-push.sqlite``."""
    return tuning.push_store_file or settings.home / PUSH_STORE_FILE


def serve(host: str, port: int, settings: WarehouseSettings) -> None:
    """Run until interrupted. Accounts and keys are read once, at start."""
    accounts = {account.app_id: account for account in load_accounts()}
    store = PushStore(push_store_path(PospalTuning.from_env(), settings))
    log.warning(
        "pospal webhook on http://%s:%d/pospal/push for %d accounts, inbox %s",
        host,
        port,
        len(accounts),
        store.path,
    )
    try:
        uvicorn.run(
            create_app(store, accounts),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            # The vendor may keep a connection open between pushes.
            timeout_keep_alive=30,
        )
    finally:
        store.close()


@contextmanager
def running(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yields its base URL (for the demo,
    tests and the benchmark). Stops it on exit."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="pospal-webhook", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the webhook could not start on {host}:{port}")
        time.sleep(0.01)  # waiting for the socket to be bound, not pacing a race
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
