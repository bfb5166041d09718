"""The Pospal push service, simulated: messages derived from the world, signed and POSTed to a
URL with the vendor's retry rule (anything but HTTP 200 is retried 5 times: after 10 s, 30 s,
1, 2 and 3 min -- multiplied by ``time_scale`` to compress time in tests).

Messages: ``ticket.new`` for every ticket of a store-day (``ticketType`` 1 sale, 2 return),
``ticket.reverse`` for every re-checkout (3, or 4 for a return's), ``productOrder.*`` for every
online-order state change, and (fault ``unknown``) commands the receiver has never heard of.
Faults: ``bad_signature`` and ``no_signature`` (the receiver must refuse them), ``duplicate``
(the producer sends the same message twice). The simulator signs with its own MD5 code, not
the client's, so one bug cannot hide on both sides.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx

from etl.simulator.pospal_world import PospalWorld

RETRY_SCHEDULE = (10.0, 30.0, 60.0, 120.0, 180.0)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_FAULTS = ("bad_signature", "no_signature", "duplicate", "unknown")


def _epoch_ms(local: dt.datetime) -> int:
    return int(local.replace(tzinfo=SHANGHAI).timestamp() * 1000)


@dataclass(frozen=True)
class Push:
    """One message as the vendor would produce it (``body`` is the inner JSON text)."""

    app_id: str
    cmd: str
    born_ms: int
    body: str

    def encode(self, sent_ms: int) -> bytes:
        message = {
            "cmd": self.cmd,
            "timestamp": sent_ms,
            "bornTimeStamp": self.born_ms,
            "version": "1.0",
            "appId": self.app_id,
            "body": self.body,
        }
        return json.dumps(message, ensure_ascii=False).encode("utf-8")


def world_pushes(world: PospalWorld, app_id: str, day: dt.date) -> list[Push]:
    """Every push a store-day produces up to ``world.as_of``, in the order they happened."""
    now = world.now(None)
    pushes: list[Push] = []
    for history in world.histories(app_id, day):
        if history.uploaded > now:
            continue
        returned = history.kind == "return"
        for n, (since, _body) in enumerate(history.versions):
            if since > now:
                break
            kind = (2 if returned else 1) if n == 0 else (4 if returned else 3)
            body = {
                "sn": history.sn,
                "uid": history.uid,
                "customerUid": history.customer_uid,
                "ticketType": kind,
            }
            cmd = "ticket.new" if n == 0 else "ticket.reverse"
            born = history.uploaded if n == 0 else since
            pushes.append(Push(app_id, cmd, _epoch_ms(born), json.dumps(body)))
    for order in world.order_histories(app_id, day):
        for n, (moment, state) in enumerate(order.events):
            if moment > now:
                break
            cmd = "productOrder.createProductOrder" if n == 0 else "productOrder.updateProductOrder"
            text = json.dumps({"orderNo": order.order_no, "state": state})
            pushes.append(Push(app_id, cmd, _epoch_ms(moment), text))
    return sorted(pushes, key=lambda p: p.born_ms)


@dataclass
class Delivery:
    """What happened to one message: every HTTP status seen (None: no answer), the fault."""

    push: Push
    statuses: list[int | None]
    fault: str | None = None

    @property
    def delivered(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] == 200


class PushSender:
    """POSTs pushes to ``url`` signed with ``accounts`` (appId -> appKey), like the vendor."""

    def __init__(
        self,
        url: str,
        accounts: dict[str, str],
        *,
        rates: dict[str, float] | None = None,
        seed: int = 0,
        time_scale: float = 0.0,
        retry_schedule: tuple[float, ...] = RETRY_SCHEDULE,
        timeout: float = 10.0,
    ) -> None:
        unknown = set(rates or {}) - set(_FAULTS)
        if unknown:
            raise ValueError(f"unknown push faults {sorted(unknown)}; known: {_FAULTS}")
        self.url = url
        self.accounts = accounts
        self.rates = rates or {}
        self.time_scale = time_scale
        self.retry_schedule = retry_schedule
        self._rng = random.Random(seed)
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _fault(self) -> str | None:
        for name in _FAULTS:
            if self._rng.random() < self.rates.get(name, 0.0):
                return name
        return None

    def _attempt(self, raw: bytes, signature: str | None) -> int | None:
        headers = {"User-Agent": "Pospal-Api", "Content-Type": "application/json; charset=utf-8"}
        if signature is not None:
            headers["data-signature"] = signature
        try:
            return self._http.post(self.url, content=raw, headers=headers).status_code
        except httpx.TransportError:
            return None

    def deliver(self, push: Push, fault: str | None = None) -> Delivery:
        """One message until 200 or the retries run out."""
        if fault == "unknown":
            push = Push(push.app_id, "giftCard.activate", push.born_ms, push.body)
        raw = push.encode(push.born_ms + 150)
        key = self.accounts[push.app_id]
        signature: str | None = hashlib.md5(key.encode() + raw).hexdigest().upper()
        if fault == "bad_signature":
            signature = hashlib.md5(b"not-the-key" + raw).hexdigest().upper()
        elif fault == "no_signature":
            signature = None
        statuses = [self._attempt(raw, signature)]
        for wait in self.retry_schedule:
            if statuses[-1] == 200:
                break
            time.sleep(wait * self.time_scale)  # the vendor's schedule, compressed
            statuses.append(self._attempt(raw, signature))
        return Delivery(push, statuses, fault)

    def send(self, pushes: list[Push]) -> list[Delivery]:
        deliveries = []
        for push in pushes:
            fault = self._fault()
            deliveries.append(self.deliver(push, fault))
            if fault == "duplicate":
                deliveries.append(self.deliver(push, "duplicate"))
        return deliveries


def add_parser(vendors: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    push = vendors.add_parser(
        "pospal-push", help="send a store-day's Pospal pushes to a webhook URL"
    )
    push.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8780/pospal/push")
    push.add_argument("--date", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    push.add_argument("--seed", type=int, default=20261102, help="as for `pospal`")
    push.add_argument("--stores", type=int, default=3, help="as for `pospal`")
    push.add_argument(
        "--faults",
        default="",
        help="e.g. 'bad_signature=0.05,no_signature=0.02,duplicate=0.1,unknown=0.02'",
    )
    push.add_argument("--time-scale", type=float, default=0.01, help="retry schedule factor")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        rates = {
            name.strip(): float(value)
            for name, value in (part.split("=", 1) for part in args.faults.split(",") if part)
        }
        world = PospalWorld(seed=args.seed, stores=args.stores)
        world.as_of = dt.datetime.combine(args.date + dt.timedelta(days=1), dt.time(12))
        sender = PushSender(
            args.url, world.accounts(), rates=rates, seed=args.seed, time_scale=args.time_scale
        )
    except ValueError as exc:
        parser.error(str(exc))
    outcomes: dict[str, int] = {}
    try:
        for app_id in world.accounts():
            for delivery in sender.send(world_pushes(world, app_id, args.date)):
                status = delivery.statuses[-1]
                label = f"{delivery.fault or 'ok'} -> {status if status else 'no answer'}"
                outcomes[label] = outcomes.get(label, 0) + 1
    finally:
        sender.close()
    for label, count in sorted(outcomes.items()):
        print(f"{count:>6}  {label}")  # noqa: T201 -- the command's output
    return 0
