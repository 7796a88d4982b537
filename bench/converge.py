"""converge: cold start of n containers, from the command until the last one runs.

dockform: `POST /v1/apply` of n Container manifests to an idle daemon with an empty store.
Compose: `docker-compose up -d` of n services. Floor: create + start on 8 threads. Each
ends at the `start` event of the n-th container; peers rotate order over the repeats, and each
measurement starts from no container at all.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench import compose as compose_peer
from bench.compose import ComposeProject
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
    project = ComposeProject(
        context.workdir / "compose-converge", f"dockform-bench-{RUN_TAG}", count, IMAGE
    )
    floor_names = context.floor.names(count)
    samples: dict[str, list[float]] = {"dockform": [], "compose": [], "floor": []}
    compose_cli: list[float] = []
    recorder = context.recorder

    def measure(peer: str) -> float:
        profiling = context.profile(daemon, f"converge-{len(samples[peer])}")
        with profiling if peer == "dockform" else contextlib.nullcontext():
            mark = recorder.mark()
            started = time.monotonic()
            if peer == "dockform":
                daemon.client.apply(text)
            elif peer == "compose":
                compose_cli.append(project.up())
            else:
                context.floor.create_start_all(floor_names)
            done = recorder.wait_started(mark, count, peer=peer)
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
        "compose_s": rounded(median(samples["compose"])),
        "floor_s": rounded(median(samples["floor"])),
        "repeats": context.sizes.converge_repeats,
        "samples_s": {
            peer: [rounded(value) for value in values] for peer, values in samples.items()
        },
        "compose_cli_s": rounded(median(compose_cli)),
        "compose_version": compose_peer.version(),
        "method": (
            "median over repeats; each from the command until the bench receives the start "
            "event of the n-th container; peers rotate order; every run starts from zero "
            "containers"
        ),
    }
