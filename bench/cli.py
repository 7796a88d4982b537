"""The command line `bench/run` and `bench/faults` share: --quick, --only CASE,..., --out FILE."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunArgs:
    quick: bool
    only: list[str]  # the chosen cases, in the order of `cases`
    out: Path
    command: str  # the command line as typed, for the results


def parse(
    prog: str,
    description: str,
    quick_help: str,
    cases: Sequence[str],
    default_out: Path,
    argv: list[str] | None = None,
) -> RunArgs:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--only",
        default=",".join(cases),
        help=f"comma-separated cases to run (default all: {','.join(cases)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=default_out,
        help=f"where to write the JSON results (default bench/results/{default_out.name})",
    )
    args = parser.parse_args(argv)
    only = {case.strip() for case in args.only.split(",") if case.strip()}
    unknown = only - set(cases)
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(cases)}")
    given = sys.argv[1:] if argv is None else argv
    chosen = [case for case in cases if case in only]
    return RunArgs(args.quick, chosen, args.out, shlex.join([prog, *given]))
