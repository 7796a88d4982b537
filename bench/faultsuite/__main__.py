"""`python -m bench.faultsuite [--quick] [--only CASE,...] [--out FILE]`: see __init__.py."""

from __future__ import annotations

import sys

from bench import cli
from bench.faultsuite.common import FULL, QUICK, ROOT
from bench.faultsuite.suite import CASES, run


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(
        "bench/faults",
        "dockform under faults: each case against its target, measured, never asserted.",
        "small sizes (for CI)",
        list(CASES),
        ROOT / "bench" / "results" / "faults.json",
        argv,
    )
    return run(QUICK if args.quick else FULL, args.only, args.out, args.command)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; this run's Docker objects were removed", file=sys.stderr)
        sys.exit(130)
