"""The engine gate: the controller acts on the engine only while the engine is up.

When dockerd stops, it closes its listener, then stops its containers while the connections
already open (the events stream, kept-alive calls) still work; their `die` events would make
a controller start them again, racing the shutdown, and the half-made tasks then refuse every
later start. So the gate closes (`trip`) when the events stream breaks, when a call finds the
engine unreachable, or when a new connection is refused right before a repair start
(`accepting`); while it is closed, workers of kinds that need the engine wait and the
executor issues no call. A monitor pings the engine over new connections until it answers
again, opens the gate and calls `on_open` (the manager queues everything: events were missed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dockform.runtime.interface import Runtime

log = logging.getLogger("dockform.controller.engine")

PROBE_INTERVAL_S = 0.5


class EngineGate:
    def __init__(self, runtime: Runtime, probe_interval_s: float = PROBE_INTERVAL_S) -> None:
        self._runtime = runtime
        self._probe_interval_s = probe_interval_s
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._monitor: threading.Thread | None = None
        self._stop = threading.Event()
        self.on_open: Callable[[], None] = lambda: None

    def is_open(self) -> bool:
        return self._open.is_set()

    def wait_open(self, timeout_s: float) -> bool:
        return self._open.wait(timeout_s)

    def accepting(self) -> bool:
        """True when the engine takes a new connection now; else the gate closes."""
        if not self.is_open():
            return False
        if self._runtime.accepts_connections():
            return True
        self.trip("the engine refuses new connections (going down?)")
        return False

    def trip(self, why: str) -> None:
        """Close the gate until the engine answers again."""
        with self._lock:
            if not self._open.is_set() or self._stop.is_set():
                return
            self._open.clear()
            log.warning("engine unavailable (%s): no engine calls until it answers again", why)
            self._monitor = threading.Thread(
                target=self._watch, name="dockform-engine-gate", daemon=True
            )
            self._monitor.start()

    def _watch(self) -> None:
        while not self._stop.wait(self._probe_interval_s):
            if self._runtime.ping() and self._runtime.accepts_connections():
                log.info("engine answers again: reconciling everything")
                self._open.set()
                self.on_open()
                return

    def stop(self) -> None:
        self._stop.set()
        self._open.set()  # nobody waits on a gate that will never open
