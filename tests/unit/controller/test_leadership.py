"""The leader elector on a real store (SQLite here; the lease itself is tested on both stores in
tests/unit/store): one leader, takeover after expiry, stepping down when renewals fail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from dockform.controller.leadership import LeaderElector, LeaseTiming
from dockform.store.errors import StoreUnavailable
from dockform.store.leases import LeaseFence, Leases
from dockform.store.repository import Store

LEASE = "controller/test"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Calls:
    def __init__(self) -> None:
        self.led: list[int] = []
        self.followed: list[str] = []


def elector(
    store: Store, holder: str, calls: Calls, clock: Clock, ttl_s: float = 10.0
) -> LeaderElector:
    return LeaderElector(
        Leases(store),
        LeaseFence(LEASE, holder),
        timing=LeaseTiming(ttl_s=ttl_s, renew_s=0.05, margin_s=1.0),
        on_lead=calls.led.append,
        on_follow=calls.followed.append,
        clock=clock,
    )


def open_store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'dockform.db'}")


def test_one_elector_leads_and_the_other_follows(tmp_path: Path) -> None:
    store, clock = open_store(tmp_path), Clock()
    first_calls, second_calls = Calls(), Calls()
    first = elector(store, "a", first_calls, clock)
    second = elector(store, "b", second_calls, clock)
    first.attempt()
    second.attempt()
    assert first.leading() and not second.leading()
    assert first_calls.led == [1] and second_calls.led == []
    info = second.info()
    assert (info.role, info.holder, info.leader, info.term) == ("follower", "b", "a", 1)
    assert first.info().role == "leader"


def test_the_leader_trusts_its_lease_only_until_ttl_minus_margin(tmp_path: Path) -> None:
    store, clock, calls = open_store(tmp_path), Clock(), Calls()
    leader = elector(store, "a", calls, clock, ttl_s=10.0)
    leader.attempt()
    clock.now += 8.9
    assert leader.leading()
    clock.now += 0.2  # 9.1 s after the renewal began: past ttl - margin
    assert not leader.leading()
    assert leader.info().role == "follower"


def test_a_leader_whose_store_fails_steps_down_once_its_lease_runs_out(tmp_path: Path) -> None:
    store, clock, calls = open_store(tmp_path), Clock(), Calls()
    leader = elector(store, "a", calls, clock)
    leader.attempt()

    def unavailable(name: str, holder: str, ttl_s: float) -> None:
        raise StoreUnavailable("connection refused")

    leader._leases.acquire_or_renew = unavailable  # type: ignore[assignment,method-assign]
    leader.attempt()
    assert leader.leading() and calls.followed == []  # the lease still holds
    assert leader.info().error is not None and "connection refused" in str(leader.info().error)
    clock.now += 9.5
    leader.attempt()
    assert not leader.leading()
    assert calls.followed and "does not answer" in calls.followed[0]


def test_an_expired_leader_is_replaced_and_told_at_its_next_attempt(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    clock = Clock()
    old_calls, new_calls = Calls(), Calls()
    old = elector(store, "a", old_calls, clock, ttl_s=0.3)
    new = elector(store, "b", new_calls, clock, ttl_s=0.3)
    old.attempt()
    time.sleep(0.4)  # the database's clock passes the expiry
    new.attempt()
    assert new_calls.led == [2]
    old.attempt()
    assert not old.leading() and old_calls.followed == ["lease taken by b"]


def test_a_stopped_leader_releases_its_lease_for_an_immediate_takeover(tmp_path: Path) -> None:
    store, clock = open_store(tmp_path), Clock()
    first_calls, second_calls = Calls(), Calls()
    first = elector(store, "a", first_calls, clock, ttl_s=60)
    first.start()
    deadline = time.monotonic() + 5
    while not first.leading() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.leading()
    first.stop()
    assert first_calls.followed == ["this daemon stopped"]
    second = elector(store, "b", second_calls, clock, ttl_s=60)
    second.attempt()
    assert second.leading() and second_calls.led == [2]


def test_the_running_elector_steps_down_when_its_lease_runs_out_between_renewals(
    tmp_path: Path,
) -> None:
    store, clock, calls = open_store(tmp_path), Clock(), Calls()
    leader = elector(store, "a", calls, clock, ttl_s=10)
    followed = threading.Event()
    leader._on_follow = lambda why: (calls.followed.append(why), followed.set())  # type: ignore[assignment,func-returns-value]

    def stalled(name: str, holder: str, ttl_s: float) -> None:
        raise StoreUnavailable("stalled")

    leader.attempt()
    leader._leases.acquire_or_renew = stalled  # type: ignore[assignment,method-assign]
    leader.start()
    clock.now += 9.5
    assert followed.wait(5)
    leader.stop()
    assert not leader.leading()
