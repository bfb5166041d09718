"""Vendor APIs on 127.0.0.1, built from the specs, with fault injection.

QianHub: :class:`QianhubWorld` (deterministic shops, bills, re-checkouts and reports),
:class:`QianhubSimulator` (the signed gateway over HTTP), :class:`FaultConfig` (what to break)
and :func:`ensure_demo_keypair` (a key pair for local runs). ``python -m etl.simulator qianhub``
serves it from the command line.

Pospal: :class:`PospalWorld` (a chain of stores with late tickets, in-place re-checkouts,
returns and online orders over a movable clock) and :class:`PospalSimulator` (the MD5-signed
open API v1 with its daily quota, push URL included); ``python -m etl.simulator pospal``.
Its push service: :func:`world_pushes` (a store-day's notifications, derived from the world),
:class:`PushSender` (signed POSTs with the vendor's retry schedule and :class:`PushFaults`),
one :class:`PushDelivery` report per delivery; ``python -m etl.simulator pospal-push``.
"""

from etl.simulator.counters import SimulatorStats
from etl.simulator.faults import FaultConfig, FaultInjector, TransientFault, with_malformed
from etl.simulator.keys import DemoKeys, ensure_demo_keypair
from etl.simulator.pospal_api import HTTP_STATUS as POSPAL_HTTP_STATUS
from etl.simulator.pospal_api import QUOTA_CODE as POSPAL_QUOTA_CODE
from etl.simulator.pospal_api import PospalApi
from etl.simulator.pospal_day import TicketHistory
from etl.simulator.pospal_orders import OrderHistory
from etl.simulator.pospal_plan import Rates as PospalRates
from etl.simulator.pospal_push import (
    RETRY_SCHEDULE as PUSH_RETRY_SCHEDULE,
)
from etl.simulator.pospal_push import (
    Push,
    PushDelivery,
    PushFaults,
    PushSender,
    world_pushes,
)
from etl.simulator.pospal_server import PospalSimulator, PospalStats
from etl.simulator.pospal_stores import Member, StoreProfile
from etl.simulator.pospal_world import PospalWorld
from etl.simulator.qianhub_common import (
    BOH_TYPES,
    CASHIER_FINISH,
    DAYEND_STAT,
    HANDOVER_STAT,
    WAIMAI_ORDER,
)
from etl.simulator.qianhub_gateway import (
    DOC_TEST_APP_ID,
    DOC_TEST_PUBLIC_KEY,
    GatewayReply,
    QianhubGateway,
)
from etl.simulator.qianhub_server import QianhubSimulator
from etl.simulator.qianhub_world import QianhubWorld

__all__ = [
    "BOH_TYPES",
    "CASHIER_FINISH",
    "DAYEND_STAT",
    "DOC_TEST_APP_ID",
    "DOC_TEST_PUBLIC_KEY",
    "HANDOVER_STAT",
    "POSPAL_HTTP_STATUS",
    "POSPAL_QUOTA_CODE",
    "PUSH_RETRY_SCHEDULE",
    "WAIMAI_ORDER",
    "DemoKeys",
    "FaultConfig",
    "FaultInjector",
    "GatewayReply",
    "Member",
    "OrderHistory",
    "PospalApi",
    "PospalRates",
    "PospalSimulator",
    "PospalStats",
    "PospalWorld",
    "Push",
    "PushDelivery",
    "PushFaults",
    "PushSender",
    "QianhubGateway",
    "QianhubSimulator",
    "QianhubWorld",
    "SimulatorStats",
    "StoreProfile",
    "TicketHistory",
    "TransientFault",
    "ensure_demo_keypair",
    "with_malformed",
    "world_pushes",
]
