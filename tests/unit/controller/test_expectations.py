"""Expected events are dropped once each, and only until they expire."""

from __future__ import annotations

from dockform.controller.expectations import Expectations
from dockform.manifests.namespaces import key


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_expectation_is_consumed_once() -> None:
    expectations = Expectations(ttl_s=30, clock=Clock())
    expectations.expect(key("Container", "web"), "start")
    expectations.expect(key("Container", "web"), "start")
    assert not expectations.consume(key("Container", "web"), "create")
    assert not expectations.consume(key("Container", "api"), "start")
    assert expectations.consume(key("Container", "web"), "start")
    assert expectations.consume(key("Container", "web"), "start")
    assert not expectations.consume(key("Container", "web"), "start")  # a third start is news
    assert expectations.pending() == 0


def test_expired_expectations_are_not_consumed_and_do_not_pile_up() -> None:
    clock = Clock()
    expectations = Expectations(ttl_s=30, clock=clock)
    for index in range(100):
        expectations.expect(key("Container", f"c{index}"), "create")  # their events never come
    clock.now += 31
    assert not expectations.consume(key("Container", "c1"), "create")
    expectations.expect(key("Container", "web"), "create")  # sweeps the expired ones
    assert expectations.pending() == 1
    assert expectations.consume(key("Container", "web"), "create")
