"""sources.debounce: quiet for the delay, and closed by its writer, before a file is read."""

from __future__ import annotations

from dockform.sources.debounce import Debouncer


def test_a_path_is_due_once_quiet_for_the_delay() -> None:
    debouncer = Debouncer(delay_s=0.1)
    debouncer.touch("/w/app.yaml", now=10.0)
    assert debouncer.due(10.05) == []
    assert debouncer.next_deadline() == 10.1
    assert debouncer.due(10.1) == ["/w/app.yaml"]
    assert debouncer.due(11.0) == []  # taken once
    assert len(debouncer) == 0


def test_each_event_restarts_the_delay() -> None:
    debouncer = Debouncer(delay_s=0.1)
    debouncer.touch("/w/app.yaml", now=10.0)
    debouncer.touch("/w/app.yaml", now=10.08)
    assert debouncer.due(10.15) == []
    assert debouncer.due(10.18) == ["/w/app.yaml"]


def test_a_file_being_written_waits_for_its_close() -> None:
    debouncer = Debouncer(delay_s=0.1, write_grace_s=30.0)
    debouncer.touch("/w/app.yaml", now=10.0, writing=True)  # first piece written
    assert debouncer.due(12.0) == []  # a long pause between pieces: still not read
    debouncer.touch("/w/app.yaml", now=12.0, writing=True)  # second piece
    debouncer.touch("/w/app.yaml", now=12.01, writing=False)  # closed
    assert debouncer.due(12.05) == []
    assert debouncer.due(12.11) == ["/w/app.yaml"]


def test_a_close_that_never_comes_stops_mattering_after_the_grace() -> None:
    debouncer = Debouncer(delay_s=0.1, write_grace_s=5.0)
    debouncer.touch("/w/app.yaml", now=10.0, writing=True)
    assert debouncer.next_deadline() == 15.0
    assert debouncer.due(14.9) == []
    assert debouncer.due(15.0) == ["/w/app.yaml"]


def test_without_close_events_a_quiet_file_counts_as_done() -> None:
    debouncer = Debouncer(delay_s=0.1, write_grace_s=30.0, track_writes=False)
    debouncer.touch("/w/app.yaml", now=10.0, writing=True)
    assert debouncer.due(10.1) == ["/w/app.yaml"]


def test_an_event_that_says_nothing_about_writing_keeps_the_flag() -> None:
    debouncer = Debouncer(delay_s=0.1, write_grace_s=30.0)
    debouncer.touch("/w/app.yaml", now=10.0, writing=True)
    debouncer.touch("/w/app.yaml", now=10.01, writing=None)
    assert debouncer.due(11.0) == []


def test_retry_waits_its_delay_and_yields_to_newer_events() -> None:
    debouncer = Debouncer(delay_s=0.1)
    debouncer.retry("/w/app.yaml", now=10.0, delay_s=2.0)
    assert debouncer.pending("/w/app.yaml")
    assert debouncer.due(11.9) == []
    assert debouncer.due(12.0) == ["/w/app.yaml"]
    debouncer.touch("/w/b.yaml", now=20.0)
    debouncer.retry("/w/b.yaml", now=20.0, delay_s=5.0)  # the event already brings it back
    assert debouncer.due(20.1) == ["/w/b.yaml"]


def test_due_paths_come_sorted() -> None:
    debouncer = Debouncer(delay_s=0.1)
    for path in ("/w/c.yaml", "/w/a.yaml", "/w/b.yaml"):
        debouncer.touch(path, now=1.0)
    assert debouncer.due(2.0) == ["/w/a.yaml", "/w/b.yaml", "/w/c.yaml"]
