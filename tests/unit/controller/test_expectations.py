"""Expected events are dropped once each, and only until they expire."""

from __future__ import annotations

from dockform.controller.expectations import Expectations


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_expectation_is_consumed_once() -> None:
    expectations = Expectations(ttl_s=30, clock=Clock())
    expectations.expect("Container", "web", "start")
    expectations.expect("Container", "web", "start")
    assert not expectations.consume("Container", "web", "create")
    assert not expectations.consume("Container", "api", "start")
    assert expectations.consume("Container", "web", "start")
    assert expectations.consume("Container", "web", "start")
    assert not expectations.consume("Container", "web", "start")  # a third start is news
    assert expectations.pending() == 0


def test_expired_expectations_are_not_consumed_and_do_not_pile_up() -> None:
    clock = Clock()
    expectations = Expectations(ttl_s=30, clock=clock)
    for index in range(100):
        expectations.expect("Container", f"c{index}", "create")  # their events never come
    clock.now += 31
    assert not expectations.consume("Container", "c1", "create")
    expectations.expect("Container", "web", "create")  # sweeps the expired ones
    assert expectations.pending() == 1
    assert expectations.consume("Container", "web", "create")
