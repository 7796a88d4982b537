"""`python -m bench.faultsuite [--quick] [--only CASE,...] [--out FILE]`: see __init__.py."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bench.faultsuite.common import FULL, QUICK, ROOT
from bench.faultsuite.suite import CASES, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/faults", description="dockform under faults: each case against its target."
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument(
        "--only",
        default=",".join(CASES),
        help=f"comma-separated cases to run (default all: {','.join(CASES)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / "faults.json",
        help="where to write the JSON results (default bench/results/faults.json)",
    )
    args = parser.parse_args(argv)
    only = [case.strip() for case in args.only.split(",") if case.strip()]
    unknown = set(only) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(CASES)}")
    given = sys.argv[1:] if argv is None else argv
    ordered = [case for case in CASES if case in only]
    return run(
        QUICK if args.quick else FULL, ordered, args.out, shlex.join(["bench/faults", *given])
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; this run's containers were removed", file=sys.stderr)
        sys.exit(130)
