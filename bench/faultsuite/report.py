"""The table of a fault run (text for the terminal, Markdown for the README) and its JSON.

Every case's result holds `figures`: rows of figure, value, unit, target and verdict (`meets`,
`misses`, `n/a` when it could not be measured, `reference` without a target). A case that
failed has `error` instead, shown as one row. `python -m bench.faultsuite.report [FILE]` prints
the Markdown table of a results file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

Results = dict[str, Any]
COLUMNS = ("case", "figure", "value", "target", "verdict")


def _value(row: dict[str, Any]) -> str:
    value = row.get("value")
    if value is None:
        return "n/a"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {row['unit']}" if row.get("unit") else text


def rows(results: Results) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = []
    for case, result in (results.get("cases") or {}).items():
        if "error" in result:
            table.append((case, "the case itself", "failed", "runs", f"error: {result['error']}"))
        for row in result.get("figures") or []:
            table.append(
                (case, row["figure"], _value(row), str(row["target"]), str(row["verdict"]))
            )
    return table


def summary(results: Results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows(results):
        verdict = row[4].split(":", 1)[0]
        counts[verdict] = counts.get(verdict, 0) + 1
    return counts


def text_table(results: Results) -> str:
    table = [COLUMNS, *rows(results)]
    widths = [max(len(row[index]) for row in table) for index in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in table]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(results: Results) -> str:
    lines = ["| case | figure | value | target | verdict |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in rows(results)]
    return "\n".join(lines)


def main() -> None:
    default = Path(os.path.dirname(__file__)).parent / "results" / "faults.json"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print(markdown_table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
