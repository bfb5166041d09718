"""A receiver process for the crash test: ``python -m tests.webhook.crashing_server INBOX PORT
crash|serve``. With ``crash`` the process dies (``os._exit``) right after the first push is
stored and before its 200 goes out -- a power cut at the worst moment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn

from etl.pospal.push import PushMessage
from etl.pospal.push_store import PushStore
from etl.webhook.app import create_app
from tests.webhook.conftest import accounts


def main() -> None:
    inbox, port, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

    def after_store(message: PushMessage) -> None:
        if mode == "crash":
            os._exit(17)

    app = create_app(PushStore(inbox), accounts(), after_store=after_store)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
