"""`python -m bench [--quick] [--only CASE,...] [--out FILE]`: see bench/__init__.py."""

from __future__ import annotations

import sys

from bench import cli
from bench.config import FULL, QUICK
from bench.suite import CASES, ROOT, run


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(
        "bench/run",
        "dockform against docker-compose and the Docker Engine's floor, in one run.",
        "small sizes (n=30), under 4 minutes in all",
        CASES,
        ROOT / "bench" / "results" / "latest.json",
        argv,
    )
    return run(QUICK if args.quick else FULL, set(args.only), args.out, args.command)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; this run's containers were removed", file=sys.stderr)
        sys.exit(130)
