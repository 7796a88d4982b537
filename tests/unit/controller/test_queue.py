"""The work queue: dedupe, one worker per key, backoff, delayed adds."""

from __future__ import annotations

import threading
import time

from dockform.controller.queue import WorkQueue
from dockform.settings import Backoff

KEY = ("Container", "web")
OTHER = ("Container", "db")


def test_adds_collapse_while_waiting() -> None:
    queue = WorkQueue()
    queue.add(KEY)
    queue.add(KEY)
    queue.add(OTHER)
    assert queue.depth() == 2
    assert queue.get(timeout_s=0.1) == KEY
    assert queue.get(timeout_s=0.1) == OTHER
    assert queue.get(timeout_s=0.05) is None


def test_key_in_processing_is_not_handed_out_twice_but_not_lost() -> None:
    queue = WorkQueue()
    queue.add(KEY)
    assert queue.get(timeout_s=0.1) == KEY
    queue.add(KEY)  # changed while a worker holds it
    assert queue.get(timeout_s=0.05) is None
    queue.done(KEY)
    assert queue.get(timeout_s=0.1) == KEY


def test_backoff_grows_exponentially_to_the_cap_and_forget_resets() -> None:
    queue = WorkQueue(Backoff(base_s=0.1, cap_s=1.0))
    delays = [queue.add_rate_limited(KEY) for _ in range(6)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    queue.forget(KEY)
    assert queue.add_rate_limited(KEY) == 0.1


def test_add_after_delivers_once_the_delay_passes() -> None:
    queue = WorkQueue()
    queue.add_after(KEY, 0.15)
    assert queue.get(timeout_s=0.05) is None
    assert queue.get(timeout_s=1.0) == KEY


def test_immediate_add_supersedes_a_delayed_one() -> None:
    queue = WorkQueue()
    queue.add_after(KEY, 0.2)
    queue.add(KEY)
    assert queue.get(timeout_s=0.05) == KEY
    queue.done(KEY)
    time.sleep(0.3)
    assert queue.get(timeout_s=0.05) is None


def test_many_workers_never_share_a_key() -> None:
    queue = WorkQueue()
    active: set[tuple[str, str]] = set()
    overlap = threading.Event()
    lock = threading.Lock()
    processed = 0

    def worker() -> None:
        nonlocal processed
        while (key := queue.get()) is not None:
            with lock:
                if key in active:
                    overlap.set()
                active.add(key)
            time.sleep(0.001)
            with lock:
                active.discard(key)
                processed += 1
            queue.done(key)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for round_ in range(200):
        queue.add(("Container", f"c{round_ % 5}"))
    deadline = time.monotonic() + 5
    while queue.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.shutdown()
    for thread in threads:
        thread.join(2)
    assert not overlap.is_set()
    assert processed >= 5
    assert queue.pending() == 0


def drain(queue: WorkQueue) -> list[tuple[str, str]]:
    taken = []
    while (key := queue.get(timeout_s=0.02)) is not None:
        taken.append(key)
        queue.done(key)
    return taken


def keys(count: int) -> list[tuple[str, str]]:
    return [("Container", f"c{index}") for index in range(count)]


def test_background_keys_wait_behind_ordinary_ones() -> None:
    queue = WorkQueue()
    for key in keys(3):
        queue.add(key, background=True)
    queue.add(KEY)
    assert queue.depth() == 4 and queue.pending() == 4
    assert drain(queue) == [KEY, *keys(3)]
    assert queue.pending() == 0


def test_an_ordinary_add_moves_a_background_key_forward_once() -> None:
    queue = WorkQueue()
    for key in keys(3):
        queue.add(key, background=True)
    queue.add(("Container", "c2"))  # an event for a key the resync queued
    queue.add(("Container", "c2"), background=True)  # stays in the first lane
    assert queue.depth() == 3
    assert drain(queue) == [("Container", "c2"), ("Container", "c0"), ("Container", "c1")]


def test_a_key_re_added_while_processing_keeps_its_lane() -> None:
    queue = WorkQueue()
    queue.add(KEY)
    assert queue.get(timeout_s=0.1) == KEY
    queue.add(KEY, background=True)  # a resync while a worker holds it
    queue.add(OTHER)
    queue.done(KEY)
    assert queue.pending() == 2
    assert drain(queue) == [OTHER, KEY]


def test_moved_forward_while_processing_then_background_again() -> None:
    queue = WorkQueue()
    queue.add(KEY, background=True)
    queue.add(OTHER, background=True)
    queue.add(KEY)  # moved forward
    assert queue.get(timeout_s=0.1) == KEY
    queue.add(KEY, background=True)
    queue.done(KEY)
    assert drain(queue) == [OTHER, KEY]  # handed out once, in its lane's order
    assert queue.pending() == 0


def test_background_keys_are_processed_a_few_at_a_time() -> None:
    queue = WorkQueue(background_workers=2)
    for key in keys(4):
        queue.add(key, background=True)
    first, second = queue.get(timeout_s=0.1), queue.get(timeout_s=0.1)
    assert queue.get(timeout_s=0.05) is None  # two background keys in progress: the limit
    queue.add(KEY)
    assert queue.get(timeout_s=0.1) == KEY  # the first lane is not limited
    assert first is not None and second is not None
    queue.done(first)
    assert queue.get(timeout_s=0.1) == ("Container", "c2")
