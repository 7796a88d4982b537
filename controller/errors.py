"""What a reconcile may raise, and what the manager does about it (the one retry rule).

    ReconcileError
    ├── TransientError   retry: the key is queued again after its per-key backoff
    │                    (the engine failed or is busy, an object is in flux, a timeout)
    └── TerminalError    stop: status Failed, no retry until the resource changes (or the
                         next resync finds the world changed): a bad build, a refused request

`runtime.errors.RuntimeFailure` never reaches the manager from a plan: the executor
(`controller.executor`) classifies it into one of these at one place. Reconcilers raise them
directly for failures of their own (a build context that is gone, an invalid interval).
"""

from __future__ import annotations

from dockform.manifests.status import Reason


class ReconcileError(Exception):
    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason = reason


class TransientError(ReconcileError):
    """Retry later with backoff (engine busy, a dependency in flux)."""

    def __init__(self, message: str, reason: Reason = Reason.ENGINE_ERROR) -> None:
        super().__init__(message, reason)


class TerminalError(ReconcileError):
    """Retrying will not help until the desired state or the host changes."""
