"""`python -m bench [--quick] [--only CASE,...] [--out FILE]`: see bench/__init__.py."""

from __future__ import annotations

import os
import sys

from bench import cli
from bench.config import (
    FULL,
    QUICK,
    SCALE_ENV,
    SWARM_ENV,
    with_scale_override,
    with_swarm_override,
)
from bench.suite import CASES, ROOT, run


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(
        "bench/run",
        "dockform against docker-compose and the Docker Engine's floor, in one run.",
        "small sizes (n=30), under 4 minutes in all, without the scale and swarm cases (unless "
        f"{SCALE_ENV}=CONTAINERS,OBJECTS is set, say 30,500: the scale case at those sizes; "
        f"or {SWARM_ENV}=N[,REPEATS], say 10: the swarm case at n=N)",
        CASES,
        ROOT / "bench" / "results" / "latest.json",
        argv,
    )
    sizes = with_scale_override(QUICK if args.quick else FULL, os.environ.get(SCALE_ENV))
    sizes = with_swarm_override(sizes, os.environ.get(SWARM_ENV))
    return run(sizes, set(args.only), args.out, args.command)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; this run's containers were removed", file=sys.stderr)
        sys.exit(130)
