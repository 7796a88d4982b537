"""`python -m bench [--quick] [--only CASE,...] [--out FILE]`: see bench/__init__.py."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bench.config import FULL, QUICK
from bench.suite import CASES, ROOT, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="dockform against docker-compose and the Docker Engine's floor, in one run.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (n=30), under 4 minutes in all"
    )
    parser.add_argument(
        "--only",
        default=",".join(CASES),
        help=f"comma-separated cases to run (default all: {','.join(CASES)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / "latest.json",
        help="where to write the JSON results (default bench/results/latest.json)",
    )
    args = parser.parse_args(argv)
    only = {case.strip() for case in args.only.split(",") if case.strip()}
    unknown = only - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(CASES)}")
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(["bench/run", *given])
    return run(QUICK if args.quick else FULL, only, args.out, command)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; this run's containers were removed", file=sys.stderr)
        sys.exit(130)
