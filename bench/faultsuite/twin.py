"""twin: a second daemon of the same instance on the same engine, each with a store of its own.

DESIGN.md: one daemon per instance and engine; a second one refuses to start (or follows, on a
shared store). Two that both run see each other's containers as their own and fight over them:
each one's hash differs from the other's, so they replace the container back and forth, and
each garbage-collects what only the other's store holds. The case starts the first daemon with
a few Containers, then a second of the same instance whose store holds the same Containers and
one more, and counts for a while: whether the second refused to start, and the create and
destroy events of the case's containers (0 when only one daemon acts). The daemon holds an
instance lock (`cli/instance_lock.py`) for its whole life, so the second refuses to start; a
lease for daemons that share a PostgreSQL store is the failover issue's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    Sizes,
    container,
    dump,
    our_containers,
    reference,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon, ready
from bench.faultsuite.restart import LiveEvents

CASE = "twin"
CONTAINERS = 3


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    watch_s = 30.0 if sizes.mode == "full" else 10.0
    first = FaultDaemon(workdir / "first", CASE)
    second = FaultDaemon(workdir / "second", CASE, log_path=workdir / "second.log")
    shared = [container(f"twin-{index}", CASE) for index in range(CONTAINERS)]
    try:
        if not first.start():
            raise RuntimeError(f"the first daemon did not start:\n{first.log_tail()}")
        first.client.apply(dump(shared))
        if not wait_for(
            lambda: (
                (items := first.items()) is not None
                and len(items) == CONTAINERS
                and all(ready(item) for item in items)
            ),
            timeout_s=60,
            poll_s=0.5,
        ):
            raise RuntimeError("the first daemon's Containers never became Ready")
        live = LiveEvents(CASE)
        refused = not second.start(timeout_s=20)
        if not refused:
            # Its own store: the same Containers in another version, and one of its own.
            changed = [container(f"twin-{index}", CASE, "2") for index in range(CONTAINERS)]
            second.client.apply(dump([*changed, container("twin-only-second", CASE)]))
        time.sleep(watch_s)
        events = live.stop()
        left = len(our_containers(api, CASE))
    finally:
        for daemon in (second, first):
            if daemon.alive():
                daemon.delete_everything(timeout_s=60)
            daemon.close()
    return {
        "figures": [
            zero("second daemon of the instance started", 0 if refused else 1),
            zero("containers created while both could run", events["create"]),
            zero("containers destroyed while both could run", events["destroy"]),
            reference("containers of the case at the end", left),
        ],
        "events": events,
        "watched_s": watch_s,
        "method": (
            f"{CONTAINERS} Containers Ready on one daemon; a second daemon of the same "
            f"--instance with its own store starts (or refuses), applies the same names in "
            f"another version and one more; container events of the engine from then on for "
            f"{watch_s:.0f} s, read live"
        ),
    }
