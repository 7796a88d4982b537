"""drift: `docker rm -f` of a managed container until its replacement runs.

dockform: remove one of its n running containers (a different one each sample) and wait for
the `start` event of a new container of that name; the daemon notices through the Docker
events stream and recreates it. Floor: the same removal, then create + start by hand at once:
the least a repair can take. Samples alternate between the two.
"""

from __future__ import annotations

import time
from typing import Any

from bench.context import Context, say
from bench.daemon import BenchDaemon
from bench.engine import IMAGE, remove_quietly
from bench.stats import median, percentile, rounded

# Lets the daemon write the status of the previous repair before the next removal, so
# samples do not overlap.
BETWEEN_SAMPLES_S = 0.3


def run(context: Context, daemon: BenchDaemon, names: list[str]) -> dict[str, Any]:
    recorder = context.recorder
    floor_name = context.floor.names(1, prefix="drift")[0]
    context.floor.create_start(floor_name)
    dockform_samples: list[float] = []
    floor_samples: list[float] = []
    with context.profile(daemon, "drift"):
        for index in range(context.sizes.drift_samples):
            victim = names[index % len(names)]
            mark = recorder.mark()
            started = time.monotonic()
            remove_quietly(context.api, victim)
            dockform_samples.append(recorder.wait_started(mark, 1, names=[victim]) - started)
            time.sleep(BETWEEN_SAMPLES_S)

            mark = recorder.mark()
            started = time.monotonic()
            remove_quietly(context.api, floor_name)
            context.floor.create_start(floor_name, IMAGE)
            floor_samples.append(recorder.wait_started(mark, 1, names=[floor_name]) - started)
            time.sleep(BETWEEN_SAMPLES_S)
            say(
                f"drift {index + 1}/{context.sizes.drift_samples}: dockform "
                f"{dockform_samples[-1]:.3f}s, floor {floor_samples[-1]:.3f}s"
            )
    remove_quietly(context.api, floor_name)
    return {
        "samples": len(dockform_samples),
        "p50_s": rounded(median(dockform_samples)),
        "p99_s": rounded(percentile(dockform_samples, 99)),
        "floor_p50_s": rounded(median(floor_samples)),
        "floor_p99_s": rounded(percentile(floor_samples, 99)),
        "managed_containers": len(names),
        "samples_s": {
            "dockform": [rounded(value) for value in dockform_samples],
            "floor": [rounded(value) for value in floor_samples],
        },
        "method": (
            "from the `docker rm -f` call until the bench receives the start event of the "
            "replacement (same name); floor: rm -f, then create + start by hand; alternating; "
            "percentiles interpolate linearly between samples"
        ),
    }
