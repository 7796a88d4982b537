"""scale: dockform with many containers and a large store (issue 17), the full run only.

Two daemons, each of its own `--instance`, one after the other:

- containers (`scale_containers`, 500): converge (POST /v1/apply of n Containers to an empty
  daemon until the n-th start event, with the CPU each process spent per container, as the
  converge case counts it), then with the n running: noop (the noop case without its Compose
  peers), drift (the drift case's samples with n managed), idle CPU and RSS over
  `scale_idle_window_s`; then every Container is deleted and the case waits until none is left.
- store (`scale_objects`, 10 000 Image resources as the api case makes them): first
  `scale_apply_objects` (5000) in one POST /v1/apply, timed from the request to the answer; if
  the daemon refuses that many documents in one body, the refusal is recorded and the objects go
  in bodies of the largest size it takes, timed together. Then the rest up to 10 000 and the api
  case's two load phases (16 clients GET; one LISTs all while 15 GET).

`--quick` skips the case; BENCH_SCALE="CONTAINERS,OBJECTS" (bench.config) runs it at sizes of
one's choice, to try it on a small host.
"""

from __future__ import annotations

import time
from typing import Any

import yaml

from bench import api as api_case
from bench import cpu, drift, steady
from bench.context import Context, say
from bench.daemon import BenchDaemon
from bench.stats import median, percentile, rounded
from dockform.api.client import ClientError
from dockform.manifests.composer import MAX_DOCUMENTS


def run(context: Context) -> dict[str, Any]:
    return {"containers": _containers(context), "store": _store(context)}


def _containers(context: Context) -> dict[str, Any]:
    count = context.sizes.scale_containers
    daemon = context.start_daemon("daemon-scale", instance="scale")
    try:
        before = cpu.snapshot(daemon.pid)
        started = time.monotonic()
        names = steady.bring_up(context, daemon, count)
        converge_s = time.monotonic() - started
        spent = cpu.spent(before, daemon.pid)
        context.confirm_running("dockform", count, "scale converge")
        say(f"scale: {count} containers converged in {converge_s:.1f}s")
        try:
            noop = steady.run_noop(context, daemon, names, with_peers=False)
            drifted = drift.run(context, daemon, names)
            idle = steady.run_idle(context, daemon, count, context.sizes.scale_idle_window_s)
        finally:
            daemon.delete_all(timeout_s=600)
            context.wait_no_containers("dockform", timeout_s=600)
    finally:
        context.stop_daemon(daemon)
    return {
        "n": count,
        "converge_s": rounded(converge_s),
        "cpu_s_per_container": cpu.per_container([spent], count),
        "noop_s": noop["dockform_s"],
        "noop_docker_events": noop["docker_events"],
        "drift_p50_s": drifted["p50_s"],
        "drift_p99_s": drifted["p99_s"],
        "drift_floor_p50_s": drifted["floor_p50_s"],
        "idle_cpu_cores": idle["cpu_cores"],
        "idle_rss_mib": idle["rss_mib"],
        "noop": noop,
        "drift": drifted,
        "idle": idle,
        "method": (
            "one daemon (instance scale); converge_s: POST /v1/apply of n Containers to an empty "
            "daemon until the start event of the n-th, once; noop, drift and idle are those "
            "cases with n managed (noop without Compose peers), their details under their "
            "names; " + cpu.METHOD
        ),
    }


def _store(context: Context) -> dict[str, Any]:
    objects = context.sizes.scale_objects
    in_one = context.sizes.scale_apply_objects
    clients = context.sizes.api_clients
    phase_s = context.sizes.api_duration_s / 2
    home = "daemon-scale-store"
    daemon = context.start_daemon(home, "--resync", api_case.RESYNC_S, instance="scale-store")
    try:
        big = [f"big-{index:05d}" for index in range(in_one)]
        apply_s, refused = _apply_at_once(daemon, big)
        say(f"scale: {in_one} objects applied in {apply_s:.2f}s" + (" (split)" if refused else ""))
        started = time.monotonic()
        names = [*big, *api_case.populate(daemon, objects - in_one)]
        settle_s = time.monotonic() - started
        time.sleep(2.0)
        socket = str(context.workdir / home / "dockform.sock")
        with context.profile(daemon, "scale-store"):
            gets, _, get_errors = api_case._load(socket, names, clients, 0, phase_s)
            _, lists, list_errors = api_case._load(socket, names, clients, 1, phase_s)
    finally:
        context.stop_daemon(daemon)
    if not gets or not lists:
        raise RuntimeError(f"scale store: no samples ({len(gets)} gets, {len(lists)} lists)")
    return {
        "objects": objects,
        "apply_objects": in_one,
        "apply_s": rounded(apply_s),
        "apply_refused_in_one": refused,
        "get_p50_ms": rounded(median(gets) * 1000, 2),
        "get_p99_ms": rounded(percentile(gets, 99) * 1000, 2),
        "list_p50_ms": rounded(median(lists) * 1000, 1),
        "list_p99_ms": rounded(percentile(lists, 99) * 1000, 1),
        "gets": len(gets),
        "lists": len(lists),
        "errors": get_errors + list_errors,
        "clients": clients,
        "settle_s": rounded(settle_s, 1),
        "method": (
            f"one daemon (instance scale-store, --resync {api_case.RESYNC_S}); apply_s: POST "
            f"/v1/apply of apply_objects Image resources in one body (if refused, "
            f"apply_refused_in_one says why and apply_s is bodies of {MAX_DOCUMENTS}, timed "
            f"together); then the rest up to objects, all Ready; the api case's phases of "
            f"{phase_s:.0f}s with {clients} clients: all GET (get_*), then one LISTs all "
            f"while the others GET (list_*)"
        ),
    }


def _apply_at_once(daemon: BenchDaemon, names: list[str]) -> tuple[float, str | None]:
    """Seconds to apply `names` as Images in one body; when the daemon refuses so many
    documents, the refusal and the seconds for bodies of the most it takes."""
    documents = [api_case.image_document(name) for name in names]
    started = time.monotonic()
    try:
        daemon.client.apply(yaml.safe_dump_all(documents, sort_keys=False))
        return time.monotonic() - started, None
    except ClientError as error:
        if error.status not in (400, 413, 422):
            raise
        refused = f"{error.status}: {error.message.splitlines()[-1][:200]}"
    started = time.monotonic()
    for first in range(0, len(documents), MAX_DOCUMENTS):
        chunk = documents[first : first + MAX_DOCUMENTS]
        daemon.client.apply(yaml.safe_dump_all(chunk, sort_keys=False))
    return time.monotonic() - started, refused
