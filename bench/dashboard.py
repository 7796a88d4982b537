"""Dashboard case (issue 15, item 9): the overview of 1000 objects rendered in Debian's headless
Chromium, and the page kept live under 100 events per second.

    .venv/bin/python -m bench.dashboard [--objects 1000] [--rate 100] [--seconds 20] [--force]

A daemon of its own (temporary home, TCP listener) holds `--objects` Configs spread over ten
namespaces: a kind with no engine object, so the figures are the dashboard's and not Docker's.
Chromium logs in over TCP like a user and loads `/` five times: the time from navigation to the
filtered table (`#shown` counting every object), median and worst. Then a writer records
`--rate` events per second into the daemon's store (each names one of the objects, as the
controller's do), the page follows them, and Chrome's own counters (CDP `Performance.getMetrics`:
`TaskDuration`, the page's main-thread busy time) give its CPU share over `--seconds`. Halfway
through, one Config is applied through the API and the time until its row shows is the live lag
under that load. It refuses to run when the load average exceeds 2 (a shared machine skews every
figure) unless `--force`. Prints the figures and writes bench/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from bench.daemon import BenchDaemon
from dockform.manifests.status import EventType
from dockform.store.repository import Store

CHROMIUM = "/usr/bin/chromium"
NAMESPACES = 10
RESULTS = Path(__file__).parent / "results" / "dashboard.json"
RENDER_BUDGET_S = 1.0
CPU_BUDGET = 0.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _manifests(count: int) -> str:
    return "---\n".join(
        f"apiVersion: dockform/v1\nkind: Config\nmetadata: {{name: cfg-{index:04d}, "
        f"namespace: bench-{index % NAMESPACES}, labels: {{app: a{index % 7}}}}}\n"
        f"spec: {{value: 'v{index}'}}\n"
        for index in range(count)
    )


def _wait_all_ready(daemon: BenchDaemon, count: int, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        items = daemon.client.list("configs", namespace=None)
        if len(items) == count and all(i["status"]["phase"] == "Ready" for i in items):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the {count} Configs were not Ready within {timeout_s:.0f}s")


def _render_times(page: Page, url: str, count: int, runs: int = 5) -> list[float]:
    times = []
    shown = f"document.querySelector('#shown')?.textContent.startsWith('{count} of {count}')"
    for _ in range(runs):
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(f"() => {shown}", timeout=60_000)
        times.append(time.perf_counter() - started)
    return times


def _write_events(store: Store, count: int, rate: float, until: float) -> int:
    """`rate` events a second, each naming one of the objects, until `until` (monotonic)."""
    written = 0
    started = time.monotonic()
    while time.monotonic() < until:
        index = written % count
        store.record_event(
            "Config",
            f"cfg-{index:04d}",
            EventType.NORMAL,
            "Bench",
            f"bench event {written}",
            namespace=f"bench-{index % NAMESPACES}",
        )
        written += 1
        lag = started + written / rate - time.monotonic()
        if lag > 0:
            time.sleep(lag)
    return written


def _task_duration(metrics: dict[str, Any]) -> float:
    return float(next(m["value"] for m in metrics["metrics"] if m["name"] == "TaskDuration"))


def _live(
    daemon: BenchDaemon, page: Page, store: Store, args: argparse.Namespace
) -> dict[str, Any]:
    session = page.context.new_cdp_session(page)
    session.send("Performance.enable")
    before = _task_duration(session.send("Performance.getMetrics"))
    started = time.monotonic()
    until = started + args.seconds
    written: list[int] = []
    writer = threading.Thread(
        target=lambda: written.append(_write_events(store, args.objects, args.rate, until))
    )
    writer.start()
    time.sleep(args.seconds / 2)
    probe_started = time.perf_counter()
    daemon.client.apply(
        "apiVersion: dockform/v1\nkind: Config\n"
        "metadata: {name: probe, namespace: bench-0}\nspec: {value: probe}\n"
    )
    page.wait_for_selector('tr[data-key="bench-0/Config/probe"]', timeout=60_000)
    probe_s = time.perf_counter() - probe_started
    writer.join()
    wall = time.monotonic() - started
    after = _task_duration(session.send("Performance.getMetrics"))
    return {
        "events_written": written[0] if written else 0,
        "events_per_s": (written[0] if written else 0) / wall,
        "page_cpu_cores": (after - before) / wall,
        "probe_row_shown_s": probe_s,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="dockform-bench-dash-"))
    port = _free_port()
    daemon = BenchDaemon(home, "--listen", f"tcp://127.0.0.1:{port}")
    store = Store.open(f"sqlite:///{home / 'dockform.db'}", migrate=False)
    url = f"http://127.0.0.1:{port}"
    try:
        daemon.client.apply(_manifests(args.objects))
        _wait_all_ready(daemon, args.objects)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url + "/ui/login")
            page.fill("#token", (home / "token").read_text().strip())
            page.click("#login")
            page.wait_for_url(url + "/")
            times = _render_times(page, url + "/", args.objects)
            page.wait_for_function("() => document.querySelector('#live').textContent === 'live'")
            live = _live(daemon, page, store, args)
            browser.close()
    finally:
        store.close()
        daemon.stop()
    return {
        "objects": args.objects,
        "render_s": {"median": statistics.median(times), "max": max(times), "runs": times},
        "rate_asked": args.rate,
        "seconds": args.seconds,
        **live,
        "load_average_1m_at_start": args.load,
        "budgets": {"render_s": RENDER_BUDGET_S, "page_cpu_cores": CPU_BUDGET},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--force", action="store_true", help="run even on a loaded machine")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.load = os.getloadavg()[0]
    if args.load > 2 and not args.force:
        print(
            f"load average {args.load:.2f} > 2: the figures would measure the other work on this "
            "machine; run again when it is quiet (or --force)",
            file=sys.stderr,
        )
        return 2
    figures = run(args)
    render = figures["render_s"]
    print(
        f"overview of {figures['objects']} objects: median {render['median']:.3f} s, "
        f"max {render['max']:.3f} s over {len(render['runs'])} loads (budget {RENDER_BUDGET_S} s)"
    )
    print(
        f"{figures['events_per_s']:.0f} events/s for {figures['seconds']:.0f} s: page main thread "
        f"{figures['page_cpu_cores']:.3f} cores (budget {CPU_BUDGET}); a new object's row "
        f"showed after {figures['probe_row_shown_s']:.2f} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
