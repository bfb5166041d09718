"""The inbox: one row per business key, later events re-arm a refresh, a refresh finished
against an older version does not clear a newer one, exports are exact."""

from __future__ import annotations

from etl.pospal.push import parse
from etl.pospal.push_store import PushStore
from tests.webhook.conftest import APP_1, BORN, accounts, push, ticket_body


def _accept(store: PushStore, raw: bytes) -> bool:
    return store.accept(parse(raw, accounts()[APP_1]))


def test_a_later_event_for_the_same_key_rearms_the_refresh(store: PushStore) -> None:
    first = push("ticket.reverse", ticket_body(ticket_type=3), born=BORN)
    assert _accept(store, first) is True
    (read,) = store.pending()
    # A second re-checkout of the same ticket arrives while the refresh of the first runs.
    later = push("ticket.reverse", ticket_body(ticket_type=3), born=BORN + 60_000)
    assert _accept(store, later) is False
    assert store.finish([read], "done") == 0  # read before the later event: stays pending
    (again,) = store.pending()
    assert (again.born_ms, again.deliveries, again.refresh_seq) == (BORN + 60_000, 2, 1)
    assert store.finish([again], "done") == 1
    assert store.pending() == []
    # An older copy arriving late changes nothing but the delivery count.
    assert _accept(store, first) is False
    (event,), _ = store.changes(0)
    assert (event.born_ms, event.deliveries, event.refresh_status) == (BORN + 60_000, 3, "done")


def test_exports_pick_up_every_change_once(store: PushStore) -> None:
    _accept(store, push("ticket.new", ticket_body()))
    _accept(store, push("giftCard.activate", {"card": "C1"}))
    store.reject(b"{broken", "request body is not JSON")
    store.reject(b"{broken", "request body is not JSON")
    events, rejects = store.changes(store.exported_through())
    assert [e.cmd for e in events] == ["ticket.new", "giftCard.activate"]
    assert [(r.raw, r.deliveries) for r in rejects] == [(b"{broken", 2)]
    store.mark_exported(max(x.change_no for x in [*events, *rejects]))
    assert store.changes(store.exported_through()) == ([], [])
    (pending,) = store.pending()
    store.finish([pending], "failed", "ticket not found")
    (changed,), _ = store.changes(store.exported_through())
    assert (changed.refresh_status, changed.refresh_note) == ("failed", "ticket not found")
    store.mark_exported(1)  # never moves backwards
    assert store.exported_through() > 1


def test_reopening_keeps_everything(store: PushStore) -> None:
    _accept(store, push("ticket.new", ticket_body()))
    store.close()
    again = PushStore(store.path)
    try:
        assert again.counts()["events"] == 1
        assert again.pending()[0].value("uid") == 1514196146215295712
    finally:
        again.close()
