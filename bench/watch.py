"""watch: a manifest file written into a watched directory until its container runs.

A daemon of its own runs with `--watch DIR`. Each sample writes a new file holding one
Container manifest (a new name each time, so every sample is a cold create) and waits for the
`start` event of that container. The floor beside it: create + start of one container by hand.
A daemon that refuses `--watch` makes the figures null with the reason, and the suite goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any

import yaml

from bench.context import Context, say, wait_until
from bench.daemon import DaemonRefused, container_document
from bench.engine import IMAGE, RUN_TAG, peer_container_ids, remove_quietly
from bench.stats import median, percentile, rounded

BETWEEN_SAMPLES_S = 0.3


def _unavailable(reason: str, floor: list[float]) -> dict[str, Any]:
    return {
        "samples": 0,
        "p50_s": None,
        "p99_s": None,
        "floor_p50_s": rounded(median(floor)) if floor else None,
        "unavailable": reason,
    }


_floor_serial = itertools.count()


def _floor_samples(context: Context, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        name = context.floor.names(1, prefix=f"wf{next(_floor_serial)}x")[0]
        mark = context.recorder.mark()
        started = time.monotonic()
        context.floor.create_start(name, IMAGE)
        samples.append(context.recorder.wait_started(mark, 1, names=[name]) - started)
        time.sleep(BETWEEN_SAMPLES_S)
    return samples


def run(context: Context) -> dict[str, Any]:
    watched = context.workdir / "watched"
    watched.mkdir()
    try:
        daemon = context.start_daemon("daemon-watch", "--watch", str(watched))
    except DaemonRefused as refused:
        reason = _first_error_line(refused.log) or str(refused)
        say(f"watch: unavailable ({reason})")
        floor_only = _floor_samples(context, context.sizes.watch_samples)
        context.floor.remove_all(peer_container_ids(context.api, "floor"))
        return _unavailable(f"`dockform daemon --watch` refused: {reason}", floor_only)

    samples: list[float] = []
    floor: list[float] = []
    try:
        for index in range(context.sizes.watch_samples):
            name = f"bw{RUN_TAG}-{index}"
            text = yaml.safe_dump(container_document(name, IMAGE), sort_keys=False)
            mark = context.recorder.mark()
            started = time.monotonic()
            # Written in place, as `cat > file` or an editor saving without a temporary would.
            (watched / f"{name}.yaml").write_text(text)
            samples.append(
                context.recorder.wait_started(mark, 1, names=[name], timeout_s=60) - started
            )
            time.sleep(BETWEEN_SAMPLES_S)
            floor += _floor_samples(context, 1)
            say(
                f"watch {index + 1}/{context.sizes.watch_samples}: dockform {samples[-1]:.3f}s,"
                f" floor {floor[-1]:.3f}s"
            )
    except TimeoutError as error:
        say(f"watch: no container from the watched file ({error})")
        return _unavailable(f"a file written to the watched directory never ran: {error}", floor)
    finally:
        for manifest in watched.glob("*.yaml"):
            manifest.unlink()
        # The daemon takes a deleted file's objects away; the sweep gets any it has not.
        with contextlib.suppress(TimeoutError):
            wait_until(
                "watched containers removed",
                lambda: not peer_container_ids(context.api, "dockform"),
                30,
            )
        context.stop_daemon(daemon)
        for container_id in peer_container_ids(context.api, "dockform"):
            remove_quietly(context.api, container_id)
        context.floor.remove_all(peer_container_ids(context.api, "floor"))
    return {
        "samples": len(samples),
        "p50_s": rounded(median(samples)),
        "p99_s": rounded(percentile(samples, 99)),
        "floor_p50_s": rounded(median(floor)),
        "samples_s": {
            "dockform": [rounded(value) for value in samples],
            "floor": [rounded(value) for value in floor],
        },
        "method": (
            "from writing a new one-Container manifest file into the watched directory until "
            "the bench receives its start event; floor: create + start of one container by "
            "hand; alternating"
        ),
    }


def _first_error_line(log: str) -> str:
    for line in log.splitlines():
        # typer draws its usage errors in a box; keep the words only.
        stripped = line.strip().strip("│╭╰─ ")
        if "No such option" in stripped or "Error" in stripped:
            return stripped
    return ""
