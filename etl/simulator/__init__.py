"""Vendor APIs on 127.0.0.1, built from the specs, with fault injection.

QianHub: :class:`QianhubWorld` (deterministic shops, bills, re-checkouts and reports),
:class:`QianhubSimulator` (the signed gateway over HTTP), :class:`FaultConfig` (what to break)
and :func:`ensure_demo_keypair` (a key pair for local runs). ``python -m etl.simulator qianhub``
serves it from the command line.
"""

from etl.simulator.counters import SimulatorStats
from etl.simulator.faults import FaultConfig, FaultInjector, TransientFault, with_malformed
from etl.simulator.keys import DemoKeys, ensure_demo_keypair
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
    "WAIMAI_ORDER",
    "DemoKeys",
    "FaultConfig",
    "FaultInjector",
    "GatewayReply",
    "QianhubGateway",
    "QianhubSimulator",
    "QianhubWorld",
    "SimulatorStats",
    "TransientFault",
    "ensure_demo_keypair",
    "with_malformed",
]
