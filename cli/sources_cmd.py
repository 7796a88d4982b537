"""`dockform get sources [NAME]`: the manifest sources and how their last apply went.

A source is who applied objects: `cli`, a watched file `dir:<path>`, a git source
`git:<name>`. The rows come from `GET /v1/sources` (`api.client.DockformClient.sources`);
`cli.main.get` hands them here when KIND is `source` or `sources`.
"""

from __future__ import annotations

from typing import Any

import typer

from dockform.cli.render import age, as_json, as_yaml, console, err_console, text_table

SOURCE_WORDS = frozenset({"source", "sources"})


def is_sources(kind: str | None) -> bool:
    return kind is not None and kind.strip().lower() in SOURCE_WORDS


def print_sources(items: list[dict[str, Any]], name: str | None, output: str) -> None:
    """Print `items` (all, or the one called `name`) as a table, YAML or JSON."""
    if name is not None:
        items = [item for item in items if item.get("name") == name]
        if not items:
            err_console.print(f"error: source {name!r} not found (dockform get sources lists them)")
            raise typer.Exit(1)
    if output in ("yaml", "json"):
        value: Any = items[0] if name is not None else {"items": items}
        console.print(as_yaml(value) if output == "yaml" else as_json(value) + "\n", end="")
        return
    if not items:
        err_console.print("No sources found.")
        return
    console.print(sources_table(items, wide=output == "wide"))


def sources_table(items: list[dict[str, Any]], wide: bool = False) -> str:
    header = ["NAME", "TYPE", "REVISION", "OBJECTS", "APPLIED", "ERROR"]
    if wide:
        header += ["PATH", "OBJECT NAMES"]
    rows: list[list[str]] = []
    for item in items:
        error = (item.get("lastError") or "").strip()
        lines = error.splitlines()
        first_line = lines[0] if lines else "-"
        if len(lines) > 1:
            first_line += f" (and {len(lines) - 1} more; -o wide or -o yaml shows all)"
        objects = item.get("objects") or []
        row = [
            str(item.get("name", "")),
            str(item.get("type", "")),
            str(item.get("revision") or "-")[:12],
            str(len(objects)),
            age(item.get("lastAppliedAt")),
            first_line if not wide else error.replace("\n", " | ") or "-",
        ]
        if wide:
            row += [str(item.get("path") or "-"), ",".join(objects) or "-"]
        rows.append(row)
    return text_table(header, rows)
