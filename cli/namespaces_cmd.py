"""`dockform get namespaces [NAME]`: every namespace that holds objects, with how many of its
objects are in each phase (from `GET /v1/namespaces`). `cli.main.get` hands the rows here
when KIND is `namespace`, `namespaces` or `ns`."""

from __future__ import annotations

from typing import Any

import typer

from dockform.cli.render import as_json, as_yaml, console, err_console, text_table

# The phases shown as columns, in the order an object goes through them.
PHASES = ("Pending", "Running", "Ready", "Succeeded", "Failed", "Terminating")


def print_namespaces(items: list[dict[str, Any]], name: str | None, output: str) -> None:
    if name is not None:
        items = [item for item in items if item.get("name") == name]
        if not items:
            err_console.print(f"error: namespace {name!r} not found (or empty)")
            raise typer.Exit(1)
    if output in ("yaml", "json"):
        value: Any = items[0] if name is not None else {"items": items}
        console.print(as_yaml(value) if output == "yaml" else as_json(value) + "\n", end="")
        return
    if not items:
        err_console.print("No namespaces found.")
        return
    console.print(namespaces_table(items))


def namespaces_table(items: list[dict[str, Any]]) -> str:
    """NAME, OBJECTS, then one column per phase (and OTHER for any phase not listed)."""
    header = ["NAME", "OBJECTS", *(phase.upper() for phase in PHASES), "OTHER"]
    rows = []
    for item in items:
        phases: dict[str, int] = item.get("phases") or {}
        other = sum(count for phase, count in phases.items() if phase not in PHASES)
        rows.append(
            [
                str(item.get("name", "")),
                str(item.get("objects", 0)),
                *(str(phases.get(phase, 0)) for phase in PHASES),
                str(other),
            ]
        )
    return text_table(header, rows)
