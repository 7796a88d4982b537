"""api: GET and LIST latency and throughput with 1000 objects in the store, 16 clients.

The 1000 objects are Image resources in a daemon of their own, each reconciled by its
controller against the real Engine and Ready with a status: every one names the bench image,
already present, with `pull: {policy: IfNotPresent}`, so nothing is pulled or created. (1000
Containers would need 1000 running containers, which this 2-core host cannot hold beside the
other cases.) The case starts once the controller has written all 1000 statuses and its queue
is empty, with the periodic resync moved out of the window (`--resync 600`; its cost shows in
`idle`). GETs never call Docker (the API reads the store): what is measured is the API and the
store.

Load, in two phases of equal length, 16 closed-loop clients each (asyncio tasks over the unix
socket, HTTP keep-alive, the lean client of bench.http_load): first all 16 GET a random object
(get p50/p99 and requests per second); then one client LISTs all 1000 while the other 15 keep
GETting (list p99: a listing as a dashboard or `dockform get` sees it on a busy daemon). One
client alone is timed too: the cost of a request before any queueing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import yaml

from bench.context import Context, say, wait_until
from bench.daemon import BenchDaemon
from bench.engine import IMAGE
from bench.http_load import run_load
from bench.stats import histogram, median, percentile, rounded

BATCH = 100
KINDS = "images"
SINGLE_GETS = 100
SINGLE_LISTS = 10
RESYNC_S = "600"


def image_document(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "dockform/v1",
        "kind": "Image",
        "metadata": {"name": name, "labels": {"app": "bench", "shard": name[-1]}},
        "spec": {"ref": IMAGE, "pull": {"policy": "IfNotPresent"}},
    }


def populate(daemon: BenchDaemon, count: int) -> list[str]:
    names = [f"api-{index:04d}" for index in range(count)]
    for first in range(0, count, BATCH):
        documents = [image_document(name) for name in names[first : first + BATCH]]
        daemon.client.apply(yaml.safe_dump_all(documents, sort_keys=False))

    def all_ready() -> bool:
        # One cheap look per poll: a LIST of 1000 costs the daemon more than the wait itself.
        return _queue_depth(daemon) == 0 and all(
            item["status"]["phase"] == "Ready" for item in daemon.client.list(KINDS)
        )

    wait_until(f"{count} images Ready", all_ready, timeout_s=600, poll_s=2.0)
    return names


def _queue_depth(daemon: BenchDaemon) -> float:
    for line in daemon.client.metrics().splitlines():
        if line.startswith("dockform_queue_depth "):
            return float(line.split()[1])
    return float("nan")


def _load(
    socket: str, names: list[str], clients: int, listers: int, duration_s: float
) -> tuple[list[float], list[float], int]:
    """`clients` closed-loop clients for `duration_s`: the first `listers` LIST all objects,
    the others GET a random one. Returns (get latencies, list latencies, errors) in seconds."""

    def list_path() -> str:
        return f"/v1/{KINDS}"

    def get_paths(index: int) -> Callable[[], str]:
        chooser = random.Random(index)
        return lambda: f"/v1/{KINDS}/{chooser.choice(names)}"

    paths = [list_path if index < listers else get_paths(index) for index in range(clients)]
    tallies = run_load(socket, paths, duration_s)
    gets = [latency for tally in tallies[listers:] for latency in tally.latencies]
    lists = [latency for tally in tallies[:listers] for latency in tally.latencies]
    return gets, lists, sum(tally.errors for tally in tallies)


def _single_client(daemon: BenchDaemon, names: list[str]) -> tuple[float, float]:
    """Median latency of one client alone (GET, LIST): the daemon's cost per request, which
    the 16-client figures multiply by the queue in front of it."""
    gets, lists = [], []
    for index in range(SINGLE_GETS):
        started = time.perf_counter()
        daemon.client.get(KINDS, names[(index * 7) % len(names)])
        gets.append(time.perf_counter() - started)
    for _ in range(SINGLE_LISTS):
        started = time.perf_counter()
        daemon.client.list(KINDS)
        lists.append(time.perf_counter() - started)
    return median(gets) * 1000, median(lists) * 1000


def run(context: Context, *store_args: str, home: str = "daemon-api") -> dict[str, Any]:
    """The case on a daemon of its own; `store_args` (`--store URL`) puts its store elsewhere."""
    count = context.sizes.api_objects
    clients = context.sizes.api_clients
    phase_s = context.sizes.api_duration_s / 2
    socket = str(context.workdir / home / "dockform.sock")
    daemon = context.start_daemon(home, "--resync", RESYNC_S, *store_args)
    try:
        started = time.monotonic()
        names = populate(daemon, count)
        settle_s = time.monotonic() - started
        say(f"api: {count} images Ready in {settle_s:.1f}s")
        time.sleep(2.0)
        single_get_ms, single_list_ms = _single_client(daemon, names)
        with context.profile(daemon, "api"):
            started = time.monotonic()
            gets, _, get_errors = _load(socket, names, clients, 0, phase_s)
            get_phase_s = time.monotonic() - started
            mixed_gets, lists, list_errors = _load(socket, names, clients, 1, phase_s)
    finally:
        context.stop_daemon(daemon)
    if not gets or not lists:
        raise RuntimeError(f"api: no samples ({len(gets)} gets, {len(lists)} lists)")
    result = {
        "objects": count,
        "get_p50_ms": rounded(median(gets) * 1000, 2),
        "get_p99_ms": rounded(percentile(gets, 99) * 1000, 2),
        "list_p99_ms": rounded(percentile(lists, 99) * 1000, 1),
        "rps": rounded(len(gets) / get_phase_s, 1),
        "clients": clients,
        "phase_s": rounded(phase_s, 1),
        "gets": len(gets),
        "lists": len(lists),
        "list_p50_ms": rounded(median(lists) * 1000, 1),
        "get_p99_while_listing_ms": rounded(percentile(mixed_gets, 99) * 1000, 2),
        "errors": get_errors + list_errors,
        "single_client_get_ms": rounded(single_get_ms, 2),
        "single_client_list_ms": rounded(single_list_ms, 1),
        "settle_s": rounded(settle_s, 1),
        # Every sample, binned: tens of thousands of latencies, counted per 0.1 ms.
        "samples_histogram_0.1ms": {
            "get": histogram(gets),
            "list": histogram(lists),
            "get_while_listing": histogram(mixed_gets),
        },
        "method": (
            f"two phases of {phase_s:.0f}s, {clients} closed-loop clients over the unix socket "
            "with keep-alive: (1) all GET a random object: get_p50/p99, rps; (2) one LISTs all "
            f"{count} while {clients - 1} GET: list_p99. The {count} objects are Image "
            "resources (pull IfNotPresent of the present bench image), all Ready, queue empty, "
            f"daemon --resync {RESYNC_S}; settle_s: from the first apply until then; "
            "single_client_*: one client alone, the cost of one request"
        ),
    }
    say(
        f"api: get p50 {result['get_p50_ms']} ms p99 {result['get_p99_ms']} ms, "
        f"{result['rps']} req/s; list p99 {result['list_p99_ms']} ms"
    )
    return result
