"""Targets, verdicts, the printed table and the JSON results.

Targets are goals printed beside each figure (issue 6), never asserted: a figure that misses
its target is reported as `misses`, and the run still succeeds. Figures without a target are
`reference` (the peers, sample counts). `python -m bench.report [FILE]` prints the table of a
results file as Markdown, for the README.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Results = dict[str, Any]


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str
    verdict: str


def _get(results: Results, figure: str) -> Any:
    value: Any = results
    for part in figure.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "n/a"
    return "meets" if ok else "misses"


Check = Callable[[Results], tuple[str, bool | None]]


def _at_floor(case: str) -> Check:
    """Issue 17: converge and recreate within 5% of the engine's floor (the goal is for n=100)."""

    def check(results: Results) -> tuple[str, bool | None]:
        floor = _get(results, f"{case}.floor_s")
        value = _get(results, f"{case}.dockform_s")
        n = _get(results, f"{case}.n")
        if floor is None:
            return "<= 1.05x floor at n=100 (no floor measured)", None
        text = f"<= 1.05x floor ({1.05 * floor:.2f}s) at n=100 (here n={n})"
        return text, value <= 1.05 * floor

    return check


def _noop_time(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "noop.n")
    return f"< 0.05s for 100 objects (here n={n})", _get(results, "noop.dockform_s") < 0.05


def _noop_events(results: Results) -> tuple[str, bool | None]:
    return "0", _get(results, "noop.docker_events") == 0


def _drift_p50(results: Results) -> tuple[str, bool | None]:
    floor = _get(results, "drift.floor_p50_s")
    limit = floor + 0.150
    return f"<= floor p50 + 150ms ({limit:.3f}s)", _get(results, "drift.p50_s") <= limit


def _drift_p99(results: Results) -> tuple[str, bool | None]:
    return "< 1s", _get(results, "drift.p99_s") < 1.0


def _watch_p50(results: Results) -> tuple[str, bool | None]:
    floor = _get(results, "watch.floor_p50_s")
    value = _get(results, "watch.p50_s")
    if floor is None or value is None:
        reason = (results.get("watch") or {}).get("unavailable", "not measured")
        return f"< floor + 300ms ({reason})", None
    limit = floor + 0.300
    return f"< floor p50 + 300ms ({limit:.3f}s)", value < limit


def _api_get(results: Results) -> tuple[str, bool | None]:
    return "< 25ms", _get(results, "api.get_p99_ms") < 25


def _api_list(results: Results) -> tuple[str, bool | None]:
    return "< 100ms", _get(results, "api.list_p99_ms") < 100


def _idle_cpu(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "idle.containers")
    return f"< 0.02 cores with 100 containers (here {n})", _get(results, "idle.cpu_cores") < 0.02


def _idle_rss(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "idle.containers")
    return f"< 150 MiB with 100 containers (here {n})", _get(results, "idle.rss_mib") < 150


def _scale_noop(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "scale.containers.n")
    return f"< 0.25s for 500 (here n={n})", _get(results, "scale.containers.noop_s") < 0.25


def _scale_noop_events(results: Results) -> tuple[str, bool | None]:
    return "0", _get(results, "scale.containers.noop_docker_events") == 0


def _scale_drift_p99(results: Results) -> tuple[str, bool | None]:
    return "< 1s", _get(results, "scale.containers.drift_p99_s") < 1.0


def _scale_idle_cpu(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "scale.containers.n")
    return f"< 0.05 cores with 500 (here {n})", _get(
        results, "scale.containers.idle_cpu_cores"
    ) < 0.05


def _scale_idle_rss(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "scale.containers.n")
    return f"< 300 MiB with 500 (here {n})", _get(results, "scale.containers.idle_rss_mib") < 300


def _scale_list(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "scale.store.objects")
    return f"< 200ms for 10000 (here {n})", _get(results, "scale.store.list_p99_ms") < 200


def _scale_get(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "scale.store.objects")
    return f"< 25ms, 16 clients, 10000 objects (here {n})", _get(
        results, "scale.store.get_p99_ms"
    ) < 25


def _cli_version(results: Results) -> tuple[str, bool | None]:
    return "< 0.15s", _get(results, "cli.version_s") < 0.15


def _cli_apply(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "cli.apply_n")
    return f"< 0.3s for 300 unchanged (here {n})", _get(results, "cli.apply_s") < 0.3


def _cli_get(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "cli.get_n")
    return f"< 0.3s for 1000 objects (here {n})", _get(results, "cli.get_s") < 0.3


def _stores_api_get(results: Results) -> tuple[str, bool | None]:
    return "< 25ms (PostgreSQL)", _get(results, "stores.api.get_p99_ms") < 25


def _stores_api_list(results: Results) -> tuple[str, bool | None]:
    return "< 100ms (PostgreSQL)", _get(results, "stores.api.list_p99_ms") < 100


def _stores_noop_time(results: Results) -> tuple[str, bool | None]:
    n = _get(results, "stores.noop.n")
    return f"< 0.05s for 100 objects (PostgreSQL, n={n})", _get(
        results, "stores.noop.dockform_s"
    ) < 0.05


def _stores_noop_events(results: Results) -> tuple[str, bool | None]:
    return "0", _get(results, "stores.noop.docker_events") == 0


def _swarm_peer(step: str, peer_key: str, peer_name: str) -> Check:
    """Issue 13's swarm case, by issue 17's rule: dockform within 1.05x of Docker's own tool
    (or faster) on the same swarm."""

    def check(results: Results) -> tuple[str, bool | None]:
        peer = _get(results, f"swarm.{step}.{peer_key}")
        value = _get(results, f"swarm.{step}.dockform_s")
        if peer is None or value is None:
            return f"<= 1.05x {peer_name} (not measured)", None
        return f"<= 1.05x {peer_name} ({1.05 * peer:.2f}s)", value <= 1.05 * peer

    return check


# (figure, unit, check or None for a reference figure), in the order printed.
FIGURES: list[tuple[str, str, Check | None]] = [
    ("converge.n", "", None),
    ("converge.dockform_s", "s", _at_floor("converge")),
    ("converge.compose_v2_s", "s", None),
    ("converge.compose_s", "s", None),
    ("converge.floor_s", "s", None),
    ("converge.cpu_s_per_container.dockform", "cpu s", None),
    ("converge.cpu_s_per_container.dockerd", "cpu s", None),
    ("converge.cpu_s_per_container.containerd", "cpu s", None),
    ("converge.cpu_s_per_container.containerd_shims", "cpu s", None),
    ("noop.n", "", None),
    ("noop.dockform_s", "s", _noop_time),
    ("noop.compose_v2_s", "s", None),
    ("noop.compose_s", "s", None),
    ("noop.docker_events", "", _noop_events),
    ("noop.compose_v2_docker_events", "", None),
    ("drift.samples", "", None),
    ("drift.p50_s", "s", _drift_p50),
    ("drift.p99_s", "s", _drift_p99),
    ("drift.floor_p50_s", "s", None),
    ("watch.samples", "", None),
    ("watch.p50_s", "s", _watch_p50),
    ("watch.p99_s", "s", None),
    ("watch.floor_p50_s", "s", None),
    ("api.objects", "", None),
    ("api.get_p50_ms", "ms", None),
    ("api.get_p99_ms", "ms", _api_get),
    ("api.list_p99_ms", "ms", _api_list),
    ("api.rps", "req/s", None),
    ("idle.containers", "", None),
    ("idle.cpu_cores", "cores", _idle_cpu),
    ("idle.rss_mib", "MiB", _idle_rss),
    ("recreate.n", "", None),
    ("recreate.dockform_s", "s", _at_floor("recreate")),
    ("recreate.floor_s", "s", None),
    ("recreate.compose_v2_s", "s", None),
    ("recreate.compose_s", "s", None),
    ("recreate.cpu_s_per_container.dockform", "cpu s", None),
    ("recreate.cpu_s_per_container.dockerd", "cpu s", None),
    ("recreate.cpu_s_per_container.containerd", "cpu s", None),
    ("recreate.cpu_s_per_container.containerd_shims", "cpu s", None),
    ("cli.version_s", "s", _cli_version),
    ("cli.apply_n", "", None),
    ("cli.apply_s", "s", _cli_apply),
    ("cli.api_apply_s", "s", None),
    ("cli.get_n", "", None),
    ("cli.get_s", "s", _cli_get),
    ("stores.api.get_p99_ms", "ms", _stores_api_get),
    ("stores.api.list_p99_ms", "ms", _stores_api_list),
    ("stores.api.rps", "req/s", None),
    ("stores.noop.n", "", None),
    ("stores.noop.dockform_s", "s", _stores_noop_time),
    ("stores.noop.docker_events", "", _stores_noop_events),
    ("scale.containers.n", "", None),
    ("scale.containers.converge_s", "s", None),
    ("scale.containers.cpu_s_per_container.dockform", "cpu s", None),
    ("scale.containers.cpu_s_per_container.dockerd", "cpu s", None),
    ("scale.containers.cpu_s_per_container.containerd", "cpu s", None),
    ("scale.containers.cpu_s_per_container.containerd_shims", "cpu s", None),
    ("scale.containers.noop_s", "s", _scale_noop),
    ("scale.containers.noop_docker_events", "", _scale_noop_events),
    ("scale.containers.drift_p50_s", "s", None),
    ("scale.containers.drift_p99_s", "s", _scale_drift_p99),
    ("scale.containers.idle_cpu_cores", "cores", _scale_idle_cpu),
    ("scale.containers.idle_rss_mib", "MiB", _scale_idle_rss),
    ("scale.store.apply_objects", "", None),
    ("scale.store.apply_s", "s", None),
    ("scale.store.objects", "", None),
    ("scale.store.list_p99_ms", "ms", _scale_list),
    ("scale.store.get_p99_ms", "ms", _scale_get),
    ("swarm.converge.n", "", None),
    ("swarm.converge.dockform_s", "s", _swarm_peer("converge", "stack_s", "docker stack deploy")),
    ("swarm.converge.stack_s", "s", None),
    ("swarm.update.replicas", "", None),
    ("swarm.update.parallelism", "", None),
    (
        "swarm.update.dockform_s",
        "s",
        _swarm_peer("update", "service_update_s", "docker service update"),
    ),
    ("swarm.update.service_update_s", "s", None),
]


def case_load(
    before: tuple[float, float, float], after: tuple[float, float, float], cores: int
) -> dict[str, Any]:
    """The host's load averages (1, 5, 15 min) before and after a case; `noisy` when the
    1-minute figure exceeded the core count at either end: other work competed for the CPU."""
    return {
        "before": [round(value, 2) for value in before],
        "after": [round(value, 2) for value in after],
        "cores": cores,
        "noisy": max(before[0], after[0]) > cores,
    }


def noisy_cases(results: Results) -> list[str]:
    return [
        case
        for case, section in results.items()
        if isinstance(section, dict) and (section.get("load") or {}).get("noisy")
    ]


def rows(results: Results) -> list[Row]:
    table = []
    noisy = set(noisy_cases(results))
    for figure, unit, check in FIGURES:
        section = figure.partition(".")[0]
        if section not in results:
            continue
        value = _get(results, figure)
        shown = _fmt(value) + (f" {unit}" if unit and value is not None else "")
        mark = " (noisy)" if section in noisy else ""
        if check is None:
            table.append(Row(figure, shown, "", "reference" + mark))
            continue
        if value is None:
            target, _ = check(results) if section == "watch" else ("", None)
            table.append(Row(figure, shown, target, "n/a" + mark))
            continue
        target, ok = check(results)
        table.append(Row(figure, shown, target, _verdict(ok) + mark))
    return table


def verdicts(results: Results) -> dict[str, dict[str, str]]:
    return {
        row.figure: {"target": row.target, "verdict": row.verdict}
        for row in rows(results)
        if not row.verdict.startswith("reference")
    }


def noise_note(results: Results) -> str:
    """A line under the table for each noisy case: its load against the cores."""
    lines = []
    for case in noisy_cases(results):
        load = results[case]["load"]
        lines.append(
            f"(noisy) {case}: load average {load['before'][0]:.2f} before, "
            f"{load['after'][0]:.2f} after, on {load['cores']} cores: other work competed"
        )
    return "\n".join(lines)


def text_table(results: Results) -> str:
    table = rows(results)
    header = Row("figure", "value", "target", "verdict")
    columns = list(Row.__annotations__)
    widths = [max(len(getattr(row, column)) for row in [header, *table]) for column in columns]
    lines = []
    for row in [header, *table]:
        cells = [
            getattr(row, column).ljust(width) for column, width in zip(columns, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    note = noise_note(results)
    return "\n".join([*lines, *([note] if note else [])])


def markdown_table(results: Results) -> str:
    lines = ["| figure | value | target | verdict |", "| --- | --- | --- | --- |"]
    for row in rows(results):
        lines.append(f"| `{row.figure}` | {row.value} | {row.target} | {row.verdict} |")
    note = noise_note(results)
    return "\n".join([*lines, *(["", note] if note else [])])


def write(results: Results, path: Path) -> None:
    """Write atomically: an interrupted run never leaves half a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    os.replace(partial, path)


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json")
    print(markdown_table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
