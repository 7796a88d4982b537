"""Docker helpers for the suite: the bench image, the event recorder, the floor and the sweep.

Every container the suite makes (through dockform, Compose or the floor) carries
`dockform.bench=1`, `dockform.bench.run=<pid>-<hex>` naming this run, and
`dockform.bench.peer=<dockform|compose|floor>`; the sweep removes them by those labels. The
floor is the docker SDK alone: create and start with a pool of 8 threads, no controller.

Timings end when the engine reports the work done, read from one event stream for all peers
(`EventRecorder`): the moment the bench receives the `start` event of the last container. The
same observer for every peer keeps the comparison fair; its own delay (a few ms) is in every
figure alike.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.utils
import requests

BENCH_LABEL = "dockform.bench"
RUN_LABEL = "dockform.bench.run"
PEER_LABEL = "dockform.bench.peer"
RUN_ID = f"{os.getpid()}-{secrets.token_hex(3)}"
# Short, DNS-label-safe tag for names: two runs on one engine never share a container name.
RUN_TAG = RUN_ID.split("-", 1)[1]

IMAGE = "dockform-bench/busybox:latest"
IMAGE_V2 = "dockform-bench/busybox:v2"
BUSYBOX = Path("/bin/busybox")
# `sleep` as PID 1 would ignore SIGTERM and make every stop wait out the grace period; the
# trap makes a graceful stop take milliseconds, for every peer alike.
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
STOP_GRACE_S = 10
FLOOR_THREADS = 8

DOCKERFILE = (
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
)


def run_labels(peer: str) -> dict[str, str]:
    return {BENCH_LABEL: "1", RUN_LABEL: RUN_ID, PEER_LABEL: peer}


def api_client(timeout: int = 120) -> Any:
    return docker.APIClient(version="auto", timeout=timeout, **docker.utils.kwargs_from_env())


# --- the image ---------------------------------------------------------------------------------


def build_images(api: Any) -> dict[str, str]:
    """Build the two bench images (same busybox; v2 differs by a label, so by id) once.

    Returns {tag: image id}. No registry is reachable here, so both are FROM scratch.
    """
    if not BUSYBOX.is_file():
        raise SystemExit(f"{BUSYBOX} is missing: install Debian's busybox-static (bench/run does)")
    ids: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="dockform-bench-image-") as context:
        shutil.copy2(BUSYBOX, Path(context) / "busybox")
        (Path(context) / "Dockerfile").write_text(DOCKERFILE)
        for tag, variant in ((IMAGE, "1"), (IMAGE_V2, "2")):
            repository, _, version = tag.rpartition(":")
            for chunk in api.build(
                path=context,
                tag=tag,
                labels={BENCH_LABEL: "1", "dockform.bench.variant": variant},
                rm=True,
                forcerm=True,
                decode=True,
            ):
                if "error" in chunk:
                    raise SystemExit(f"building {tag} failed: {chunk['error']}")
            ids[tag] = str(api.inspect_image(f"{repository}:{version}")["Id"])
    return ids


# --- the event recorder ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerEvent:
    at: float  # time.monotonic() when the bench received it
    action: str
    name: str
    image: str
    peer: str
    container_id: str


class EventRecorder:
    """Records the engine's container events for this run's label from `start()` on.

    `mark()` returns a position; `wait_started(mark, ...)` blocks until enough containers
    started after it and returns the receive time of the start event that completed the set.
    """

    def __init__(self) -> None:
        self._api = api_client(timeout=None)  # type: ignore[arg-type]
        self._events: list[ContainerEvent] = []
        self._changed = threading.Condition()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(self) -> None:
        # The call returns once the Engine answered, so the subscription is live from here on.
        self._stream = self._api.events(
            decode=True, filters={"type": "container", "label": [f"{RUN_LABEL}={RUN_ID}"]}
        )
        self._thread = threading.Thread(target=self._read, name="bench-events", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._stream:
                attributes = (raw.get("Actor") or {}).get("Attributes") or {}
                event = ContainerEvent(
                    at=time.monotonic(),
                    action=str(raw.get("Action") or raw.get("status") or ""),
                    name=str(attributes.get("name", "")),
                    image=str(attributes.get("image", "")),
                    peer=str(attributes.get(PEER_LABEL, "")),
                    container_id=str((raw.get("Actor") or {}).get("ID") or raw.get("id") or ""),
                )
                with self._changed:
                    self._events.append(event)
                    self._changed.notify_all()
        except Exception as error:  # the stream closes on stop(); anything else is a failure
            with self._changed:
                self._failure = error
                self._changed.notify_all()

    def stop(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(Exception):  # closing a half-read stream may fail
                self._stream.close()
        self._api.close()

    def mark(self) -> int:
        with self._changed:
            return len(self._events)

    def since(self, mark: int) -> list[ContainerEvent]:
        with self._changed:
            return list(self._events[mark:])

    def wait_started(
        self,
        mark: int,
        count: int,
        *,
        peer: str | None = None,
        names: Iterable[str] | None = None,
        image: str | None = None,
        timeout_s: float = 300.0,
    ) -> float:
        """Monotonic time at which `count` distinct matching containers had started."""
        wanted = set(names) if names is not None else None

        def matches(event: ContainerEvent) -> bool:
            return (
                event.action == "start"
                and (peer is None or event.peer == peer)
                and (wanted is None or event.name in wanted)
                and (image is None or event.image == image)
            )

        return self._wait(mark, count, matches, timeout_s, f"{count} started ({peer or names})")

    def _wait(
        self,
        mark: int,
        count: int,
        matches: Callable[[ContainerEvent], bool],
        timeout_s: float,
        what: str,
    ) -> float:
        deadline = time.monotonic() + timeout_s
        seen: set[str] = set()
        position = mark
        with self._changed:
            while True:
                while position < len(self._events):
                    event = self._events[position]
                    position += 1
                    if matches(event):
                        seen.add(event.name)
                        if len(seen) >= count:
                            return event.at
                if self._failure is not None:
                    raise RuntimeError(f"the Docker event stream broke: {self._failure}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"timed out after {timeout_s:.0f}s waiting for {what}: "
                        f"{len(seen)} of {count} seen"
                    )
                self._changed.wait(min(remaining, 1.0))


REPAIR_LOOKBACK_S = 60.0


@dataclass(frozen=True)
class EventCount:
    counts: dict[str, int]  # every event of the peer's containers in the window, per action
    repairs: dict[str, int]  # of those, the removals by someone else and their replacement


def count_events(
    api: Any, since: float, until: float, peer: str, actions: Sequence[str]
) -> EventCount:
    """Container events of `peer` in [since, until] (epoch seconds, fractional), per action.

    Asks the Engine's event log afresh, so it counts whatever caused them. It also sets apart
    repairs: a container removed without a `stop` and then created again under its name.
    dockform stops a container before it replaces it, so such a removal came from outside
    (another dockform daemon without --label garbage-collects the bench's containers), and
    neither it nor the repair is the re-apply's doing.
    """
    # Read from a while before the window, so that a repair already under way when it opened
    # is known as one; only events inside the window are counted.
    timed_events = [
        (
            int(raw.get("timeNano") or 0) / 1e9,
            str(raw.get("Action") or raw.get("status") or ""),
            str((raw.get("Actor") or {}).get("ID") or raw.get("id") or ""),
            str(((raw.get("Actor") or {}).get("Attributes") or {}).get("name", "")),
        )
        for raw in api.events(
            since=f"{since - REPAIR_LOOKBACK_S:.9f}",
            until=f"{until:.9f}",
            decode=True,
            filters={
                "type": "container",
                "label": [f"{RUN_LABEL}={RUN_ID}", f"{PEER_LABEL}={peer}"],
            },
        )
    ]
    events = [(action, container_id, name) for _, action, container_id, name in timed_events]
    stopped = {container_id for action, container_id, _ in events if action == "stop"}
    removed: dict[str, str] = {}  # name -> id destroyed without a stop, not yet replaced
    repaired: set[str] = set()  # ids of those replaced, and of their replacements
    for action, container_id, name in events:
        if action == "destroy" and container_id not in stopped:
            removed[name] = container_id
        elif action == "create" and name in removed:
            repaired |= {removed.pop(name), container_id}
    counts = dict.fromkeys(actions, 0)
    repairs = dict.fromkeys(actions, 0)
    for at, action, container_id, _ in timed_events:
        if action in counts and at >= since:
            counts[action] += 1
            if container_id in repaired:
                repairs[action] += 1
    return EventCount(counts, repairs)


# --- the floor: the docker SDK alone -----------------------------------------------------------


class Floor:
    """What the Engine allows with no controller at all: SDK calls on 8 threads."""

    peer = "floor"

    def __init__(self, api: Any) -> None:
        self._api = api
        self._pool = ThreadPoolExecutor(FLOOR_THREADS, thread_name_prefix="bench-floor")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def names(self, count: int, prefix: str = "f") -> list[str]:
        return [f"b{prefix}{RUN_TAG}-{index}" for index in range(count)]

    def create_start(self, name: str, image: str = IMAGE) -> str:
        created = self._api.create_container(
            image,
            COMMAND,
            name=name,
            labels=run_labels(self.peer),
            host_config=self._api.create_host_config(restart_policy={"Name": "always"}),
            stop_timeout=STOP_GRACE_S,
            detach=True,
        )
        container_id = str(created["Id"])
        self._api.start(container_id)
        return container_id

    def create_start_all(self, names: Sequence[str], image: str = IMAGE) -> list[str]:
        return list(self._pool.map(lambda name: self.create_start(name, image), names))

    def replace(self, container_id: str, name: str, image: str) -> str:
        """What a recreate must do: stop gracefully, remove, create, start."""
        self._api.stop(container_id, timeout=STOP_GRACE_S)
        self._api.remove_container(container_id, v=True, force=True)
        return self.create_start(name, image)

    def replace_all(self, ids: Sequence[str], names: Sequence[str], image: str) -> list[str]:
        return list(
            self._pool.map(
                lambda pair: self.replace(pair[0], pair[1], image), zip(ids, names, strict=True)
            )
        )

    def remove_all(self, ids: Iterable[str]) -> None:
        list(self._pool.map(lambda cid: remove_quietly(self._api, cid), ids))


def remove_quietly(api: Any, container_id: str, attempts: int = 3) -> None:
    """Force-remove a container; gone already is fine. A busy Engine can let one call run past
    the client's timeout (seen with other suites on the same dockerd): try again."""
    for attempt in range(attempts):
        try:
            api.remove_container(container_id, v=True, force=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as error:
            if "already in progress" not in str(error):
                raise
            return
        except requests.exceptions.Timeout:
            if attempt == attempts - 1:
                raise


def running_names(api: Any, peer: str) -> set[str]:
    summaries = api.containers(
        filters={"label": [f"{RUN_LABEL}={RUN_ID}", f"{PEER_LABEL}={peer}"], "status": "running"}
    )
    return {str(summary["Names"][0]).lstrip("/") for summary in summaries}


def peer_container_ids(api: Any, peer: str) -> list[str]:
    summaries = api.containers(
        all=True, filters={"label": [f"{RUN_LABEL}={RUN_ID}", f"{PEER_LABEL}={peer}"]}
    )
    return [str(summary["Id"]) for summary in summaries]


# --- the sweep ---------------------------------------------------------------------------------


def owner_is_live(owner: str) -> bool:
    """Whether the process named by an owner tag `<pid>-<random>` (a bench run's RUN_ID, a test
    session's SESSION_ID) still runs on this host; its objects are garbage once it is gone."""
    pid_text = owner.split("-", 1)[0]
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _selected(summary: dict[str, Any], this_run: bool) -> bool:
    owner = str((summary.get("Labels") or {}).get(RUN_LABEL, ""))
    if this_run:
        return owner == RUN_ID
    return bool(owner) and not owner_is_live(owner)


def sweep(api: Any, *, this_run: bool) -> int:
    """Remove bench containers and networks: this run's, or those of runs no longer alive.

    Returns how many objects went. Images are removed by `remove_images` at the very end.
    """
    removed = 0
    containers = api.containers(all=True, filters={"label": [f"{BENCH_LABEL}=1"]})
    for summary in containers:
        if _selected(summary, this_run):
            remove_quietly(api, str(summary["Id"]))
            removed += 1
    for network in api.networks(filters={"label": [f"{BENCH_LABEL}=1"]}):
        if _selected(network, this_run):
            try:
                api.remove_network(network["Id"])
                removed += 1
            except docker.errors.APIError:
                pass
    return removed


def other_live_runs(api: Any) -> bool:
    """Whether another bench run on this engine still has containers (it uses the images)."""
    for summary in api.containers(all=True, filters={"label": [f"{BENCH_LABEL}=1"]}):
        owner = (summary.get("Labels") or {}).get(RUN_LABEL, "")
        if owner and owner != RUN_ID and owner_is_live(owner):
            return True
    return False


def remove_images(api: Any) -> None:
    if other_live_runs(api):
        return
    for tag in (IMAGE_V2, IMAGE):
        with contextlib.suppress(docker.errors.APIError):  # still used by something else
            api.remove_image(tag, force=False)
