"""converge: cold start of n containers, from the command until the last one runs.

dockform: `POST /v1/apply` of n Container manifests to an idle daemon with an empty store.
Compose v2 and 1.29: `docker-compose up -d` of n services (bench.compose). Floor: create +
start on 8 threads. Each
ends at the `start` event of the n-th container; peers rotate order over the repeats, and each
measurement starts from no container at all.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench import compose as compose_peer
from bench import cpu
from bench.context import SETTLE_S, Context, rotations, say
from bench.daemon import BenchDaemon, manifests
from bench.engine import IMAGE, RUN_TAG, peer_container_ids
from bench.stats import median, rounded


def dockform_names(count: int) -> list[str]:
    return [f"bd{RUN_TAG}-{index}" for index in range(count)]


def run(context: Context, daemon: BenchDaemon) -> dict[str, Any]:
    count = context.sizes.converge_n
    names = dockform_names(count)
    text = manifests(names, IMAGE)
    projects = compose_peer.projects(
        context.workdir / "compose-converge",
        f"dockform-bench-{RUN_TAG}",
        count,
        IMAGE,
        compose_peer.peers(),
    )
    floor_names = context.floor.names(count)
    samples: dict[str, list[float]] = {"dockform": [], **{peer: [] for peer in projects}}
    samples["floor"] = []
    compose_cli: dict[str, list[float]] = {peer: [] for peer in projects}
    recorder = context.recorder
    cpu_samples: list[dict[str, float]] = []

    def measure(peer: str) -> float:
        profiling = context.profile(daemon, f"converge-{len(samples[peer])}")
        with profiling if peer == "dockform" else contextlib.nullcontext():
            mark = recorder.mark()
            before = cpu.snapshot(daemon.pid)
            started = time.monotonic()
            if peer == "dockform":
                daemon.client.apply(text)
            elif peer in projects:
                compose_cli[peer].append(projects[peer].up())
            else:
                context.floor.create_start_all(floor_names)
            done = recorder.wait_started(mark, count, peer=peer)
            if peer == "dockform":
                cpu_samples.append(cpu.spent(before, daemon.pid))
        context.confirm_running(peer, count, "converge")
        return done - started

    def teardown(peer: str) -> None:
        if peer == "dockform":
            daemon.delete_all()
        else:
            context.floor.remove_all(peer_container_ids(context.api, peer))
        context.wait_no_containers(peer)
        time.sleep(SETTLE_S)

    for repeat, order in enumerate(rotations(list(samples), context.sizes.converge_repeats)):
        for peer in order:
            seconds = measure(peer)
            samples[peer].append(seconds)
            say(f"converge {repeat + 1}/{context.sizes.converge_repeats} {peer}: {seconds:.2f}s")
            teardown(peer)

    return {
        "n": count,
        "dockform_s": rounded(median(samples["dockform"])),
        "compose_v2_s": _median(samples, compose_peer.PEER_V2),
        "compose_s": _median(samples, compose_peer.PEER),
        "floor_s": rounded(median(samples["floor"])),
        "repeats": context.sizes.converge_repeats,
        "cpu_s_per_container": cpu.per_container(cpu_samples, count),
        "samples_s": {
            peer: [rounded(value) for value in values] for peer, values in samples.items()
        },
        "compose_cli_s": _median(compose_cli, compose_peer.PEER),
        "compose_v2_cli_s": _median(compose_cli, compose_peer.PEER_V2),
        "compose_version": compose_peer.version(),
        "compose_versions": compose_peer.versions(),
        "compose_parallel_limit": compose_peer.parallel_limit(count),
        "method": (
            "median over repeats; each from the command until the bench receives the start "
            "event of the n-th container; peers rotate order; every run starts from zero "
            "containers; both Compose versions run with COMPOSE_PARALLEL_LIMIT "
            "compose_parallel_limit; " + cpu.METHOD
        ),
    }


def _median(samples: dict[str, list[float]], peer: str) -> float | None:
    """The median of a peer's samples; None for a Compose that is not installed."""
    values = samples.get(peer)
    return rounded(median(values)) if values else None
