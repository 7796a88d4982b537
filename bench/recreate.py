"""recreate: an image change that replaces n running containers.

dockform: re-apply the n Container manifests naming the other bench image (the two tags hold
the same busybox, different ids) and wait until n containers of the new image have started.
Floor: for each container, on 8 threads, what a replacement must do at least: graceful stop,
remove, create with the new image, start. Compose v2 and 1.29 (for reference): `docker-compose
up -d` after the image changed in the file (the quick run, to keep to its time, runs v2 only). The
image flips each repeat; peers rotate order.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench import compose as compose_peer
from bench import cpu
from bench.context import SETTLE_S, Context, rotations, say
from bench.daemon import BenchDaemon, manifests
from bench.engine import IMAGE, IMAGE_V2, RUN_TAG, peer_container_ids
from bench.stats import median, rounded


def run(context: Context, daemon: BenchDaemon, names: list[str]) -> dict[str, Any]:
    count = len(names)
    recorder = context.recorder
    floor_names = context.floor.names(count, prefix="r")
    floor_ids = context.floor.create_start_all(floor_names, IMAGE)
    projects = compose_peer.projects(
        context.workdir / "compose-recreate",
        f"dockform-bench-{RUN_TAG}-recreate",
        count,
        IMAGE,
        compose_peer.peers(with_v1=context.sizes.recreate_compose),
    )
    samples: dict[str, list[float]] = {"dockform": [], "floor": []}
    for peer, project in projects.items():
        samples[peer] = []
        mark = recorder.mark()
        project.up()
        recorder.wait_started(mark, count, peer=peer)
    time.sleep(SETTLE_S)

    cpu_samples: list[dict[str, float]] = []
    image = {"dockform": IMAGE, "floor": IMAGE, **{peer: IMAGE for peer in projects}}

    def measure(peer: str) -> float:
        nonlocal floor_ids
        target = IMAGE_V2 if image[peer] == IMAGE else IMAGE
        profiling = context.profile(daemon, f"recreate-{len(samples[peer])}")
        with profiling if peer == "dockform" else contextlib.nullcontext():
            mark = recorder.mark()
            before = cpu.snapshot(daemon.pid)
            started = time.monotonic()
            if peer == "dockform":
                daemon.client.apply(manifests(names, target))
            elif peer == "floor":
                floor_ids = context.floor.replace_all(floor_ids, floor_names, target)
            else:
                projects[peer].write(target)
                projects[peer].up()
            done = recorder.wait_started(mark, count, peer=peer, image=target)
            if peer == "dockform":
                cpu_samples.append(cpu.spent(before, daemon.pid))
        image[peer] = target
        context.confirm_running(peer, count, "recreate")
        return done - started

    for repeat, order in enumerate(rotations(list(samples), context.sizes.recreate_repeats)):
        for peer in order:
            seconds = measure(peer)
            samples[peer].append(seconds)
            say(f"recreate {repeat + 1}/{context.sizes.recreate_repeats} {peer}: {seconds:.2f}s")
            time.sleep(SETTLE_S)

    for peer in [*projects, "floor"]:
        context.floor.remove_all(peer_container_ids(context.api, peer))
    return {
        "n": count,
        "dockform_s": rounded(median(samples["dockform"])),
        "floor_s": rounded(median(samples["floor"])),
        "compose_v2_s": _median(samples, compose_peer.PEER_V2),
        "compose_s": _median(samples, compose_peer.PEER),
        "compose_parallel_limit": compose_peer.parallel_limit(count),
        "repeats": context.sizes.recreate_repeats,
        "cpu_s_per_container": cpu.per_container(cpu_samples, count),
        "samples_s": {
            peer: [rounded(value) for value in values] for peer, values in samples.items()
        },
        "method": (
            "median over repeats; from the apply (floor: the first stop; compose: `up -d`) "
            "until the bench receives the start event of the n-th container of the new image; "
            "floor per container: stop (SIGTERM, the container exits at once), remove, create, "
            "start on 8 threads; both Compose versions run with COMPOSE_PARALLEL_LIMIT "
            "compose_parallel_limit; " + cpu.METHOD
        ),
    }


def _median(samples: dict[str, list[float]], peer: str) -> float | None:
    values = samples.get(peer)
    return rounded(median(values)) if values else None
