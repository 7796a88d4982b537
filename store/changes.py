"""The change feed of a shared store: a daemon that takes an apply but does not lead tells the
leader which objects changed, through PostgreSQL's LISTEN/NOTIFY.

A notification is sent in its own transaction after the write committed, so the leader never
hears of a change it cannot read yet. Nothing is stored: a leader that was not listening
(reconnecting, just elected) is told so (`deliver(None, [])`) and looks at everything again,
and its periodic resync covers the rest. On SQLite one daemon owns the store, so there is
nobody to tell and `publish` does nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import text

from dockform.store.db import POSTGRES_CONNECT_ARGS
from dockform.store.repository import Store, translated_errors

log = logging.getLogger("dockform.store.changes")

CHANNEL = "dockform_changes"
# PostgreSQL refuses payloads of 8000 bytes or more: keys are sent in chunks below that.
MAX_PAYLOAD = 7000
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 10.0
POLL_S = 1.0

Key = tuple[str, ...]
Deliver = Callable[[list[Any] | None, list[Any]], None]


class ChangeFeed:
    def __init__(self, store: Store, origin: str) -> None:
        self._store = store
        self._origin = origin

    @property
    def active(self) -> bool:
        return self._store.engine.dialect.name == "postgresql"

    def publish(self, keys: Sequence[Sequence[str]], syncs: Sequence[Sequence[str]] = ()) -> None:
        """Tell whoever leads that `keys` changed (and that `syncs` want acting on now)."""
        if not self.active or (not keys and not syncs):
            return
        with translated_errors(self._store.location), self._store.engine.begin() as connection:
            for payload in _payloads(self._origin, keys, syncs):
                connection.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": CHANNEL, "payload": payload},
                )

    def listen(self, stop: threading.Event, deliver: Deliver) -> None:
        """Until `stop`: call `deliver(keys, syncs)` for each notification from another
        daemon, and `deliver(None, [])` after every (re)connection."""
        if not self.active:
            return
        delay = RECONNECT_MIN_S
        while not stop.is_set():
            try:
                self._listen_once(stop, deliver)
                delay = RECONNECT_MIN_S
            except Exception as error:  # any driver failure: reconnect
                log.warning("change feed: %s; reconnecting in %.1f s", error, delay)
                stop.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    def _listen_once(self, stop: threading.Event, deliver: Deliver) -> None:
        import psycopg
        from psycopg.conninfo import make_conninfo

        url = self._store.engine.url.set(drivername="postgresql")
        conninfo = make_conninfo(
            url.render_as_string(hide_password=False),
            **{key: str(value) for key, value in POSTGRES_CONNECT_ARGS.items()},
        )
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            deliver(None, [])
            while not stop.is_set():
                for note in conn.notifies(timeout=POLL_S):
                    parsed = _parse(note.payload)
                    if parsed is None or parsed.get("origin") == self._origin:
                        continue
                    deliver(
                        [tuple(key) for key in parsed.get("keys", [])],
                        [tuple(key) for key in parsed.get("syncs", [])],
                    )
                    if stop.is_set():
                        break


def _payloads(
    origin: str, keys: Sequence[Sequence[str]], syncs: Sequence[Sequence[str]]
) -> list[str]:
    payloads: list[str] = []
    chunk: list[list[str]] = []
    for key in keys:
        candidate = [*chunk, list(key)]
        if chunk and len(json.dumps({"origin": origin, "keys": candidate})) > MAX_PAYLOAD:
            payloads.append(json.dumps({"origin": origin, "keys": chunk}))
            candidate = [list(key)]
        chunk = candidate
    last: dict[str, Any] = {"origin": origin, "keys": chunk}
    if syncs:
        last["syncs"] = [list(sync) for sync in syncs]
    payloads.append(json.dumps(last))
    return payloads


def _parse(payload: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(payload)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
