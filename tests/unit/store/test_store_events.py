"""Events: dedupe of repeats, the bound on the table, reading with and without a cursor."""

from __future__ import annotations

from sqlalchemy import func, select

from dockform.store.db import create_engine_for
from dockform.store.orm import EventRow
from dockform.store.repository import Store


def _row_count(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(EventRow)).scalar_one())


def test_a_repeat_of_the_latest_event_bumps_its_count(store: Store) -> None:
    store.record_event("Container", "web", "Warning", "BackOff", "restarting")
    store.record_event("Container", "web", "Warning", "BackOff", "restarting")
    store.record_event("Container", "web", "Warning", "BackOff", "restarting")

    [event] = store.list_events()

    assert (event.type, event.reason, event.message, event.count) == (
        "Warning",
        "BackOff",
        "restarting",
        3,
    )
    assert event.last_time > event.first_time
    assert event.first_time.tzinfo is not None


def test_only_the_latest_event_of_the_same_object_is_merged(store: Store) -> None:
    store.record_event("Container", "web", "Normal", "Started", "started")
    store.record_event("Container", "db", "Normal", "Started", "started")
    store.record_event("Container", "web", "Normal", "Started", "started")
    store.record_event("Container", "web", "Warning", "Unhealthy", "probe failed")
    store.record_event("Container", "web", "Normal", "Started", "started")
    store.record_event("Container", "web", "Normal", "Started", "started again")

    events = store.list_events()

    assert [(e.name, e.reason, e.message, e.count) for e in events] == [
        ("web", "Started", "started", 2),
        ("db", "Started", "started", 1),
        ("web", "Unhealthy", "probe failed", 1),
        ("web", "Started", "started", 1),
        ("web", "Started", "started again", 1),
    ]


def test_list_events_filters_limits_and_follows_a_cursor(store: Store) -> None:
    for index in range(10):
        store.record_event("Network", f"net-{index % 2}", "Normal", "Created", f"n{index}")

    assert [e.message for e in store.list_events(limit=3)] == ["n7", "n8", "n9"]
    assert [e.message for e in store.list_events("Network", "net-1", limit=2)] == ["n7", "n9"]
    assert store.list_events("Volume") == []
    first_three = store.list_events(limit=3, since_id=0)
    assert [e.message for e in first_three] == ["n0", "n1", "n2"]
    after = store.list_events(since_id=first_three[-1].id, limit=100)
    assert [e.message for e in after] == [f"n{index}" for index in range(3, 10)]
    assert store.list_events(since_id=after[-1].id) == []


def test_the_events_table_stays_bounded_and_keeps_the_newest(db_url: str, store: Store) -> None:
    bounded = Store(create_engine_for(db_url), event_limit=50)
    try:
        for index in range(317):
            bounded.record_event("Volume", "data", "Normal", "Tick", f"tick {index}")
            assert _row_count(bounded) <= 50

        events = bounded.list_events(limit=1000)
    finally:
        bounded.close()

    assert len(events) >= 40
    assert events[-1].message == "tick 316"
    ids = [event.id for event in events]
    assert ids == sorted(ids) and ids == list(range(ids[0], ids[0] + len(ids)))


def test_event_ids_never_go_back_after_a_trim(db_url: str, store: Store) -> None:
    bounded = Store(create_engine_for(db_url), event_limit=10)
    try:
        for index in range(30):
            bounded.record_event("Volume", "data", "Normal", "Tick", f"tick {index}")
        last = bounded.list_events(limit=1)[0].id
        bounded.record_event("Volume", "data", "Normal", "Tick", "after")
        assert bounded.list_events(limit=1)[0].id == last + 1
    finally:
        bounded.close()
