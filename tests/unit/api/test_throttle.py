"""api.throttle: one act per key and period."""

from __future__ import annotations

from dockform.api.throttle import MAX_KEYS, Throttle


def test_one_act_per_key_and_period() -> None:
    now = [100.0]
    throttle = Throttle(10.0, clock=lambda: now[0])
    assert throttle.allow("a")
    assert not throttle.allow("a")
    assert throttle.allow("b")
    now[0] += 9.9
    assert not throttle.allow("a")
    now[0] += 0.2
    assert throttle.allow("a")


def test_keys_are_bounded() -> None:
    throttle = Throttle(10.0, clock=lambda: 1.0)
    for index in range(MAX_KEYS + 10):
        assert throttle.allow(index)
    assert throttle.allow(0)  # forgotten: the oldest went first
    assert not throttle.allow(MAX_KEYS + 9)
