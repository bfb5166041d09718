"""The push service's sending side: POST each message, retry like the vendor, break on demand.

The vendor treats only HTTP 200 as consumed. Anything else -- another status, a refused or
dropped connection, a timeout -- is retried up to 5 times, after 10 s, 30 s, 1 min, 2 min and
3 min (the document's table). ``time_scale`` multiplies that schedule: 0.01 makes the whole
wait 4 s, 0 retries back to back. Sleeping in the sender models the vendor's clock; the
receiver under test never waits. Every attempt sends the same bytes with the same signature
(the document: a redelivered message has the same content and the same message id).

Faults, one per message, drawn from ``random.Random(seed)`` in message order (so a seed gives
the same faults whatever ``workers`` is):

* ``bad_signature`` -- signed with a key that is not the account's (the receiver must refuse);
* ``no_signature`` -- no ``data-signature`` header at all;
* ``duplicate`` -- the producer sends the message twice, as two separate deliveries with the
  same content (the document's "发送时消息重复");
* ``unknown`` -- after the message, one with a command the receiver has never heard of
  (``giftCard.activate``): the document says new commands appear and must be skipped.

Hand-rolled retries rather than tenacity: the schedule is the vendor's fixed table, and each
attempt must be recorded for the report.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from decimal import Decimal

import httpx

from etl.closing import Closing
from etl.simulator.pospal_push_message import Push, body_text, push_headers, sign

logger = logging.getLogger(__name__)

RETRY_SCHEDULE = (10.0, 30.0, 60.0, 120.0, 180.0)
UNKNOWN_CMD = "giftCard.activate"
# Signs the bad_signature fault's messages: a well-formed digest from the wrong key.
_FOREIGN_KEY = "not-this-accounts-key"


@dataclass(frozen=True)
class PushFaults:
    """Probability per message of each fault; they exclude each other, so the sum is <= 1."""

    bad_signature: float = 0.0
    no_signature: float = 0.0
    duplicate: float = 0.0
    unknown: float = 0.0

    def __post_init__(self) -> None:
        rates = self.rates()
        if any(not 0.0 <= rate <= 1.0 for rate in rates.values()):
            raise ValueError(f"push fault rates must be within 0..1, got {rates}")
        if sum(rates.values()) > 1.0:
            raise ValueError(f"push fault rates must add up to at most 1, got {rates}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, rates: Mapping[str, float]) -> PushFaults:
        unknown = set(rates) - set(cls.names())
        if unknown:
            raise ValueError(f"unknown push faults {sorted(unknown)}; known: {cls.names()}")
        return cls(**{name: float(rate) for name, rate in rates.items()})

    @classmethod
    def parse(cls, text: str) -> PushFaults:
        """``"bad_signature=0.05,duplicate=0.1"``; empty or ``none``: no faults."""
        if text.strip().lower() in ("", "none"):
            return cls()
        rates: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"expected name=rate, got {part!r}")
            rates[name.strip()] = float(value)
        return cls.of(rates)

    def rates(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.names()}

    def describe(self) -> str:
        active = [f"{name}={rate:g}" for name, rate in self.rates().items() if rate]
        return ",".join(active) or "none"

    def draw(self, rng: random.Random) -> str | None:
        """One fault or None: a single uniform draw, so each fault has exactly its rate."""
        roll = rng.random()
        for name, rate in self.rates().items():
            if roll < rate:
                return name
            roll -= rate
        return None


@dataclass
class PushDelivery:
    """The report of one delivery: every HTTP status seen (None: no answer -- refused,
    dropped or timed out), the seconds waited before each retry, the fault applied."""

    push: Push
    statuses: list[int | None]
    fault: str | None = None
    waits: list[float] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return len(self.statuses)

    @property
    def status(self) -> int | None:
        """The final attempt's HTTP status."""
        return self.statuses[-1] if self.statuses else None

    @property
    def delivered(self) -> bool:
        return self.status == 200


def unknown_push(push: Push, rng: random.Random) -> Push:
    """A message of a command no receiver knows yet, born with ``push``."""
    amount = Decimal(rng.choice((50, 100, 200, 500))).quantize(Decimal("0.01"))
    body = {"cardNo": f"GC{rng.randrange(10**11, 10**12)}", "amount": amount}
    return Push(push.app_id, UNKNOWN_CMD, push.born_ms, push.sent_ms + 1, body_text(body))


class PushSender(Closing):
    """POSTs pushes to ``url`` signed with ``accounts`` (appId -> appKey), like the vendor.

    ``workers`` > 1 sends that many messages at once (a burst); reports keep message order.
    ``rates`` is the older spelling of ``faults`` as a mapping.
    """

    def __init__(
        self,
        url: str,
        accounts: Mapping[str, str],
        *,
        faults: PushFaults | Mapping[str, float] | None = None,
        rates: Mapping[str, float] | None = None,
        seed: int = 0,
        time_scale: float = 0.0,
        retry_schedule: Iterable[float] = RETRY_SCHEDULE,
        timeout: float = 10.0,
        workers: int = 1,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if faults is not None and rates is not None:
            raise ValueError("pass faults or rates, not both")
        chosen = faults if faults is not None else rates or {}
        self.faults = chosen if isinstance(chosen, PushFaults) else PushFaults.of(chosen)
        self.retry_schedule = tuple(float(wait) for wait in retry_schedule)
        if time_scale < 0 or any(wait < 0 for wait in self.retry_schedule):
            raise ValueError("time_scale and the retry schedule must not be negative")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.url = url
        self.accounts = dict(accounts)
        self.time_scale = time_scale
        self.workers = workers
        self._rng = random.Random(seed)
        self._sleep = sleep
        limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
        self._http = httpx.Client(timeout=timeout, limits=limits, transport=transport)

    def close(self) -> None:
        self._http.close()

    def plan(self, pushes: Iterable[Push]) -> list[tuple[Push, str | None]]:
        """The deliveries ``send`` makes: each message with its fault, duplicates twice, an
        unknown command after its message. Draws from the sender's seeded generator."""
        jobs: list[tuple[Push, str | None]] = []
        for push in pushes:
            fault = self.faults.draw(self._rng)
            if fault == "unknown":
                jobs += [(push, None), (unknown_push(push, self._rng), "unknown")]
            elif fault == "duplicate":
                jobs += [(push, fault), (push, fault)]
            else:
                jobs.append((push, fault))
        return jobs

    def send(self, pushes: Iterable[Push]) -> list[PushDelivery]:
        """Deliver every message (with faults); one report per delivery, in plan order."""
        jobs = self.plan(pushes)
        if self.workers == 1:
            return [self.deliver(push, fault) for push, fault in jobs]
        with ThreadPoolExecutor(self.workers, thread_name_prefix="pospal-push") as pool:
            return list(pool.map(lambda job: self.deliver(*job), jobs))

    def deliver(self, push: Push, fault: str | None = None) -> PushDelivery:
        """One message until HTTP 200 or the retries run out."""
        raw = push.encode()
        signature: str | None = sign(self.accounts[push.app_id], raw)
        if fault == "bad_signature":
            signature = sign(_FOREIGN_KEY, raw)
        elif fault == "no_signature":
            signature = None
        headers = push_headers(signature)
        delivery = PushDelivery(push, [self._attempt(raw, headers)], fault)
        for wait in self.retry_schedule:
            if delivery.delivered:
                break
            delivery.waits.append(wait * self.time_scale)
            self._sleep(wait * self.time_scale)  # the vendor's schedule, compressed
            delivery.statuses.append(self._attempt(raw, headers))
        if not delivery.delivered:
            logger.info(
                "push %s gave up after %d attempts (last %s)",
                push.cmd,
                delivery.attempts,
                delivery.status or "no answer",
            )
        return delivery

    def _attempt(self, raw: bytes, headers: dict[str, str]) -> int | None:
        try:
            return self._http.post(self.url, content=raw, headers=headers).status_code
        except httpx.TransportError as exc:
            logger.debug("push to %s: %s", self.url, type(exc).__name__)
            return None
