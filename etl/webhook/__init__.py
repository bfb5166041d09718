"""The Pospal push receiver: an ASGI app (:mod:`etl.webhook.app`) served by uvicorn
(:mod:`etl.webhook.server`) that stores every authenticated push durably before answering 200."""
