"""recreate: an image change that replaces n running containers.

dockform: re-apply the n Container manifests naming the other bench image (the two tags hold
the same busybox, different ids) and wait until n containers of the new image have started.
Floor: for each container, on 8 threads, what a replacement must do at least: graceful stop,
remove, create with the new image, start. Compose (for reference): `docker-compose up -d`
after the image changed in the file (full run only: the quick run keeps to its time). The
image flips each repeat; peers rotate order.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench.compose import ComposeProject
from bench.context import SETTLE_S, Context, rotations, say
from bench.daemon import BenchDaemon, manifests
from bench.engine import IMAGE, IMAGE_V2, RUN_TAG, peer_container_ids
from bench.stats import median, rounded


def run(context: Context, daemon: BenchDaemon, names: list[str]) -> dict[str, Any]:
    count = len(names)
    recorder = context.recorder
    floor_names = context.floor.names(count, prefix="r")
    floor_ids = context.floor.create_start_all(floor_names, IMAGE)
    project = ComposeProject(
        context.workdir / "compose-recreate", f"dockform-bench-{RUN_TAG}-recreate", count, IMAGE
    )
    samples: dict[str, list[float]] = {"dockform": [], "floor": []}
    if context.sizes.recreate_compose:
        samples["compose"] = []
        mark = recorder.mark()
        project.up()
        recorder.wait_started(mark, count, peer="compose")
    time.sleep(SETTLE_S)

    image = {"dockform": IMAGE, "floor": IMAGE, "compose": IMAGE}

    def measure(peer: str) -> float:
        nonlocal floor_ids
        target = IMAGE_V2 if image[peer] == IMAGE else IMAGE
        profiling = context.profile(daemon, f"recreate-{len(samples[peer])}")
        with profiling if peer == "dockform" else contextlib.nullcontext():
            mark = recorder.mark()
            started = time.monotonic()
            if peer == "dockform":
                daemon.client.apply(manifests(names, target))
            elif peer == "floor":
                floor_ids = context.floor.replace_all(floor_ids, floor_names, target)
            else:
                project.write(target)
                project.up()
            done = recorder.wait_started(mark, count, peer=peer, image=target)
        image[peer] = target
        context.confirm_running(peer, count, "recreate")
        return done - started

    for repeat, order in enumerate(rotations(list(samples), context.sizes.recreate_repeats)):
        for peer in order:
            seconds = measure(peer)
            samples[peer].append(seconds)
            say(f"recreate {repeat + 1}/{context.sizes.recreate_repeats} {peer}: {seconds:.2f}s")
            time.sleep(SETTLE_S)

    for peer in ("compose", "floor"):
        context.floor.remove_all(peer_container_ids(context.api, peer))
    return {
        "n": count,
        "dockform_s": rounded(median(samples["dockform"])),
        "floor_s": rounded(median(samples["floor"])),
        "compose_s": rounded(median(samples["compose"])) if samples.get("compose") else None,
        "repeats": context.sizes.recreate_repeats,
        "samples_s": {
            peer: [rounded(value) for value in values] for peer, values in samples.items()
        },
        "method": (
            "median over repeats; from the apply (floor: the first stop; compose: `up -d`) "
            "until the bench receives the start event of the n-th container of the new image; "
            "floor per container: stop (SIGTERM, the container exits at once), remove, create, "
            "start on 8 threads"
        ),
    }
