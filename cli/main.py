"""`dockform`: apply, diff, get, describe, delete, events, logs, validate, convert, schema, daemon,
token, version.

Commands that read or change state talk to the daemon through `api.client` (`DOCKFORM_HOST`,
`DOCKFORM_TOKEN`); `validate`, `convert` and `schema` work offline. Exit codes: 0 success,
1 failure, 2 usage or invalid input; `diff` follows kubectl: 0 no differences, 1 differences,
2 error.

Startup stays light (bench/cli_speed: `dockform version` under 0.15 s): nothing here imports
Docker, SQLAlchemy, pydantic, httpx or rich. The manifest models load only in the commands
that validate (`validate`, `schema`, `delete -f`, and `apply`/`diff` when the daemon refuses
the manifests or cannot be reached, to say why with file and line); `daemon` and
`apply --wait` import what they need when they run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from dockform import __version__
from dockform.api.client import ClientError, DaemonUnreachable, DockformClient
from dockform.cli import history_cmd
from dockform.cli.convert_cmd import convert
from dockform.cli.inputs import (
    Document,
    Origin,
    apply_roots,
    documents_text,
    issue_text,
    localise,
    manifests_text,
    origins_by_number,
    plain_text,
    quick_read,
    read_manifests,
)
from dockform.cli.namespaces_cmd import print_namespaces
from dockform.cli.params import install as install_plain_params
from dockform.cli.render import (
    as_json,
    as_yaml,
    console,
    describe_text,
    err_console,
    event_line,
    events_table,
    manifest_view,
    object_ref,
    resource_table,
    spec_diff,
)
from dockform.cli.sources_cmd import is_sources, print_sources
from dockform.manifests import source_names
from dockform.manifests.errors import ManifestError
from dockform.manifests.kinds import PLURALS, UnknownKindError, canonical_kind, plural
from dockform.manifests.labels import LabelSyntaxError, parse_labels
from dockform.manifests.namespaces import DEFAULT_NAMESPACE
from dockform.manifests.units import parse_duration

if TYPE_CHECKING:
    from dockform.manifests.loader import LoadedManifest

install_plain_params()

app = typer.Typer(
    name="dockform",
    help="Desired state for Docker hosts: apply YAML manifests, dockform keeps them running.\n\n"
    "The daemon is found through DOCKFORM_HOST (default unix://$DOCKFORM_HOME/dockform.sock; "
    "or https://HOST:PORT with DOCKFORM_TOKEN, and DOCKFORM_TLS_CA for a certificate of "
    "your own CA).\n\n"
    "Example: dockform apply -f examples/hello/ --wait",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _complete_target(incomplete: str) -> list[str]:
    """Kinds, and after `kind/` the names the daemon knows (quietly nothing if it is down)."""
    kind_text, sep, prefix = incomplete.partition("/")
    if not sep:
        return [f"{kind.lower()}/" for kind in PLURALS if kind.lower().startswith(incomplete)]
    try:
        kind = canonical_kind(kind_text)
        with DockformClient(timeout=2.0) as client:
            names = [item["name"] for item in client.list(plural(kind))]
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [f"{kind_text}/{name}" for name in names if name.startswith(prefix)]


FilesOption = Annotated[
    list[str],
    typer.Option(
        "-f",
        "--filename",
        metavar="PATH",
        help="A file, a directory (recursive *.yaml/*.yml) or - for stdin; repeat for more.",
    ),
]
SourceOption = Annotated[
    str,
    typer.Option(
        help=f"Who applies: {source_names.DESCRIPTION}; --prune only touches its objects."
    ),
]
PruneOption = Annotated[
    bool, typer.Option("--prune", help="Delete this source's objects that are not in PATH.")
]
AllowEmptyOption = Annotated[
    bool, typer.Option("--allow-empty", help="Let --prune delete every object of the source.")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Take over objects owned by another source.")
]
NamespaceOption = Annotated[
    str,
    typer.Option(
        "-n",
        "--namespace",
        metavar="NAMESPACE",
        help="The namespace of the objects named here.",
        envvar="DOCKFORM_NAMESPACE",
    ),
]
AllNamespacesOption = Annotated[
    bool,
    typer.Option("-A", "--all-namespaces", help="Every namespace (adds a NAMESPACE column)."),
]
TargetArgument = Annotated[
    str, typer.Argument(help="KIND/NAME, or KIND", autocompletion=_complete_target)
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"error: {message}")
    return typer.Exit(code)


@contextmanager
def daemon_client(
    manifests: Sequence[Origin] | Callable[[], Sequence[Origin]] = (),
    error_code: int | None = None,
    check: Callable[[], object] | None = None,
) -> Iterator[DockformClient]:
    """A client, with the daemon's errors turned into messages and exit codes.

    Issues about the request body are printed against the user's own files (`manifests`, or
    a function that finds them when needed).
    `error_code` replaces the usual 1 / 2 (diff answers 2 for every error). `check`, when the
    manifests were sent unvalidated, validates them before an error is reported: invalid
    manifests are reported (and exit 2) as if they had been checked before sending.
    """
    try:
        with DockformClient() as client:
            yield client
    except DaemonUnreachable as error:
        if check is not None:
            check()
        raise fail(str(error), error_code or 1) from error
    except ClientError as error:
        if check is not None and error.status in (400, 422):
            check()
        origins = manifests() if callable(manifests) else manifests
        for issue in localise(error.issues, origins):
            if issue.get("file") or issue.get("path"):
                err_console.print(issue_text(issue))
        message = error.message.splitlines()[0] if error.issues else error.message
        message += f" (HTTP {error.status})"
        if error.status == 401:
            message += (
                "\nset DOCKFORM_TOKEN to the daemon's token (the file $DOCKFORM_HOME/token on "
                "its host)"
            )
        code = 2 if error.status in (400, 413, 415, 422) else 1
        raise fail(message, error_code or code) from error
    except ValueError as error:  # DOCKFORM_HOST malformed
        if check is not None:
            check()
        raise fail(str(error), 2) from error


def load_or_exit(paths: list[str], stdin: TextIO | None = None) -> list[LoadedManifest]:
    if not paths:
        raise fail("no manifests given: use -f FILE, -f DIR or -f -", 2)
    try:
        return read_manifests(paths, stdin)
    except ManifestError as error:
        for issue in error.issues:
            err_console.print(str(issue))
        raise fail(
            f"{len(error.issues)} problem(s) in the manifests; nothing was applied", 2
        ) from error
    except OSError as error:
        raise fail(str(error), 2) from error


def split_target(target: str, name: str | None) -> tuple[str, str | None]:
    """`container/web`, `container web` or `containers` -> (Kind, name or None)."""
    kind_text, sep, slash_name = target.partition("/")
    try:
        kind = canonical_kind(kind_text)
    except UnknownKindError as error:
        raise fail(str(error), 2) from error
    if sep and name:
        raise fail(f"give KIND/NAME or KIND NAME, not both ({target} {name})", 2)
    return kind, (slash_name if sep else name) or None


def _labels(texts: list[str], what: str) -> dict[str, str]:
    try:
        return parse_labels(texts, what)
    except LabelSyntaxError as error:
        raise fail(str(error), 2) from error


# --- apply and diff


@app.command()
def apply(
    filename: FilesOption = [],  # noqa: B006 - typer reads the default
    prune: PruneOption = False,
    allow_empty: AllowEmptyOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    force: ForceOption = False,
    source: SourceOption = source_names.CLI,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Show progress until every object is Ready (or one fails)."),
    ] = False,
    timeout: Annotated[
        str, typer.Option(help="With --wait: give up after this long (120s, 2m, 1m30s).")
    ] = "120s",
) -> None:
    """Create or update objects from manifests, all or nothing.

    Prints each object's result: created, configured, unchanged or pruned.

    Example: dockform apply -f examples/hello/ --wait --timeout 2m
    """
    timeout_s = _timeout(timeout) if wait else 0.0
    manifests, text, check = _request_body(filename)
    with daemon_client(manifests, check=check) as client:
        result = client.apply(
            text,
            dry_run=dry_run,
            prune=prune,
            allow_empty=allow_empty,
            force=force,
            source=source,
            roots=apply_roots(filename),
        )
        suffix = " (dry run)" if dry_run else ""
        for item in result["results"]:
            ref = object_ref(item["kind"], item["name"], item.get("namespace"))
            console.print(f"{ref} {item['action']}{suffix}")
        if not wait or dry_run:
            return
        from dockform.cli.wait import Target, wait_for

        targets = [
            Target(
                item["kind"], item["name"], item["action"], item.get("namespace", DEFAULT_NAMESPACE)
            )
            for item in result["results"]
        ]
        if not wait_for(client, targets, timeout_s):
            raise typer.Exit(1)


def _request_body(
    paths: list[str],
) -> tuple[Sequence[Origin] | Callable[[], Sequence[Origin]], str, Callable[[], object] | None]:
    """The manifests of `paths` as the body of apply or diff, where each came from, and how to
    validate them if the daemon refuses them. A single file with no host path in it goes as
    it is (`inputs.plain_text`); else the files are read quickly (`inputs.quick_read`) when
    they read as plain YAML mappings, and validated here first otherwise (exit 2 if invalid)."""
    if not paths:
        raise fail("no manifests given: use -f FILE, -f DIR or -f -", 2)
    text = plain_text(paths)
    if text is not None:
        return lambda: origins_by_number(paths), text, lambda: load_or_exit(paths)
    quick = quick_read(paths)
    documents: list[Document] | None = quick.documents
    if documents is None:
        manifests = load_or_exit(paths, quick.stdin_again())
        return manifests, manifests_text(manifests), None
    return documents, documents_text(documents), lambda: load_or_exit(paths, quick.stdin_again())


def _timeout(text: str) -> float:
    try:
        return parse_duration(text, "timeout")
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--timeout") from error


@app.command()
def diff(
    filename: FilesOption = [],  # noqa: B006
    prune: PruneOption = False,
    allow_empty: AllowEmptyOption = False,
    force: ForceOption = False,
    source: SourceOption = source_names.CLI,
) -> None:
    """Show what apply would change, as a unified diff of each changed object.

    Exit code 0: no differences, 1: differences, 2: error (as kubectl diff).

    Example: dockform diff -f examples/hello/
    """
    manifests, text, check = _request_body(filename)  # exits 2 on invalid manifests
    with daemon_client(manifests, error_code=2, check=check) as client:
        result = client.diff(
            text,
            prune=prune,
            allow_empty=allow_empty,
            force=force,
            source=source,
            roots=apply_roots(filename),
        )
    changed = [item for item in result["results"] if item["action"] != "unchanged"]
    for item in changed:
        text = spec_diff(item)
        if not text:  # configured with identical spec and metadata shown: say what it is
            ref = object_ref(item["kind"], item["name"], item.get("namespace"))
            text = f"# {ref}: {item['action']}\n"
        _print_diff(text)
    if changed:
        raise typer.Exit(1)


def _print_diff(text: str) -> None:
    if not console.is_terminal:
        console.print(text, end="")
        return
    from rich.text import Text

    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in text.splitlines():
        style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1], "")
        console.print(Text(line, style=style))


# --- reading state


@app.command()
def get(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="Kind (singular or plural, any case) or KIND/NAME; empty for all.",
            autocompletion=_complete_target,
        ),
    ] = None,
    name: Annotated[str | None, typer.Argument(help="Object name.")] = None,
    selector: Annotated[
        list[str], typer.Option("-l", "--selector", metavar="K=V", help="Label selector.")
    ] = [],  # noqa: B006
    output: Annotated[
        str, typer.Option("-o", "--output", help="table | wide | yaml | json")
    ] = "table",
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    all_namespaces: AllNamespacesOption = False,
) -> None:
    """List objects and their status; `get namespaces` counts each namespace's by phase.

    Example: dockform get containers -l app=web -o wide   or   dockform get containers -A
    """
    if output not in ("table", "wide", "yaml", "json"):
        raise fail(f"unknown output {output!r}: use table, wide, yaml or json", 2)
    labels = _labels(selector, "label selector")
    if is_sources(kind):  # `get sources`: not a kind, the sources that applied objects
        with daemon_client() as client:
            print_sources(client.sources(), name, output)
        return
    if _is_namespaces(kind):
        with daemon_client() as client:
            print_namespaces(client.namespaces(), name, output)
        return
    single = False
    listed: str | None = None if all_namespaces else namespace
    with daemon_client() as client:
        if kind is None:
            items = [
                item for kinds in PLURALS.values() for item in client.list(kinds, labels, listed)
            ]
        else:
            canonical, object_name = split_target(kind, name)
            single = object_name is not None
            if object_name:
                items = [client.get(plural(canonical), object_name, namespace)]
            else:
                items = client.list(plural(canonical), labels, listed)
    if output in ("yaml", "json"):
        views = [manifest_view(item) for item in items]
        value: Any = views[0] if single and views else {"items": views}
        console.print(as_yaml(value) if output == "yaml" else as_json(value), end="")
        if output == "json":
            console.print()
        return
    if not items:
        err_console.print("No objects found.")
        return
    console.print(resource_table(items, wide=output == "wide", namespaces=all_namespaces))


@app.command()
def describe(
    target: TargetArgument,
    name: Annotated[str | None, typer.Argument(help="NAME when KIND is separate.")] = None,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
) -> None:
    """Show one object: spec, status, conditions and recent events.

    Example: dockform describe container/web -n shop
    """
    kind, object_name = split_target(target, name)
    if not object_name:
        raise fail("describe needs KIND/NAME or KIND NAME", 2)
    with daemon_client() as client:
        item = client.get(plural(kind), object_name, namespace)
        events = client.events(kind=kind, name=object_name, limit=20, namespace=namespace)
    console.print(describe_text(item, events))


@app.command()
def events(
    target: Annotated[
        str | None,
        typer.Argument(help="KIND/NAME or KIND to filter on.", autocompletion=_complete_target),
    ] = None,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new events (Ctrl-C stops).")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many recent events.")] = 50,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    all_namespaces: AllNamespacesOption = False,
) -> None:
    """Show recent events, oldest first; -f follows new ones as they happen.

    KIND/NAME filters on one object; source/NAME on a watched file (source/dir:app.yaml).

    Example: dockform events -f container/web
    """
    kind, name = _event_target(target)
    scope: str | None = None if all_namespaces else namespace
    with daemon_client() as client:
        if not follow:
            found = client.events(kind=kind, name=name, limit=limit, namespace=scope)
            if not found:
                err_console.print("No events.")
                return
            console.print(events_table(found, namespaces=all_namespaces))
            return
        try:
            for event in client.follow_events(kind=kind, name=name, limit=limit, namespace=scope):
                console.print(event_line(event))
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def _event_target(target: str | None) -> tuple[str | None, str | None]:
    """KIND/NAME or KIND to filter events on; `source/dir:app.yaml` names a watched file."""
    if not target:
        return None, None
    kind_text, sep, name = target.partition("/")
    if is_sources(kind_text):
        return "Source", (name if sep else None) or None
    return split_target(target, None)


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help="Container name, container/NAME or job/NAME.")],
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep streaming new output (Ctrl-C stops).")
    ] = False,
    tail: Annotated[
        int | None, typer.Option(min=0, help="Only the last N lines.", show_default="all")
    ] = None,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
) -> None:
    """Print a Container's or a Job's output (stdout and stderr).

    Example: dockform logs web -f --tail 20; dockform logs job/migrate
    """
    kinds = "containers"
    if "/" in name:
        kind, object_name = split_target(name, None)
        if kind not in ("Container", "Job") or not object_name:
            raise fail("logs takes a Container name or job/NAME, e.g. `dockform logs web`", 2)
        name, kinds = object_name, plural(kind)
    out = sys.stdout.buffer
    with daemon_client() as client:
        try:
            for chunk in client.logs(
                name, tail=tail, follow=follow, namespace=namespace, kinds=kinds
            ):
                out.write(chunk)
                out.flush()
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:  # `dockform logs web | head`
            raise typer.Exit(0) from None


# --- changing state


@app.command()
def delete(
    target: Annotated[
        str | None,
        typer.Argument(help="KIND/NAME or KIND", autocompletion=_complete_target),
    ] = None,
    name: Annotated[str | None, typer.Argument(help="NAME when KIND is separate.")] = None,
    filename: FilesOption = [],  # noqa: B006
    ignore_not_found: Annotated[
        bool, typer.Option("--ignore-not-found", help="An absent object is not an error.")
    ] = False,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
) -> None:
    """Delete objects by name or by the manifests that describe them (each in its own
    namespace); `delete namespace NAME` deletes every object of a namespace, in reverse
    dependency order, Volumes by their reclaimPolicy.

    Example: dockform delete container/web   or   dockform delete -f app/   or
    dockform delete namespace shop
    """
    if filename and target:
        raise fail("give KIND/NAME or -f PATH, not both", 2)
    if target and _is_namespaces(target.partition("/")[0]):
        _delete_namespace(target.partition("/")[2] or name, ignore_not_found)
        return
    if filename:
        keys = [(loaded.kind, loaded.name, loaded.namespace) for loaded in load_or_exit(filename)]
    elif target:
        kind, object_name = split_target(target, name)
        if not object_name:
            raise fail("delete needs KIND/NAME, KIND NAME or -f PATH", 2)
        keys = [(kind, object_name, namespace)]
    else:
        raise fail("delete needs KIND/NAME, KIND NAME or -f PATH", 2)
    missing = 0
    with daemon_client() as client:
        for kind, object_name, object_namespace in keys:
            ref = object_ref(kind, object_name, object_namespace)
            try:
                client.delete(plural(kind), object_name, object_namespace)
            except ClientError as error:
                if error.status != 404:
                    raise
                if not ignore_not_found:
                    err_console.print(f"error: {ref} not found")
                    missing += 1
                continue
            console.print(f"{ref} deleted")
    if missing:
        raise typer.Exit(1)


def _is_namespaces(word: str | None) -> bool:
    return word is not None and word.strip().lower() in ("namespace", "namespaces", "ns")


def _delete_namespace(namespace: str | None, ignore_not_found: bool) -> None:
    if not namespace:
        raise fail("delete namespace needs a NAME: dockform delete namespace shop", 2)
    with daemon_client() as client:
        try:
            accepted = client.delete_namespace(namespace)
        except ClientError as error:
            if error.status != 404:
                raise
            if ignore_not_found:
                return
            raise fail(f"namespace {namespace} not found (or empty)") from None
    for ref in accepted["objects"]:
        kind, _, object_name = ref.partition("/")
        console.print(f"{object_ref(kind, object_name, namespace)} deleting")
    console.print(f"namespace/{namespace} deleting ({len(accepted['objects'])} objects)")


# --- offline


@app.command()
def validate(filename: FilesOption = []) -> None:  # noqa: B006
    """Check manifests offline (no daemon needed): every problem with file, line and field.

    Host-access settings are valid, but are listed as warnings: a daemon refuses them unless
    it runs with --allow-host-access.

    Example: dockform validate -f app.yaml
    """
    manifests = load_or_exit(filename)
    for loaded in manifests:
        ref = object_ref(loaded.kind, loaded.name, loaded.namespace)
        console.print(f"{ref} valid ({loaded.file}:{loaded.line})")
    from dockform.manifests.policy import host_access_issues

    for issue in host_access_issues(manifests, _texts(manifests), apply_roots(filename)):
        err_console.print(f"warning: {issue}")


def _texts(manifests: Sequence[LoadedManifest]) -> dict[str, str]:
    texts = {}
    for file in {loaded.file for loaded in manifests}:
        try:
            with open(file, encoding="utf-8-sig") as handle:
                texts[file] = handle.read()
        except (OSError, UnicodeDecodeError):
            continue
    return texts


app.command()(convert)
app.command()(history_cmd.history)
app.command()(history_cmd.rollback)
app.command()(history_cmd.unpin)
app.command()(history_cmd.scale)
app.command()(history_cmd.explain)


@app.command()
def schema() -> None:
    """Print the JSON Schema of manifests (for editors).

    Example: dockform schema > dockform.schema.json
    """
    from dockform.manifests.schema import json_schema

    console.print(json.dumps(json_schema(), indent=2), end="\n")


@app.command()
def version() -> None:
    """Print the client's version and, if reachable, the daemon's.

    Example: dockform version
    """
    console.print(f"client: {__version__}")
    try:
        with DockformClient() as client:
            answer = client.version()
            console.print(f"daemon: {answer['version']}")
            console.print(f"engine: {answer.get('engine', 'engine')}")
            lead = answer.get("leadership") or {}
            if lead.get("role") in ("leader", "follower"):
                console.print(
                    f"leader: {lead.get('leader') or 'none yet'} (term {lead.get('term')}); "
                    f"this daemon {lead.get('holder')} is the {lead['role']}"
                )
    except (DaemonUnreachable, ClientError, ValueError) as error:
        console.print(f"daemon: unreachable ({str(error).splitlines()[0]})")


@app.command()
def daemon(
    home: Annotated[
        str | None, typer.Option(help="State directory (default $DOCKFORM_HOME or ~/.dockform).")
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default sqlite in --home).")
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option(
            help="Also serve TCP, e.g. tcp://127.0.0.1:7420, with the bearer token in "
            "$DOCKFORM_HOME/token (made at first start; `dockform token rotate` replaces it). "
            "Plain HTTP unless --tls-cert/--tls-key: off loopback, give them."
        ),
    ] = None,
    tls_cert: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="With --listen: serve HTTPS with this PEM certificate."),
    ] = None,
    tls_key: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="With --tls-cert: the certificate's PEM private key."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Reconcile workers.")] = 8,
    resync: Annotated[float, typer.Option(min=1.0, help="Seconds between full resyncs.")] = 60.0,
    label: Annotated[
        list[str],
        typer.Option(metavar="K=V", help="Extra label on every Docker object created."),
    ] = [],  # noqa: B006
    docker_host: Annotated[
        str | None, typer.Option(help="Docker Engine URL (default DOCKER_HOST).")
    ] = None,
    instance: Annotated[
        str,
        typer.Option(
            help="Instance name, stamped on every Docker object as io.dockform.instance; a "
            "daemon sees and garbage-collects only its own instance's objects.",
        ),
    ] = "default",
    allow_host_access: Annotated[
        bool,
        typer.Option(
            "--allow-host-access",
            help="Accept manifests with host access: privileged, hostNetwork/PID/IPC, the "
            "network host, and host paths anywhere (refused by default).",
        ),
    ] = False,
    host_path_root: Annotated[
        list[str],
        typer.Option(
            metavar="DIR",
            help="Host directory every manifest may name in hostPath, Volume bind devices, "
            "build contexts, load paths and local git urls, besides its own; repeatable.",
        ),
    ] = [],  # noqa: B006
    watch: Annotated[
        list[str],
        typer.Option(
            metavar="DIR",
            help="Apply every *.yaml/*.yml below DIR, each file its own source; repeatable.",
        ),
    ] = [],  # noqa: B006
    rescan: Annotated[
        float, typer.Option(min=1.0, help="Seconds between full rescans of --watch DIRs.")
    ] = 30.0,
    engine: Annotated[
        str,
        typer.Option(
            help="engine: one Docker Engine's containers; swarm: Swarm services on a manager "
            "(a Container is a service, a Network an overlay); auto: swarm when the engine "
            "is a Swarm manager, else engine.",
            metavar="engine|swarm|auto",
        ),
    ] = "engine",
    registry: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            help="With Swarm: push built images there (as HOST:PORT/ref) and run services "
            "from it, so every node can pull them.",
        ),
    ] = None,
) -> None:
    """Run the controller, the sources and the API (unix socket, optional TCP) until SIGTERM.

    Example: dockform daemon --watch ./manifests --listen tcp://127.0.0.1:7420
    """
    from dockform.cli.daemon import DaemonOptions, run_daemon
    from dockform.cli.instance_lock import InstanceTaken

    options = DaemonOptions(
        home=home,
        store_url=store,
        listen=listen,
        workers=workers,
        resync_s=resync,
        extra_labels=_labels(label, "--label"),
        docker_host=docker_host,
        instance=instance,
        allow_host_access=allow_host_access,
        host_path_roots=list(host_path_root),
        watch=list(watch),
        rescan_s=rescan,
        tls_cert=tls_cert,
        tls_key=tls_key,
        engine=engine,
        registry=registry,
    )
    try:
        run_daemon(options)
    except ValueError as error:
        raise fail(str(error), 2) from error
    except InstanceTaken as error:
        raise fail(str(error), 1) from error


token_app = typer.Typer(
    help="The TCP listener's bearer token ($DOCKFORM_HOME/token on the daemon's host).\n\n"
    "Both commands talk to the daemon on its unix socket: run them on its host.",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")


@token_app.command("rotate")
def token_rotate(
    show: Annotated[bool, typer.Option("--show", help="Also print the new token.")] = False,
) -> None:
    """Replace the token now, without a restart: TCP clients need the new one from now on.

    Example: DOCKFORM_TOKEN=$(dockform token rotate --show) dockform get
    """
    with daemon_client() as client:
        path = client.rotate_token()["path"]
        err_console.print(f"token rotated: the new one is in {path}")
        if show:
            console.print(client.token()["token"])


@token_app.command("show")
def token_show() -> None:
    """Print the token TCP clients must send (as DOCKFORM_TOKEN).

    Example: export DOCKFORM_TOKEN=$(dockform token show)
    """
    with daemon_client() as client:
        console.print(client.token()["token"])


def main() -> None:
    app()
