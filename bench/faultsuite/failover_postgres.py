"""failover-postgres: two daemons on one PostgreSQL store, under writes through both, while
PostgreSQL restarts (fast shutdown: every session cut). They must ride it out: applies refused
while it is down (503, never acknowledged then lost), a leader again once it is back, a
container removed by hand meanwhile repaired, nothing acknowledged lost."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import Sizes, dump, our_containers, reference, under, wait_for, zero
from bench.faultsuite.failover import (
    Ha,
    Writer,
    base_containers,
    delete_all,
    doubled_and_orphaned,
    settle,
)
from tests.postgres import Cluster

CASE = "failover-postgres"
DAEMONS = 2


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    restarts = 3 if sizes.mode == "full" else 1
    cluster = Cluster.start()
    url = cluster.create_database()
    ha = Ha(workdir, CASE, [url] * DAEMONS)
    writer = Writer(ha, CASE)
    names = {f"fo-{index}" for index in range(len(base_containers(CASE)))}
    back_to_writes: list[float] = []
    back_to_leader: list[float] = []
    repaired: list[float] = []
    never = 0
    try:
        ha.start()
        first = ha.wait_leader(30)
        if first is None:
            raise RuntimeError("no daemon took the lease")
        first[0].client.apply(dump(base_containers(CASE)))
        if not settle(ha, names, 120):
            raise RuntimeError("the first apply never converged")
        writer.start()
        for _ in range(restarts):
            time.sleep(3)
            acked_before = writer.acked
            restarted_at = time.monotonic()
            cluster.restart()
            # Removed by hand while the store was away: the leader must put it back.
            for summary in our_containers(api, CASE, running_only=True)[:1]:
                api.remove_container(summary["Id"], force=True)
            if wait_for(lambda before=acked_before: writer.acked > before, 60, poll_s=0.05):  # type: ignore[misc]
                back_to_writes.append(time.monotonic() - restarted_at)
            else:
                never += 1
            if ha.wait_leader(60) is not None:
                back_to_leader.append(time.monotonic() - restarted_at)
            else:
                never += 1
            if wait_for(
                lambda: len(our_containers(api, CASE, running_only=True)) == len(names), 60, 0.2
            ):
                repaired.append(time.monotonic() - restarted_at)
            else:
                never += 1
        writer.stop()
        settle(ha, names, 60)
        lost = writer.lost(ha.alive()[0])
        doubled, orphaned = doubled_and_orphaned(api, CASE, names)
        crashed = sum(1 for daemon in ha.daemons if not daemon.alive())
    finally:
        writer.stop()
        delete_all(ha)
        ha.close()
        cluster.stop()
    return {
        "figures": [
            reference("PostgreSQL restarts", restarts),
            under("restart to the next acknowledged apply, max", _max(back_to_writes), 30.0),
            under("restart to a leader, max", _max(back_to_leader), 30.0),
            under("restart to the removed container back, max", _max(repaired), 60.0),
            zero("waits that gave up (60 s)", never),
            zero("daemons crashed", crashed),
            zero("acknowledged writes lost", lost),
            zero("containers doubled", doubled),
            zero("containers orphaned", orphaned),
            reference("applies refused while it was down", writer.refused),
        ],
        "writes": {"acknowledged": writer.acked, "refused": writer.refused},
        "method": (
            f"{DAEMONS} daemons on one PostgreSQL store, {len(names)} Containers, a writer "
            f"applying through the followers every 50 ms; {restarts} x `pg_ctl restart -m fast` "
            "with one container removed by hand right after each"
        ),
    }


def _max(samples: list[float]) -> float | None:
    return round(max(samples), 3) if samples else None
