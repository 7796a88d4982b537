"""stores: the api and noop cases again on a PostgreSQL store, beside SQLite's in the same run.

PostgreSQL is a throwaway cluster of the run's own (tests/postgres.py: initdb in a temporary
directory, a unix socket, fsync off as a test cluster is): what is compared is the daemon's
store path (SQLAlchemy, psycopg, the advisory write lock, no read cache on a shared store),
not PostgreSQL's durability. api: exactly the api case (1000 Images, 16 clients). noop: n
Containers converged under a daemon on PostgreSQL, then the unchanged set applied again
`noop_repeats` times (the same POST /v1/apply the noop case times), with the Docker events it
caused (must be 0).
"""

from __future__ import annotations

import time
from typing import Any

from bench import api as api_case
from bench.context import Context, say
from bench.daemon import manifests
from bench.engine import IMAGE, count_events
from bench.stats import median, rounded
from bench.steady import COUNTED_ACTIONS, EVENT_SETTLE_S, bring_up
from tests.postgres import Cluster


def run(context: Context) -> dict[str, Any]:
    cluster = Cluster.start()
    try:
        api = api_case.run(context, "--store", cluster.create_database(), home="daemon-api-pg")
        noop = _noop(context, cluster.create_database())
    finally:
        cluster.stop()
    return {"store": "postgresql", "api": api, "noop": noop}


def _noop(context: Context, url: str) -> dict[str, Any]:
    count = context.sizes.converge_n
    daemon = context.start_daemon("daemon-noop-pg", "--store", url)
    try:
        names = bring_up(context, daemon, count)
        text = manifests(names, IMAGE)
        time.sleep(2.0)
        since = time.time()
        samples: list[float] = []
        for repeat in range(context.sizes.noop_repeats):
            started = time.monotonic()
            answer = daemon.client.apply(text)
            samples.append(time.monotonic() - started)
            changed = [item for item in answer["results"] if item["action"] != "unchanged"]
            if changed:
                raise RuntimeError(f"noop apply changed {len(changed)} objects: {changed[:3]}")
            say(f"noop on PostgreSQL {repeat + 1}/{context.sizes.noop_repeats}: "
                f"{samples[-1] * 1000:.1f} ms")  # fmt: skip
        time.sleep(EVENT_SETTLE_S)
        events = count_events(context.api, since, time.time(), "dockform", COUNTED_ACTIONS)
        daemon.delete_all()
        context.wait_no_containers("dockform")
    finally:
        context.stop_daemon(daemon)
    return {
        "n": count,
        "dockform_s": rounded(median(samples), 4),
        "samples_s": [rounded(sample, 4) for sample in samples],
        "docker_events": sum(events.counts.values()),
    }
