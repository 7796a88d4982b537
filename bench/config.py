"""Sizes of each case for the full run and for `--quick` (which must end within 4 minutes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    mode: str
    converge_n: int
    converge_repeats: int
    noop_repeats: int
    drift_samples: int
    watch_samples: int
    api_objects: int
    api_clients: int
    api_duration_s: float
    idle_window_s: float
    recreate_repeats: int
    recreate_compose: bool
    cli_repeats: int


FULL = Sizes(
    mode="full",
    converge_n=100,
    converge_repeats=5,
    noop_repeats=7,
    drift_samples=40,
    watch_samples=20,
    api_objects=1000,
    api_clients=16,
    api_duration_s=30.0,
    idle_window_s=60.0,
    recreate_repeats=3,
    recreate_compose=True,
    cli_repeats=11,
)

QUICK = Sizes(
    mode="quick",
    converge_n=30,
    converge_repeats=3,
    noop_repeats=5,
    drift_samples=10,
    watch_samples=6,
    api_objects=1000,
    api_clients=16,
    api_duration_s=10.0,
    idle_window_s=12.0,
    recreate_repeats=2,
    recreate_compose=False,
    cli_repeats=5,
)
