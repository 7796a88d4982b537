"""Sizes of each case for the full run and for `--quick` (which must end within 4 minutes)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


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
    # The scale case (issue 17): containers under one daemon; store objects and how many of
    # them go in one apply; its idle window. 0 containers: the case does not run (`--quick`).
    scale_containers: int = 0
    scale_objects: int = 0
    scale_apply_objects: int = 0
    scale_idle_window_s: float = 60.0
    # The swarm case (issue 13): services converged, replicas of the rolled service, how many
    # of them Swarm updates at a time, rounds. 0 services: the case does not run (`--quick`).
    swarm_services: int = 0
    swarm_replicas: int = 0
    swarm_parallelism: int = 1
    swarm_repeats: int = 3


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
    scale_containers=500,
    scale_objects=10_000,
    scale_apply_objects=5000,
    swarm_services=30,
    swarm_replicas=30,
    swarm_parallelism=6,
    swarm_repeats=3,
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


# BENCH_SCALE="CONTAINERS,OBJECTS" sizes the scale case by hand (and runs it with --quick): to
# try the case on a small host, say "30,500"; the apply step then takes half the objects and
# the idle window 12 s.
SCALE_ENV = "BENCH_SCALE"


def with_scale_override(sizes: Sizes, value: str | None) -> Sizes:
    if not value:
        return sizes
    try:
        containers, objects = (int(part) for part in value.split(","))
    except ValueError as error:
        raise SystemExit(
            f"{SCALE_ENV}={value!r}: expected CONTAINERS,OBJECTS, say 30,500"
        ) from error
    return replace(
        sizes,
        scale_containers=containers,
        scale_objects=objects,
        scale_apply_objects=objects // 2,
        scale_idle_window_s=min(sizes.scale_idle_window_s, sizes.idle_window_s),
    )


# BENCH_SWARM="N[,REPEATS]" sizes the swarm case by hand (and runs it with --quick, whose own
# sizes leave it out: bringing up its three dockerd alone takes longer than the run may):
# N services converged, one service of N replicas rolled ceil(N/5) at a time (five batches,
# as the full run's 30 by 6), REPEATS rounds (3).
SWARM_ENV = "BENCH_SWARM"
SWARM_BATCHES = 5


def with_swarm_override(sizes: Sizes, value: str | None) -> Sizes:
    if not value:
        return sizes
    try:
        parts = [int(part) for part in value.split(",")]
        if not 1 <= len(parts) <= 2 or min(parts) < 1:
            raise ValueError(value)
    except ValueError as error:
        raise SystemExit(
            f"{SWARM_ENV}={value!r}: expected N or N,REPEATS, say 10 or 30,3"
        ) from error
    count = parts[0]
    return replace(
        sizes,
        swarm_services=count,
        swarm_replicas=count,
        swarm_parallelism=math.ceil(count / SWARM_BATCHES),
        swarm_repeats=parts[1] if len(parts) == 2 else sizes.swarm_repeats,
    )
