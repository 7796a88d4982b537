"""`dockform`: apply, get, describe, delete, validate, schema, daemon, version.

Commands that read or change state talk to the daemon through `api.client`; `validate` and
`schema` work offline. Exit codes: 0 success, 1 failure, 2 usage or invalid input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
import yaml

from api.client import ClientError, DaemonUnreachable, DockformClient
from cli.render import (
    as_json,
    as_yaml,
    console,
    describe_text,
    err_console,
    manifest_view,
    resource_table,
)
from manifests.errors import ManifestError
from manifests.kinds import PLURALS, UnknownKindError, canonical_kind, plural
from manifests.loader import LoadedManifest, load_paths
from manifests.schema import json_schema

VERSION = "0.1.0"

app = typer.Typer(
    name="dockform",
    help="Desired state for Docker hosts: apply YAML manifests, dockform keeps them running.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

FilesOption = Annotated[
    list[str],
    typer.Option("-f", "--filename", help="A file, a directory (recursive *.yaml/*.yml) or -."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"error: {message}")
    return typer.Exit(code)


@contextmanager
def daemon_client() -> Iterator[DockformClient]:
    """A client, with the daemon's errors turned into messages and exit codes."""
    try:
        with DockformClient() as client:
            yield client
    except DaemonUnreachable as error:
        raise fail(str(error)) from error
    except ClientError as error:
        for issue in error.issues:
            if issue.get("file"):
                err_console.print(f"  {_issue_text(issue)}")
        code = 2 if error.status in (400, 413, 422) else 1
        raise fail(f"{error.message} (HTTP {error.status})", code) from error
    except ValueError as error:
        raise fail(str(error), 2) from error


def _issue_text(issue: dict[str, Any]) -> str:
    where = f"{issue.get('file')}:{issue.get('line')}"
    return f"{where}: {issue.get('path') or '(document)'}: {issue.get('message')}"


def load_or_exit(paths: list[str]) -> list[LoadedManifest]:
    if not paths:
        raise fail("no manifests given: use -f FILE, -f DIR or -f -", 2)
    try:
        return load_paths(paths, stdin=sys.stdin)
    except ManifestError as error:
        for issue in error.issues:
            err_console.print(str(issue))
        raise fail(
            f"{len(error.issues)} problem(s) in the manifests; nothing was applied", 2
        ) from error
    except OSError as error:
        raise fail(str(error), 2) from error


def manifests_text(manifests: list[LoadedManifest]) -> str:
    """The manifests as one multi-document YAML body (paths already absolute)."""
    documents = [
        loaded.manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
        for loaded in manifests
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def split_target(target: str, name: str | None) -> tuple[str, str | None]:
    """`container/web`, `container web` or `containers` -> (Kind, name or None)."""
    kind_text, sep, slash_name = target.partition("/")
    try:
        kind = canonical_kind(kind_text)
    except UnknownKindError as error:
        raise fail(str(error), 2) from error
    return kind, (slash_name if sep else name)


# --- commands


@app.command()
def apply(
    filename: FilesOption = [],  # noqa: B006 - typer reads the default
    prune: Annotated[
        bool, typer.Option(help="Delete objects of this source not in the set.")
    ] = False,
    allow_empty: Annotated[bool, typer.Option(help="Allow --prune to delete everything.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Take over objects owned by another source.")] = False,
) -> None:
    """Create or update objects from manifests.

    Example: dockform apply -f examples/hello/
    """
    manifests = load_or_exit(filename)
    with daemon_client() as client:
        result = client.apply(
            manifests_text(manifests),
            dry_run=dry_run,
            prune=prune,
            allow_empty=allow_empty,
            force=force,
        )
    suffix = " (dry run)" if dry_run else ""
    for item in result["results"]:
        console.print(f"{item['kind'].lower()}/{item['name']} {item['action']}{suffix}")


@app.command()
def get(
    kind: Annotated[
        str | None, typer.Argument(help="Kind, singular or plural; empty for all.")
    ] = None,
    name: Annotated[str | None, typer.Argument(help="Object name.")] = None,
    selector: Annotated[
        list[str], typer.Option("-l", "--selector", help="Label selector k=v.")
    ] = [],  # noqa: B006
    output: Annotated[
        str, typer.Option("-o", "--output", help="table | wide | yaml | json")
    ] = "table",
) -> None:
    """List objects and their status.

    Example: dockform get containers -o wide
    """
    if output not in ("table", "wide", "yaml", "json"):
        raise fail(f"unknown output {output!r}: use table, wide, yaml or json", 2)
    labels = _selector(selector)
    with daemon_client() as client:
        if kind is None:
            items = [item for kinds in PLURALS.values() for item in client.list(kinds, labels)]
        else:
            canonical, object_name = split_target(kind, name)
            if object_name:
                items = [client.get(plural(canonical), object_name)]
            else:
                items = client.list(plural(canonical), labels)
    single = kind is not None and (name is not None or "/" in (kind or ""))
    if output in ("yaml", "json"):
        views = [manifest_view(item) for item in items]
        value: Any = views[0] if single and views else {"items": views}
        console.print(as_yaml(value) if output == "yaml" else as_json(value), end="")
        return
    if not items:
        err_console.print("No objects found.")
        return
    console.print(resource_table(items, wide=output == "wide"))


@app.command()
def describe(
    target: Annotated[str, typer.Argument(help="KIND/NAME or KIND")],
    name: Annotated[str | None, typer.Argument(help="NAME when KIND is separate.")] = None,
) -> None:
    """Show one object: spec, status, conditions and recent events.

    Example: dockform describe container/web
    """
    kind, object_name = split_target(target, name)
    if not object_name:
        raise fail("describe needs KIND/NAME or KIND NAME", 2)
    with daemon_client() as client:
        item = client.get(plural(kind), object_name)
        events = client.events(kind=kind, name=object_name, limit=20)
    console.print(describe_text(item, events))


@app.command()
def delete(
    target: Annotated[str | None, typer.Argument(help="KIND/NAME or KIND")] = None,
    name: Annotated[str | None, typer.Argument(help="NAME when KIND is separate.")] = None,
    filename: FilesOption = [],  # noqa: B006
) -> None:
    """Delete objects by name or by the manifests that describe them.

    Example: dockform delete container/web   or   dockform delete -f examples/hello/
    """
    keys: list[tuple[str, str]] = []
    if filename:
        keys = [(loaded.kind, loaded.name) for loaded in load_or_exit(filename)]
    elif target:
        kind, object_name = split_target(target, name)
        if not object_name:
            raise fail("delete needs KIND/NAME, KIND NAME or -f PATH", 2)
        keys = [(kind, object_name)]
    else:
        raise fail("delete needs KIND/NAME, KIND NAME or -f PATH", 2)
    with daemon_client() as client:
        for kind, object_name in keys:
            client.delete(plural(kind), object_name)
            console.print(f"{kind.lower()}/{object_name} deleted")


@app.command()
def validate(filename: FilesOption = []) -> None:  # noqa: B006
    """Check manifests offline (no daemon needed).

    Example: dockform validate -f app.yaml
    """
    manifests = load_or_exit(filename)
    for loaded in manifests:
        console.print(f"{loaded.kind.lower()}/{loaded.name} valid ({loaded.file}:{loaded.line})")


@app.command()
def schema() -> None:
    """Print the JSON Schema of manifests (for editors).

    Example: dockform schema > dockform.schema.json
    """
    console.print(json.dumps(json_schema(), indent=2), end="\n")


@app.command()
def version() -> None:
    """Print the client's version and, if reachable, the daemon's.

    Example: dockform version
    """
    console.print(f"client: {VERSION}")
    try:
        with DockformClient() as client:
            console.print(f"daemon: {client.version()['version']}")
    except (DaemonUnreachable, ClientError) as error:
        console.print(f"daemon: unreachable ({str(error).splitlines()[0]})")


def _selector(selectors: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for selector in selectors:
        for part in selector.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key:
                raise fail(f"label selector {part!r} must look like key=value", 2)
            labels[key] = value
    return labels


@app.command()
def daemon(
    home: Annotated[
        str | None, typer.Option(help="State directory (default $DOCKFORM_HOME or ~/.dockform).")
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default sqlite in --home).")
    ] = None,
    listen: Annotated[
        str | None, typer.Option(help="Also serve TCP, e.g. tcp://127.0.0.1:7420 (token required).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Reconcile workers.")] = 4,
    resync: Annotated[float, typer.Option(min=1.0, help="Seconds between full resyncs.")] = 60.0,
    label: Annotated[
        list[str], typer.Option(help="Extra label k=v on every Docker object created.")
    ] = [],  # noqa: B006
    docker_host: Annotated[
        str | None, typer.Option(help="Docker Engine URL (default DOCKER_HOST).")
    ] = None,
) -> None:
    """Run the controller, the sources and the API (unix socket, optional TCP).

    Example: dockform daemon --watch ./manifests
    """
    from cli.daemon import DaemonOptions, run_daemon

    options = DaemonOptions(
        home=home,
        store_url=store,
        listen=listen,
        workers=workers,
        resync_s=resync,
        extra_labels=_selector(label),
        docker_host=docker_host,
    )
    try:
        run_daemon(options)
    except ValueError as error:
        raise fail(str(error), 2) from error


def main() -> None:
    app()
