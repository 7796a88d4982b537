"""The pass in progress: its reconcile id (in its log lines and events) and its deadline.

Every pass of the controller gets an id. `reconciling(rid, deadline)` marks the current
thread's context for the duration of a pass; the executor reads `deadline()` before each
action, and `reconcile_id()` reads the id (the manager stamps it on each event it records), and
`ReconcileIdFilter` puts it on every log record as `%(reconcile)s` (" [r-1a2b3c4d]", or ""
outside a pass), so one `grep r-1a2b3c4d` finds what one pass did.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("dockform_reconcile_id", default=None)
_DEADLINE: ContextVar[float | None] = ContextVar("dockform_reconcile_deadline", default=None)


def new_reconcile_id() -> str:
    return f"r-{secrets.token_hex(4)}"


def reconcile_id() -> str | None:
    return _CURRENT.get()


def deadline() -> float | None:
    """The `time.monotonic()` instant by which the current pass should be over, if any."""
    return _DEADLINE.get()


@contextlib.contextmanager
def reconciling(rid: str, until: float | None = None) -> Iterator[str]:
    token = _CURRENT.set(rid)
    deadline_token = _DEADLINE.set(until)
    try:
        yield rid
    finally:
        _DEADLINE.reset(deadline_token)
        _CURRENT.reset(token)


class ReconcileIdFilter(logging.Filter):
    """Adds `reconcile` to every record (install it on the handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = _CURRENT.get()
        record.reconcile = f" [{rid}]" if rid else ""
        return True
