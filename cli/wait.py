"""`dockform apply --wait`: watch the applied objects until all are Ready, one fails, or time
runs out.

`assess` is the whole decision, a pure function of one object's JSON (unit-tested): an object
is done when its Ready condition is True for the generation just applied (observedGeneration ==
generation), or, for kinds without a Ready condition, its phase is Ready, Running or
Succeeded; it has failed when its phase is Failed for that generation; a pruned object is done
once it is gone. Everything else waits. Polling reads one list per kind every half second; the
API serves those from the store, so waiting never adds load on Docker.

Progress is one line per object: a live table on a terminal, and a line per change otherwise
(logs and CI), so both read well.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.live import Live
from rich.table import Table

from dockform.api.client import DockformClient
from dockform.cli.render import console, err_console, event_row, object_ref
from dockform.manifests.kinds import plural
from dockform.manifests.namespaces import DEFAULT_NAMESPACE

POLL_S = 0.5

Verdict = Literal["ready", "failed", "waiting"]


@dataclass(frozen=True)
class Target:
    kind: str
    name: str
    action: str  # created | configured | unchanged | pruned
    namespace: str = DEFAULT_NAMESPACE

    @property
    def label(self) -> str:
        return object_ref(self.kind, self.name, self.namespace)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    phase: str
    reason: str
    message: str


def _ready_condition(status: dict[str, Any]) -> str | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            return str(condition.get("status"))
    return None


def assess(target: Target, item: dict[str, Any] | None) -> Assessment:
    """Where one object stands; `item` is its API JSON, None when it does not exist."""
    if target.action == "pruned":
        if item is None:
            return Assessment("ready", "Deleted", "", "")
        return Assessment("waiting", "Terminating", "Terminating", "waiting for deletion")
    if item is None:
        return Assessment("waiting", "Unknown", "NotFound", "not in the store (deleted?)")
    status = item.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or "")
    generation = int(item.get("generation") or 0)
    if int(status.get("observedGeneration") or 0) < generation:
        return Assessment(
            "waiting", phase, "NotObserved", f"waiting for the controller (generation {generation})"
        )
    if item.get("deletionRequestedAt"):
        return Assessment("waiting", "Terminating", reason, message)
    if phase == "Failed":
        return Assessment("failed", phase, reason, message)
    ready = _ready_condition(status)
    if ready == "True" or (ready is None and phase in ("Ready", "Running", "Succeeded")):
        return Assessment("ready", phase, reason, message)
    return Assessment("waiting", phase, reason, message)


Snapshot = dict[tuple[str, str, str], Assessment]


def _snapshot(client: DockformClient, targets: Sequence[Target]) -> Snapshot:
    kinds = sorted({target.kind for target in targets})
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kind in kinds:
        # One list across namespaces per kind, whatever namespaces the targets are in.
        for item in client.list(plural(kind), namespace=None):
            found[(item["kind"], item.get("namespace", DEFAULT_NAMESPACE), item["name"])] = item
    return {target.key: assess(target, found.get(target.key)) for target in targets}


def _table(targets: Sequence[Target], snapshot: Snapshot, elapsed: float) -> Table:
    rows = [
        (target.label, state.verdict, state.phase, state.reason, state.message)
        for target in targets
        for state in [snapshot[target.key]]
    ]
    table = Table(box=None, title=f"waiting for {len(targets)} object(s), {elapsed:.0f}s")
    for index, column in enumerate(("OBJECT", "STATE", "PHASE", "REASON")):
        # Short columns keep their width; only the message gives way on a narrow terminal.
        width = max(len(column), *(len(row[index]) for row in rows))
        table.add_column(column, no_wrap=True, min_width=width)
    table.add_column("MESSAGE", no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


def _line(target: Target, state: Assessment) -> str:
    detail = ": ".join(part for part in (state.reason, state.message) if part)
    return f"{target.label}: {state.verdict}, {state.phase}" + (f" ({detail})" if detail else "")


def wait_for(
    client: DockformClient,
    targets: Sequence[Target],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Show progress until every target is ready (True), or one fails or time runs out (False,
    after printing why and the last events of the objects concerned)."""
    if not targets:
        return True
    started = clock()
    printed: Snapshot = {}
    live = (
        Live(console=console.rich, auto_refresh=False, transient=False)
        if console.is_terminal
        else None
    )
    try:
        if live is not None:
            live.start()
        while True:
            snapshot = _snapshot(client, targets)
            elapsed = clock() - started
            if live is not None:
                live.update(_table(targets, snapshot, elapsed), refresh=True)
            else:
                for target in targets:
                    state = snapshot[target.key]
                    if printed.get(target.key) != state:
                        console.print(_line(target, state))
                printed = snapshot
            failed = [t for t in targets if snapshot[t.key].verdict == "failed"]
            if failed:
                _explain(client, failed, snapshot, "failed")
                return False
            if all(state.verdict == "ready" for state in snapshot.values()):
                if live is not None:
                    live.stop()
                    live = None
                console.print(f"all {len(targets)} object(s) ready after {elapsed:.0f}s")
                return True
            if elapsed >= timeout_s:
                waiting = [t for t in targets if snapshot[t.key].verdict != "ready"]
                _explain(client, waiting, snapshot, f"not ready after {timeout_s:g}s")
                return False
            sleep(POLL_S)
    finally:
        if live is not None:
            live.stop()


def _explain(
    client: DockformClient, targets: Sequence[Target], snapshot: Snapshot, what: str
) -> None:
    for target in targets:
        state = snapshot[target.key]
        err_console.print(f"error: {target.label} {what}: {state.phase}, {state.reason}")
        if state.message:
            err_console.print(f"  {state.message}")
        events = client.events(kind=target.kind, name=target.name, limit=5)
        if events:
            err_console.print("  last events:")
        for event in events:
            when, type_, reason, _, count, message = event_row(event)
            times = f" (x{count})" if count != "1" else ""
            err_console.print(f"    {when:>4} ago  {type_:<7} {reason}: {message}{times}")
