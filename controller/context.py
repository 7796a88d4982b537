"""What every reconciler is handed (`ReconcileContext`), and what it offers (`Reconciler`).

A reconciler observes (one snapshot through `runtime/` and the store), decides with a pure
`plan(desired, observed)`, has the shared executor (`controller.executor`) carry the plan
out, and describes the result: an `Outcome` (the status it observed, the events it wants
recorded, and an optional `requeue_after` for polling). It never writes the store and never
retries: it raises `controller.errors.TransientError` / `TerminalError` and the manager owns
that policy, as in controller-runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dockform.controller.container_files import ContainerFiles
from dockform.controller.engine_gate import EngineGate
from dockform.controller.executor import Executor
from dockform.controller.expectations import Expectations
from dockform.controller.git import GitSyncer
from dockform.controller.nudges import Nudges
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.runtime.interface import Runtime
from dockform.settings import ControllerSettings, HostAccessSettings
from dockform.store.repository import Store
from dockform.store.types import Resource
from dockform.store.vault import Vault


class Reconciler(Protocol):
    def reconcile(self, resource: Resource) -> Outcome: ...

    def delete(self, resource: Resource) -> DeleteOutcome: ...

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        """Remove managed runtime objects of this kind that no resource owns."""
        ...


@dataclass
class ReconcileContext:
    """What the daemon hands every reconciler: the store (desired state and others' status),
    the runtime (observe), the executor (act), and the controller's own bookkeeping."""

    store: Store
    runtime: Runtime
    settings: ControllerSettings = field(default_factory=ControllerSettings)
    # Engine events the reconcilers caused and observed already; the manager drops them.
    expectations: Expectations = field(default_factory=Expectations)
    # One-shot "act now" requests (a webhook asking a GitSource to fetch).
    nudges: Nudges = field(default_factory=Nudges)
    # What manifests may reach on the host: checked again just before the engine uses a path.
    host_access: HostAccessSettings = field(default_factory=HostAccessSettings)
    # The git work of GitSources (sources.git.GitSync); None when the daemon has no git.
    git: GitSyncer | None = None
    # Daemons sharing a store: whether this one may act now (it holds the lease); None alone.
    leading: Callable[[], bool] | None = None
    # The daemon's secret key (store.vault), and the files containers mount from the host
    # (Secrets and Configs); None: containers that mount any wait, saying why.
    vault: Vault | None = None
    files: ContainerFiles | None = None
    # Closed while the engine is down or going down: no engine call is made meanwhile.
    gate: EngineGate = field(init=False)
    executor: Executor = field(init=False)

    def __post_init__(self) -> None:
        self.gate = EngineGate(self.runtime, self.settings.engine_probe_s)
        self.executor = Executor(
            self.runtime,
            self.expectations,
            self.git,
            gate=self.gate,
            leading=self.leading,
            files=self.files,
        )
