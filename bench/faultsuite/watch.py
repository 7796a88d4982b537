"""watch: random writes, partial writes, renames and deletes in a watched directory.

A daemon runs with `--watch DIR`. Each file holds 3 Containers whose metadata labels name the
file and a version (new at every write of the file; kept out of the spec so a write does not
recreate containers). For the case's duration, random operations hit the files: a whole write,
a write in two chunks with a pause (held open, or closed in between with the cut mid-document),
a write to a temporary name and a rename, a broken file (then the good one again), a delete and
a re-create. `keeper.yaml` is never deleted. A thread reads the store through the API every
50 ms: a file's live objects (deletion not requested) must be all 3 of one version, else the
snapshot shows a partial apply; the keeper's objects must never be fewer than 3 (removed by a
bad file). One partial apply stays visible in every snapshot until the next apply of its file,
so the figures count applies (a file going from whole to partial, or from one partial state to
another), and the snapshots are kept beside them. As polling can miss an apply undone within
50 ms, the daemon's own record counts too: no operation here removes a document from a file
(a deleted file is a `Deleted` event), so every `Applied` Source event that prunes an object
is a partial apply. At the end, every file's objects must reach its last version within 30 s.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    VERSION_LABEL,
    Sizes,
    container,
    dump,
    our_containers,
    reference,
    say,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon

CASE = "watch"
FILE_LABEL = "dockform.faults.file"
PER_FILE = 3
FILES = ("keeper", "alpha", "beta", "gamma")
OPERATIONS = ("whole", "held", "reopened", "rename", "broken", "delete")


def document(stem: str, version: int) -> str:
    documents = []
    for index in range(PER_FILE):
        item = container(f"w-{stem}-{index}", CASE)
        item["metadata"]["labels"] = {FILE_LABEL: stem, VERSION_LABEL: str(version)}
        documents.append(item)
    return dump(documents)


class Observer(threading.Thread):
    def __init__(self, daemon: FaultDaemon) -> None:
        super().__init__(daemon=True)
        self._daemon = daemon
        self.stopped = threading.Event()
        self.snapshots = 0
        self.partial: list[str] = []  # one per partial apply seen
        self.partial_snapshots = 0
        self.keeper_short: list[str] = []  # one per time the keeper lost objects
        self.keeper_short_snapshots = 0
        self._shown: dict[str, list[str]] = {}  # stem -> the partial versions it shows now
        self._keeper_was_short = False
        self.failed_reads = 0
        self.last_operation: dict[str, str] = {}  # stem -> the operation under way or last done
        self.by_operation: dict[str, int] = {}  # partial snapshots per operation that caused them

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            items = self._daemon.items()
            if items is None:
                self.failed_reads += 1
                continue
            self.snapshots += 1
            groups: dict[str, list[str]] = {}
            for item in items:
                if item.get("deletionRequestedAt"):
                    continue
                labels = item.get("labels") or {}
                groups.setdefault(labels.get(FILE_LABEL, "?"), []).append(
                    str(labels.get(VERSION_LABEL))
                )
            for stem in set(groups) | set(self._shown):
                self._look(stem, sorted(groups.get(stem, [])))
            keeper = len(groups.get("keeper", []))
            short = keeper < PER_FILE
            self.keeper_short_snapshots += short
            if short and not self._keeper_was_short:
                self.keeper_short.append(f"keeper has {keeper}")
            self._keeper_was_short = short

    def _look(self, stem: str, versions: list[str]) -> None:
        whole = not versions or (len(set(versions)) == 1 and len(versions) == PER_FILE)
        if whole:
            self._shown.pop(stem, None)
            return
        self.partial_snapshots += 1
        if self._shown.get(stem) == versions:
            return  # the same partial apply, seen again
        self._shown[stem] = versions
        operation = self.last_operation.get(stem, "?")
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
        self.partial.append(f"{stem} after {operation}: versions {versions}")


def operate(
    rng: random.Random, directory: Path, stem: str, version: int, observer: Observer
) -> tuple[str, bool]:
    """One random operation on `stem`.yaml; returns it and whether the file exists after."""
    path = directory / f"{stem}.yaml"
    choices = [op for op in OPERATIONS if not (op == "delete" and stem == "keeper")]
    operation = rng.choice(choices) if path.exists() else "whole"
    observer.last_operation[stem] = operation
    text = document(stem, version)
    if operation == "whole":
        path.write_text(text)
    elif operation == "held":
        cut = rng.randint(1, len(text) - 1)
        with path.open("w") as handle:
            handle.write(text[:cut])
            handle.flush()
            time.sleep(rng.uniform(0.05, 0.4))
            handle.write(text[cut:])
    elif operation == "reopened":
        cut = rng.randint(1, len(text) - 1)
        path.write_text(text[:cut])
        time.sleep(rng.uniform(0.05, 0.4))
        with path.open("a") as handle:
            handle.write(text[cut:])
    elif operation == "rename":
        temporary = directory / f".{stem}.tmp"
        temporary.write_text(text)
        os.replace(temporary, path)
    elif operation == "broken":
        path.write_text("apiVersion: dockform/v1\nkind: [Container\nmetadata: {name: x\n")
        time.sleep(rng.uniform(0.05, 0.5))
        path.write_text(text)
    else:
        path.unlink()
        return operation, False
    return operation, True


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    rng = random.Random(2016)
    watched = workdir / "watched"
    watched.mkdir()
    versions: dict[str, int] = {}
    for stem in FILES:
        versions[stem] = 1
        (watched / f"{stem}.yaml").write_text(document(stem, 1))
    daemon = FaultDaemon(workdir / "home", CASE, "--watch", str(watched))
    observer = Observer(daemon)
    counts: dict[str, int] = {}
    exists = dict.fromkeys(FILES, True)
    try:
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        if not wait_for(lambda: len(daemon.items() or []) == PER_FILE * len(FILES), 60, 0.2):
            raise RuntimeError("the watched files never applied")
        observer.start()
        deadline = time.monotonic() + sizes.watch_s
        while time.monotonic() < deadline:
            stem = rng.choice(FILES)
            versions[stem] += 1
            operation, exists[stem] = operate(rng, watched, stem, versions[stem], observer)
            counts[operation] = counts.get(operation, 0) + 1
            time.sleep(rng.uniform(0.05, 0.5))
        settled = wait_for(lambda: final_state_ok(daemon, versions, exists), 30, 0.2)
        observer.stopped.set()
        observer.join(5)
        pruning = pruning_applies(daemon)
        running = len(our_containers(api, CASE, running_only=True))
        say(f"watch: {sum(counts.values())} operations, {observer.snapshots} snapshots")
    finally:
        observer.stopped.set()
        for path in watched.glob("*.yaml"):
            path.unlink()
        wait_for(lambda: daemon.items() == [], 60, 0.2)
        daemon.delete_everything()
        daemon.close()
    return {
        "figures": [
            reference("operations", sum(counts.values())),
            reference("store snapshots read", observer.snapshots),
            zero("partial applies seen", len(observer.partial)),
            zero("applies that pruned (the daemon's Source events)", len(pruning)),
            zero("running apps removed by a bad file", len(observer.keeper_short)),
            zero("files not at their last version 30 s after", 0 if settled else 1),
        ],
        "operations": counts,
        "partial_snapshots_by_operation": observer.by_operation,
        "partial_examples": observer.partial[:20],
        "partial_snapshots": observer.partial_snapshots,
        "pruning_apply_examples": pruning[:20],
        "keeper_short_examples": observer.keeper_short[:20],
        "keeper_short_snapshots": observer.keeper_short_snapshots,
        "failed_reads": observer.failed_reads,
        "running_containers_at_end": running,
        "method": (
            f"{sizes.watch_s:.0f} s of random operations ({', '.join(OPERATIONS)}) on "
            f"{len(FILES)} files of {PER_FILE} Containers each in a watched directory, 0.05-0.5 s "
            "apart; the store read through the API every 50 ms"
        ),
    }


def pruning_applies(daemon: FaultDaemon) -> list[str]:
    """The messages of `Applied` Source events that pruned an object, every event read."""
    found: list[str] = []
    since = 0
    while True:
        try:
            page = daemon.client.events(kind="Source", since_id=since, limit=1000)
        except Exception as error:
            return [*found, f"the events could not be read: {error}"]
        found += [
            str(event["message"])
            for event in page
            if event.get("reason") == "Applied" and " pruned" in str(event.get("message"))
        ]
        if len(page) < 1000:
            return found
        since = int(page[-1]["id"])


def final_state_ok(daemon: FaultDaemon, versions: dict[str, int], exists: dict[str, bool]) -> bool:
    items = daemon.items()
    if items is None:
        return False
    seen: dict[str, set[str]] = {}
    for item in items:
        if item.get("deletionRequestedAt"):
            continue
        labels = item.get("labels") or {}
        seen.setdefault(labels.get(FILE_LABEL, "?"), set()).add(str(labels.get(VERSION_LABEL)))
    wanted = {stem: {str(versions[stem])} for stem in versions if exists[stem]}
    return seen == wanted
