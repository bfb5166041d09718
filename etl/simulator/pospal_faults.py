"""Data faults for Pospal ticket pages: corrupted copies next to intact tickets.

With ``FaultConfig.malformed`` > 0, some tickets of a ``queryTicketPages`` or
``queryCustomerHistoryTicketsByUid`` page are followed by a broken copy -- chosen from the
ticket's ``uid``, its shown version and the fault seed, so the same request always yields the
same copies and a load that rejects every copy equals a clean load. The copies do not count
toward the page's rows for paging (the cursor is the last *intact* row).

Each copy is broken in one way a strict reader must reject:

``amount``     ``totalAmount`` is the string ``"72.3.4"``
``datetime``   ``datetime`` is an impossible ``yyyy-13-45 25:61:00``
``uid``        ``uid`` is ``"ERR-<n>"``, not a Long
``float_uid``  ``uid`` went through a double: ``2.228061268097368e+18``
``item``       ``items[0]`` is a string
``null``       the whole record is ``null``
"""

from __future__ import annotations

import copy
import random

from etl.simulator.faults import FaultConfig

MALFORMED_TICKET_KINDS = ("amount", "datetime", "uid", "float_uid", "item", "null")


def with_malformed_tickets(records: list[object], config: FaultConfig) -> tuple[list[object], int]:
    """``records`` with a corrupted copy after each chosen ticket; (new list, copies added)."""
    if config.malformed <= 0:
        return records, 0
    out: list[object] = []
    added = 0
    for record in records:
        out.append(record)
        if not isinstance(record, dict):
            continue
        version = f"{record.get('totalAmount')}:{record.get('invalid')}:{len(record['items'])}"
        rng = random.Random(f"{config.seed}:pospal-malformed:{record['uid']}:{version}")
        if rng.random() < config.malformed:
            kind = MALFORMED_TICKET_KINDS[rng.randrange(len(MALFORMED_TICKET_KINDS))]
            out.append(corrupt_ticket(record, kind, rng))
            added += 1
    return out, added


def corrupt_ticket(ticket: dict[str, object], kind: str, rng: random.Random) -> object:
    """A copy of ``ticket`` broken in one way (see the module docstring)."""
    if kind == "null":
        return None
    broken = copy.deepcopy(ticket)
    if kind == "amount":
        broken["totalAmount"] = f"{int(str(ticket['totalAmount']).split('.')[0])}.3.4"
    elif kind == "datetime":
        broken["datetime"] = f"{str(ticket['datetime'])[:4]}-13-45 25:61:00"
    elif kind == "uid":
        broken["uid"] = f"ERR-{rng.randrange(1, 1_000_000)}"
    elif kind == "float_uid":
        uid = ticket["uid"]
        assert isinstance(uid, int)
        broken["uid"] = float(uid)
    elif kind == "item":
        items = broken["items"]
        assert isinstance(items, list)
        items.insert(0, "<item lost in transit>")
        items.pop(1)
    else:
        raise ValueError(f"unknown corruption {kind!r}")
    return broken
