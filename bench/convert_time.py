"""`dockform convert` timing (issue 11): "convert of a 15-service project takes under 1 s
beyond the normaliser's own time". A figure, not a timed test.

`python -m bench.convert_time [--services 15] [--repeat 7] [--out FILE]` (or `bench/convert`)
generates a project of that many services shaped like a real one (builds with args and target,
healthchecks, depends_on conditions, two networks, named volumes, env_file, anchors, a
profile), then times, each `--repeat` times, median and max:

- `normaliser`: Docker Compose v2's `config --format json` alone, as a subprocess;
- `convert`: the whole `dockform convert -f ...` command as a user runs it (Python start-up,
  imports, finding Compose, the normaliser, the translation, YAML out);
- `translate`: the translation and YAML rendering alone, in this process.

`convert - normaliser` is the figure beside the 1 s target. No Docker Engine is needed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dockform.manifests.compose import translate
from dockform.sources.compose_normaliser import find_normaliser

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0


def project_text(services: int) -> str:
    """A compose file of `services` services: a db and a cache, the rest app services in
    turn web, worker and job, on front/back networks."""
    lines = [
        "name: benchapp",
        "x-app: &app",
        "  build:",
        "    context: ./app",
        "    target: runtime",
        '    args: {VERSION: "${VERSION:-1.0}"}',
        "  image: benchapp/app:${VERSION:-1.0}",
        "  env_file: [app.env]",
        "  restart: unless-stopped",
        "  labels: {com.example.app: benchapp}",
        '  deploy: {resources: {limits: {memory: 256M, cpus: "0.5"}}}',
        "services:",
        "  db:",
        "    image: postgres:16-alpine",
        '    environment: {POSTGRES_PASSWORD: "${DB_PASSWORD:-secret}"}',
        "    volumes: [dbdata:/var/lib/postgresql/data]",
        "    networks: [back]",
        "    healthcheck: {test: [CMD-SHELL, pg_isready], interval: 5s, retries: 10}",
        "  cache:",
        "    image: redis:7-alpine",
        "    networks: [back]",
        "    tmpfs: [/data]",
    ]
    for index in range(services - 2):
        role = ("web", "worker", "job")[index % 3]
        name = f"{role}{index}"
        lines += [
            f"  {name}:",
            "    <<: *app",
            f'    command: ["run", "{role}", "--id", "{index}"]',
            f'    environment: {{ROLE: {role}, INDEX: "{index}"}}',
            "    networks: [front, back]" if role == "web" else "    networks: [back]",
            "    depends_on:",
            "      db: {condition: service_healthy}",
            "      cache: {condition: service_started}",
            f'    volumes: ["./config/{role}.conf:/etc/app/{role}.conf:ro", media:/media]',
        ]
        if role == "web":
            lines += [
                f'    ports: ["127.0.0.1:{8000 + index}:8080"]',
                "    healthcheck: {test: [CMD, wget, -q, -O, /dev/null, http://127.0.0.1:8080/],"
                " interval: 10s}",
            ]
        if role == "job":
            lines += ["    profiles: [jobs]", '    restart: "no"']
    lines += [
        "networks: {front: {}, back: {internal: true}}",
        "volumes: {dbdata: {}, media: {}}",
    ]
    return "\n".join(lines) + "\n"


def write_project(directory: Path, services: int) -> Path:
    (directory / "app").mkdir()
    (directory / "app" / "Dockerfile").write_text("FROM scratch AS runtime\n")
    (directory / "config").mkdir()
    (directory / "app.env").write_text("LOG_LEVEL=info\nTZ=UTC\n")
    compose_file = directory / "compose.yaml"
    compose_file.write_text(project_text(services))
    return compose_file


def timed(repeat: int, action: Callable[[], Any]) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return {"median_s": statistics.median(samples), "max_s": max(samples)}


def measure(services: int, repeat: int) -> dict[str, Any]:
    normaliser = find_normaliser()
    with tempfile.TemporaryDirectory(prefix="dockform-convert-bench-") as workdir:
        compose_file = write_project(Path(workdir), services)
        files = [str(compose_file)]
        profiles = ["jobs"]
        project = normaliser.config(files, profiles=profiles).project
        assert len(project["services"]) == services, sorted(project["services"])
        command = [sys.executable, "-m", "dockform", "convert", "-f", files[0], "--profile", "jobs"]

        def convert() -> None:
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)

        normalise = timed(repeat, lambda: normaliser.config(files, profiles=profiles))
        whole = timed(repeat, convert)
        translation = timed(repeat, lambda: translate(project).yaml())
        documents = len(translate(project).documents)
    overhead = whole["median_s"] - normalise["median_s"]
    return {
        "services": services,
        "documents": documents,
        "repeat": repeat,
        "compose": " ".join(normaliser.command),
        "compose_version": normaliser.compose_version(),
        "normaliser": normalise,
        "convert": whole,
        "translate": translation,
        "convert_beyond_normaliser_s": overhead,
        "target_s": TARGET_S,
        "meets": overhead < TARGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/convert", description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "convert.json")
    args = parser.parse_args(argv)
    result = measure(args.services, args.repeat)
    print(
        f"convert of a {result['services']}-service project ({result['documents']} manifests), "
        f"median of {result['repeat']}, Docker Compose {result['compose_version']}:\n"
        f"  normaliser alone (compose config --format json)  "
        f"{result['normaliser']['median_s']:.3f} s (max {result['normaliser']['max_s']:.3f})\n"
        f"  dockform convert, whole command                  "
        f"{result['convert']['median_s']:.3f} s (max {result['convert']['max_s']:.3f})\n"
        f"  translation + YAML alone, in process             "
        f"{result['translate']['median_s'] * 1000:.1f} ms\n"
        f"  convert beyond the normaliser                    "
        f"{result['convert_beyond_normaliser_s']:.3f} s (target < {TARGET_S:.0f} s: "
        f"{'meets' if result['meets'] else 'MISSES'})"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
