"""Leases on both stores: one leader at a time, takeover only after expiry with a higher term,
and the term as a fence on the old leader's writes."""

from __future__ import annotations

import threading
import time

import pytest

from dockform.store.errors import LeaseLost
from dockform.store.leases import LeaseFence, Leases
from dockform.store.repository import Store

LEASE = "controller/default"


def test_the_first_daemon_takes_the_lease_and_the_second_follows(store: Store) -> None:
    leases = Leases(store)
    first = leases.acquire_or_renew(LEASE, "a", ttl_s=30)
    second = leases.acquire_or_renew(LEASE, "b", ttl_s=30)
    assert first.leading and first.lease.term == 1
    assert not second.leading and second.lease.holder == "a" and second.lease.term == 1


def test_renewing_extends_the_lease_and_keeps_the_term(store: Store) -> None:
    leases = Leases(store)
    taken = leases.acquire_or_renew(LEASE, "a", ttl_s=30)
    renewed = leases.acquire_or_renew(LEASE, "a", ttl_s=30)
    assert renewed.leading and renewed.lease.term == taken.lease.term
    assert renewed.lease.expires_at >= taken.lease.expires_at
    assert renewed.lease.acquired_at == taken.lease.acquired_at


def test_an_expired_lease_is_taken_over_with_a_higher_term(store: Store) -> None:
    leases = Leases(store)
    leases.acquire_or_renew(LEASE, "a", ttl_s=0.2)
    assert not leases.acquire_or_renew(LEASE, "b", ttl_s=30).leading
    time.sleep(0.3)
    taken = leases.acquire_or_renew(LEASE, "b", ttl_s=30)
    assert taken.leading and taken.lease.holder == "b" and taken.lease.term == 2
    # The old holder, back from a stall, cannot renew what is no longer its own.
    late = leases.acquire_or_renew(LEASE, "a", ttl_s=30)
    assert not late.leading and late.lease.holder == "b"


def test_a_released_lease_is_taken_at_once(store: Store) -> None:
    leases = Leases(store)
    taken = leases.acquire_or_renew(LEASE, "a", ttl_s=60)
    leases.release(LEASE, "a", taken.lease.term)
    assert leases.acquire_or_renew(LEASE, "b", ttl_s=60).leading


def test_a_release_by_a_former_holder_changes_nothing(store: Store) -> None:
    leases = Leases(store)
    leases.acquire_or_renew(LEASE, "a", ttl_s=0.1)
    time.sleep(0.2)
    leases.acquire_or_renew(LEASE, "b", ttl_s=60)
    leases.release(LEASE, "a", 1)
    assert not leases.acquire_or_renew(LEASE, "c", ttl_s=60).leading


def test_concurrent_contenders_elect_exactly_one(store: Store) -> None:
    leases = Leases(store)
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def contend(holder: str) -> None:
        start.wait()
        attempt = leases.acquire_or_renew(LEASE, holder, ttl_s=30)
        with lock:
            results.append(attempt.leading)

    threads = [threading.Thread(target=contend, args=(f"d{index}",)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_the_term_fences_an_old_leaders_writes(store: Store) -> None:
    leases = Leases(store)
    store.record_event("Container", "web", "Normal", "Created", "by nobody")
    first = leases.acquire_or_renew(LEASE, "a", ttl_s=0.2)
    old_leader = store.fenced(LeaseFence(LEASE, "a", first.lease.term))
    old_leader.record_event("Container", "web", "Normal", "Started", "by a, term 1")
    time.sleep(0.3)
    assert leases.acquire_or_renew(LEASE, "b", ttl_s=30).leading
    with pytest.raises(LeaseLost) as raised:
        old_leader.record_event("Container", "web", "Warning", "Failed", "by a, too late")
    assert "daemon a no longer leads" in str(raised.value) and "b at term 2" in str(raised.value)
    messages = [event.message for event in store.list_events()]
    assert "by a, too late" not in messages and "by a, term 1" in messages
    new_leader = store.fenced(LeaseFence(LEASE, "b", 2))
    new_leader.record_event("Container", "web", "Normal", "Started", "by b")


def test_a_fenced_store_shares_the_data_version(store: Store) -> None:
    view = store.fenced(LeaseFence(LEASE, "a", 1))
    Leases(store).acquire_or_renew(LEASE, "a", ttl_s=30)
    before = store.data_version
    view.record_event("Container", "web", "Normal", "Created", "x")
    assert store.data_version >= before
