"""`dockform history | rollback | unpin | scale | explain KIND/NAME`: an object's revisions, going
back to one (pinned against its source until `unpin` or new content from the source), and why
it runs as it does. Each is one call of the API (api.routes.history)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dockform.cli.render import as_json, as_yaml, console, text_table
from dockform.manifests.kinds import plural
from dockform.manifests.namespaces import DEFAULT_NAMESPACE

TargetArgument = Annotated[str, typer.Argument(metavar="KIND/NAME", help="e.g. container/web")]
NamespaceOption = Annotated[
    str, typer.Option("-n", "--namespace", metavar="NAMESPACE", help="The object's namespace.")
]
OutputOption = Annotated[
    str, typer.Option("-o", "--output", metavar="FORMAT", help="table (default), yaml or json.")
]


def _target(target: str) -> tuple[str, str]:
    from dockform.cli.main import fail, split_target

    kind, name = split_target(target, None)
    if not name:
        raise fail("give KIND/NAME", 2)
    return plural(kind), name


def _print(value: dict[str, Any], output: str) -> bool:
    """Print `value` as YAML or JSON when asked; whether it was."""
    if output == "yaml":
        console.print(as_yaml(value), end="")
    elif output == "json":
        console.print(as_json(value))
    return output in ("yaml", "json")


def history(
    target: TargetArgument,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    output: OutputOption = "table",
) -> None:
    """List an object's revisions: generation, time, source and the fields each changed.

    Example: dockform history container/web
    """
    from dockform.cli.main import daemon_client

    kinds, name = _target(target)
    with daemon_client() as client:
        found = client.revisions(kinds, name, namespace, spec=output != "table")
    if _print(found, output):
        return
    current, pin = found["generation"], found.get("pin")
    rows = []
    for item in found["items"]:
        marks = "*" if item["generation"] == current else ""
        rows.append(
            [
                f"{item['generation']}{marks}",
                item["createdAt"][:19].replace("T", " "),
                item["source"],
                ", ".join(field.removeprefix("spec.") for field in item["changed"]) or "-",
            ]
        )
    console.print(text_table(["GENERATION", "APPLIED", "SOURCE", "CHANGED"], rows))
    if pin:
        console.print(
            f"pinned: rolled back to generation {pin['rolledBackTo']}; its source's spec "
            f"(generation {pin['sourceGeneration']}) comes back with `dockform unpin "
            f"{target}` or new content from the source"
        )


def rollback(
    target: TargetArgument,
    to: Annotated[
        int | None,
        typer.Option("--to", metavar="GENERATION", help="The revision (default: the one before)."),
    ] = None,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
) -> None:
    """Apply an earlier revision as a new generation and pin it: the object's source does
    not overwrite it until `dockform unpin` or new content from the source.

    Example: dockform rollback container/web --to 3
    """
    from dockform.cli.main import daemon_client

    kinds, name = _target(target)
    with daemon_client() as client:
        item = client.rollback(kinds, name, namespace, to)
    pin = item.get("pin") or {}
    console.print(
        f"{target} rolled back to generation {pin.get('rolledBackTo')} as generation "
        f"{item['generation']} (pinned)"
    )


def scale(
    target: TargetArgument,
    replicas: Annotated[
        int, typer.Argument(min=0, metavar="REPLICAS", help="How many replicas to run.")
    ],
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
) -> None:
    """Set a Container's replicas: NAME-1 .. NAME-N run; no running replica is replaced.
    An apply of its manifest afterwards sets replicas as the manifest says.

    Example: dockform scale container/web 3
    """
    from dockform.cli.main import daemon_client

    kinds, name = _target(target)
    with daemon_client() as client:
        item = client.scale(kinds, name, replicas, namespace)
    console.print(f"{target} scaled to {replicas} replica(s) (generation {item['generation']})")


def unpin(target: TargetArgument, namespace: NamespaceOption = DEFAULT_NAMESPACE) -> None:
    """End a rollback's pin: the spec the object's source applied comes back.

    Example: dockform unpin container/web
    """
    from dockform.cli.main import daemon_client

    kinds, name = _target(target)
    with daemon_client() as client:
        item = client.unpin(kinds, name, namespace)
    console.print(f"{target} unpinned at generation {item['generation']}")


def explain(
    target: TargetArgument,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    output: OutputOption = "table",
) -> None:
    """Say why the object runs as it does: for a container, the fields, image or content
    whose change made it; for other kinds, the last change of the spec.

    Example: dockform explain container/web
    """
    from dockform.cli.main import daemon_client

    kinds, name = _target(target)
    with daemon_client() as client:
        found = client.explain(kinds, name, namespace)
    if _print(found, output):
        return
    console.print(f"{target}: {found['summary']}")
    for change in found["changes"]:
        fields = change.get("fields") or []
        shown = f": {', '.join(field.removeprefix('spec.') for field in fields)}" if fields else ""
        console.print(f"  {change['what']}: {change['detail']}{shown}")
