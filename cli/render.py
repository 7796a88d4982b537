"""Rendering for people: resource and event tables, YAML and JSON, describe, spec diffs.

Pure functions from the API's JSON to text; the commands in `cli.main` print what they return.
The consoles never interpret markup or emoji codes: manifests are full of `[...]` and `:x:`.
"""

from __future__ import annotations

import difflib
import json
from datetime import UTC, datetime
from typing import Any

from dockform.cli.output import console, err_console
from dockform.manifests.kinds import Kind
from dockform.manifests.namespaces import DEFAULT_NAMESPACE

__all__ = ["console", "err_console"]  # the consoles the commands print through (cli.output)


def object_ref(kind: str, name: str, namespace: str | None = None) -> str:
    """`container/web`: an object as the CLI prints it and as its commands take it; outside
    the default namespace `container/web -n shop`."""
    if not namespace or namespace == DEFAULT_NAMESPACE:
        return f"{kind.lower()}/{name}"
    return f"{kind.lower()}/{name} -n {namespace}"


def age(timestamp: str | None) -> str:
    if not timestamp:
        return "-"
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "?"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def ready_mark(item: dict[str, Any]) -> str:
    """yes | no; `2/3` for a replicated Container (ready replicas of replicas)."""
    status = item.get("status", {})
    observed = status.get("observed") or {}
    if observed.get("replicas") is not None:
        return f"{observed.get('readyReplicas') or 0}/{observed['replicas']}"
    for condition in status.get("conditions", []):
        if condition.get("type") == "Ready":
            return "yes" if condition.get("status") == "True" else "no"
    return "-"


def _detail(item: dict[str, Any], wide: bool) -> str:
    spec = item.get("spec", {})
    observed = item.get("status", {}).get("observed", {})
    kind = item["kind"]
    if kind == Kind.CONTAINER:
        parts = [spec.get("image", "")]
        ports = _fact(observed, "ports")
        if ports:
            parts.append(",".join(ports))
        rollout = _fact(observed, "rollout") or {}
        if rollout and rollout.get("state") != "Running":
            parts.append(f"rollout={rollout.get('updated')}/{rollout.get('replicas')}")
        container_id = _fact(observed, "containerId", "container_id")
        if wide and container_id:
            parts.append(container_id[:12])
        return " ".join(parts)
    if kind == Kind.IMAGE:
        parts = [spec.get("ref", "")]
        image_id = _fact(observed, "imageId", "image_id")
        if wide and image_id:
            parts.append(image_id[:19])
        return " ".join(parts)
    if kind == Kind.JOB:
        parts = [spec.get("image", "")]
        attempts = _fact(observed, "attempts")
        if attempts:
            parts.append(f"attempts={attempts}")
        exit_code = _fact(observed, "exitCode", "exit_code")
        if exit_code is not None:
            parts.append(f"exit={exit_code}")
        container_id = _fact(observed, "containerId", "container_id")
        if wide and container_id:
            parts.append(container_id[:12])
        return " ".join(parts)
    if kind == Kind.GIT_SOURCE:
        commit = (_fact(observed, "commit") or "")[:12]
        return f"{spec.get('url', '')}@{spec.get('branch', '')} {commit}".strip()
    if kind in (Kind.SECRET, Kind.CONFIG):
        # Where the content came from and its digest: never the content (not even a Config's).
        origin = next((key for key in ("file", "env", "value") if key in spec), "")
        where = f"{origin}:{spec[origin]}" if origin in ("file", "env") else origin
        return f"{where} sha256:{str(spec.get('sha256', ''))[:12]}".strip()
    return ""


def _fact(observed: dict[str, Any], key: str, name: str | None = None) -> Any:
    """One observed fact (`manifests.status`: camelCase keys, or a field name as an older
    status may have it), read straight from the JSON: validating a model per row cost `get`
    of 1000 objects more than the rest of the table."""
    value = observed.get(key)
    if value is None and name is not None:
        value = observed.get(name)
    return value


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, kubectl style: never wrapped, easy to grep."""
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
    lines = [
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def resource_table(
    items: list[dict[str, Any]], wide: bool = False, namespaces: bool = False
) -> str:
    """One row per object; `namespaces` adds a NAMESPACE column (lists across them)."""
    header = ["KIND", "NAME", "PHASE", "READY", "REASON", "DETAIL", "AGE"]
    if namespaces:
        header.insert(0, "NAMESPACE")
    if wide:
        header += ["SOURCE", "GEN"]
    rows: list[list[str]] = []
    for item in items:
        status = item.get("status", {})
        phase = status.get("phase", "-")
        if item.get("deletionRequestedAt"):
            phase = "Terminating"
        detail = _detail(item, wide)
        pin = item.get("pin")
        if pin:  # a rollback holds it against its source (`dockform unpin`)
            detail = f"{detail} pinned@{pin.get('rolledBackTo')}".strip()
        row = [
            item["kind"],
            item["name"],
            phase,
            ready_mark(item),
            status.get("reason") or "-",
            detail,
            age(item.get("createdAt")),
        ]
        if wide:
            row += [item.get("source", ""), str(item.get("generation", ""))]
        if namespaces:
            row.insert(0, item.get("namespace", DEFAULT_NAMESPACE))
        rows.append(row)
    return text_table(header, rows)


def as_yaml(value: Any) -> str:
    import yaml  # here: the commands that print no YAML start quicker

    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True)


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def manifest_view(item: dict[str, Any]) -> dict[str, Any]:
    """The object as a manifest again (what `get -o yaml` shows at the top)."""
    metadata: dict[str, Any] = {"name": item["name"]}
    if item.get("namespace", DEFAULT_NAMESPACE) != DEFAULT_NAMESPACE:
        metadata["namespace"] = item["namespace"]
    if item.get("labels"):
        metadata["labels"] = item["labels"]
    if item.get("annotations"):
        metadata["annotations"] = item["annotations"]
    metadata.update(
        resourceVersion=item.get("resourceVersion"),
        generation=item.get("generation"),
        source=item.get("source"),
        createdAt=item.get("createdAt"),
    )
    return {
        "apiVersion": "dockform/v1",
        "kind": item["kind"],
        "metadata": metadata,
        "spec": item.get("spec", {}),
        "status": item.get("status", {}),
    }


def describe_text(item: dict[str, Any], events: list[dict[str, Any]]) -> str:
    status = item.get("status", {})
    lines = [
        f"Name:         {item['name']}",
        f"Namespace:    {item.get('namespace', DEFAULT_NAMESPACE)}",
        f"Kind:         {item['kind']}",
        f"Source:       {item.get('source', '')}",
        f"Generation:   {item.get('generation')}  (observed {status.get('observedGeneration')})",
        f"Version:      {item.get('resourceVersion')}",
        f"Created:      {item.get('createdAt')}",
        f"Labels:       {_pairs(item.get('labels', {}))}",
        f"Phase:        {status.get('phase')}",
        f"Reason:       {status.get('reason') or '-'}",
        f"Message:      {status.get('message') or '-'}",
    ]
    if item.get("deletionRequestedAt"):
        lines.append(f"Deleting:     since {item['deletionRequestedAt']}")
    pin = item.get("pin")
    if pin:
        lines.append(
            f"Pinned:       rolled back to generation {pin.get('rolledBackTo')}; its source's "
            f"spec (generation {pin.get('sourceGeneration')}) returns with `dockform unpin` or "
            "new content from the source"
        )
    if status.get("lastError"):
        lines.append(f"Last error:   {status['lastError']}")
    if status.get("nextRetryAt"):
        lines.append(f"Next retry:   {status['nextRetryAt']}")
    lines.append("Spec:")
    lines += ["  " + line for line in as_yaml(item.get("spec", {})).rstrip().splitlines()]
    if status.get("observed"):
        lines.append("Observed:")
        lines += ["  " + line for line in as_yaml(status["observed"]).rstrip().splitlines()]
    lines.append("Conditions:")
    lines.append(f"  {'TYPE':<12} {'STATUS':<8} {'REASON':<20} MESSAGE")
    for condition in status.get("conditions", []):
        lines.append(
            f"  {condition['type']:<12} {condition['status']:<8} "
            f"{condition.get('reason', ''):<20} {condition.get('message', '')}"
        )
    lines.append("Events:")
    if not events:
        lines.append("  <none>")
    else:
        lines.append(f"  {'TYPE':<8} {'REASON':<18} {'AGE':<6} {'COUNT':<5} {'PASS':<10} MESSAGE")
    for event in events:
        # PASS: the controller pass that recorded it; `grep` the daemon's log for what it did.
        lines.append(
            f"  {event['type']:<8} {event['reason']:<18} {age(event.get('lastTime')):<6} "
            f"{event.get('count', 1):<5} {event.get('reconcileId') or '-':<10} {event['message']}"
        )
    return "\n".join(lines)


def _pairs(mapping: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(mapping.items())) or "-"


def events_table(events: list[dict[str, Any]], namespaces: bool = False) -> str:
    """One row per event; `namespaces` adds a NAMESPACE column (events of every namespace)."""
    header = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"]
    rows = [event_row(event, with_namespace=not namespaces) for event in events]
    if namespaces:
        header.insert(0, "NAMESPACE")
        for event, row in zip(events, rows, strict=True):
            row.insert(0, event.get("namespace", DEFAULT_NAMESPACE))
    return text_table(header, rows)


def event_row(event: dict[str, Any], with_namespace: bool = True) -> list[str]:
    namespace = event.get("namespace") if with_namespace else None
    target = (
        object_ref(event["kind"], event["name"], namespace) if event.get("name") else event["kind"]
    )
    return [
        age(event.get("lastTime")),
        event.get("type", ""),
        event.get("reason", ""),
        target,
        str(event.get("count", 1)),
        " ".join(str(event.get("message", "")).split()),
    ]


def event_line(event: dict[str, Any]) -> str:
    """One followed event: its time, so a scrolling log reads without a header."""
    when = str(event.get("lastTime", ""))[:19].replace("T", " ")
    _, kind_type, reason, target, _, message = event_row(event)
    return f"{when}  {kind_type:<7}  {reason:<18} {target}: {message}"


def _diff_document(
    spec: dict[str, Any] | None, metadata: dict[str, Any] | None, show_source: bool
) -> list[str]:
    if spec is None:
        return []
    document: dict[str, Any] = {}
    shown = {
        key: value
        for key, value in (metadata or {}).items()
        if value and (key != "source" or show_source)
    }
    if shown:
        document["metadata"] = shown
    document["spec"] = spec
    return as_yaml(document).splitlines(keepends=True)


def spec_diff(item: dict[str, Any]) -> str:
    """The unified diff of one diff result: stored (live) against the manifest.

    A new object is all added, a pruned one all removed. Labels and annotations appear when
    set, the owning source when it changes (a forced take-over).
    """
    old_meta, new_meta = item.get("oldMetadata"), item.get("newMetadata")
    show_source = (
        old_meta is not None
        and new_meta is not None
        and old_meta.get("source") != new_meta.get("source")
    )
    target = object_ref(item["kind"], item["name"], item.get("namespace"))
    lines = difflib.unified_diff(
        _diff_document(item.get("old"), old_meta, show_source),
        _diff_document(item.get("new"), new_meta, show_source),
        fromfile=f"live/{target}" if item.get("old") is not None else "/dev/null",
        tofile=f"manifest/{target}" if item.get("new") is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
