"""failover-partition: the leader reaches PostgreSQL through a proxy on 127.0.0.1 that the case
cuts (a silent partition: its calls wait for answers that never come); the follower reaches it
directly. The partitioned leader must stop acting before its lease expires on the database's
clock, the follower take over after that, and no container be created in between (nobody may
act then: a container removed by hand at the leader's step-down stays away until the new
leader puts it back)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    Sizes,
    dump,
    figure,
    our_containers,
    reference,
    under,
    wait_for,
    zero,
)
from bench.faultsuite.failover import TAKEOVER_TARGET_S, Ha, base_containers, delete_all, settle
from bench.faultsuite.restart import LiveEvents
from bench.faultsuite.tcp_cut import CuttableProxy
from tests.postgres import Cluster

CASE = "failover-partition"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    rounds = 3 if sizes.mode == "full" else 1
    cluster = Cluster.start(port=free_port())
    database = cluster.new_database()
    proxy = CuttableProxy(cluster.port or 0)
    through_proxy = cluster.tcp_url(database, proxy.port)
    direct = cluster.tcp_url(database)
    names = {f"fo-{index}" for index in range(len(base_containers(CASE)))}
    margins: list[float] = []
    takeovers: list[float] = []
    created_while_nobody_led = 0
    never = 0
    ha = Ha(workdir, CASE, [through_proxy, direct])
    partitioned, other = ha.daemons
    try:
        if not partitioned.start():
            raise RuntimeError(f"the first daemon did not start:\n{partitioned.log_tail()}")
        if ha.wait_leader(30) is None:
            raise RuntimeError("the first daemon never led")
        if not other.start():
            raise RuntimeError(f"the second daemon did not start:\n{other.log_tail()}")
        partitioned.client.apply(dump(base_containers(CASE)))
        if not settle(ha, names, 120):
            raise RuntimeError("the first apply never converged")
        for _ in range(rounds):
            current = ha.leader()
            if current is None or current[0] is not partitioned:
                # Let the partitioned-to-be daemon lead: stop the other until it does.
                other.stop()
                if ha.wait_leader(30) is None:
                    never += 1
                    break
                other.start()
            term = (ha.leader() or (partitioned, 0))[1]
            proxy.cut()
            cut_at = time.time()
            if not wait_for(lambda: _role(ha, partitioned) != "leader", 30, poll_s=0.02):
                never += 1
                proxy.heal()
                continue
            stepped_down_at = time.time()
            expires_at = float(
                cluster.psql("SELECT extract(epoch FROM expires_at) FROM leases", database)
            )
            margins.append(expires_at - stepped_down_at)
            live = LiveEvents(CASE)
            for summary in our_containers(api, CASE, running_only=True)[:1]:
                api.remove_container(summary["Id"], force=True)
            taken = ha.wait_leader(60, newer_than=term)
            taken_at = time.time()
            if taken is None:
                never += 1
            else:
                takeovers.append(taken_at - cut_at)
            counts = live.stop()
            created_while_nobody_led += counts.get("create", 0)
            if not wait_for(
                lambda: len(our_containers(api, CASE, running_only=True)) == len(names), 60, 0.2
            ):
                never += 1
            proxy.heal()
            if not wait_for(lambda: _role(ha, partitioned) == "follower", 60, poll_s=0.1):
                never += 1
        crashed = sum(1 for daemon in ha.daemons if not daemon.alive())
    finally:
        proxy.heal()
        delete_all(ha)
        ha.close()
        proxy.close()
        cluster.stop()
    smallest = round(min(margins), 3) if margins else None
    return {
        "figures": [
            reference("partitions", rounds),
            figure(
                "lease expiry minus the leader's step-down, min",
                smallest,
                "> 0 s",
                None if smallest is None else smallest > 0,
                "s",
            ),
            under(
                "cut to the follower's takeover, max",
                max(takeovers, default=None),
                TAKEOVER_TARGET_S + 5,
            ),
            zero("containers created between step-down and takeover", created_while_nobody_led),
            zero("waits that gave up", never),
            zero("daemons crashed", crashed),
        ],
        "margins_s": [round(margin, 3) for margin in margins],
        "takeovers_s": [round(seconds, 3) for seconds in takeovers],
        "method": (
            "2 daemons on one PostgreSQL store over TCP on 127.0.0.1, the leader through a proxy "
            f"the case cuts ({rounds} times): the leader's /version polled every 20 ms for its "
            "step-down, the lease's expires_at read from the database; a container removed by "
            "hand at the step-down; container create events counted live until the takeover"
        ),
    }


def _role(ha: Ha, daemon: Any) -> str | None:
    lead = ha.leadership(daemon)
    return None if lead is None else str(lead.get("role"))
