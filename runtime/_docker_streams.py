"""Consumers of the Engine's JSON progress streams (build, pull, load) and of its events.

Used only by `runtime.docker_driver`. A stream reports failure in-band, as a chunk with
"error"/"errorDetail" after a 200 answer, so each consumer reads to the end and turns such a
chunk into a runtime error; build output is kept as a short tail for the error message.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from dockform.runtime._docker_convert import as_dict, event_action
from dockform.runtime._docker_errors import translate_errors
from dockform.runtime.errors import ImageBuildFailed, RuntimeFailure, RuntimeUnavailable
from dockform.runtime.types import RuntimeEvent

BUILD_LOG_TAIL_LINES = 20

EVENT_TYPES = ("container", "image", "network", "volume")

# How often the event watcher looks at the caller's stop flag, in seconds.
_STOP_POLL_S = 1.0

_LOADED_RE = re.compile(r"Loaded image(?: ID)?: (\S+)")


def _chunk_error(chunk: dict[str, Any]) -> str | None:
    if "error" in chunk:
        return str(chunk["error"]).strip()
    detail = chunk.get("errorDetail")
    if isinstance(detail, dict) and detail.get("message"):
        return str(detail["message"]).strip()
    return None


def consume_build(chunks: Iterable[dict[str, Any]], tag: str) -> str | None:
    """Read a build stream to its end; return the image id the builder announced, if any.

    Raises ImageBuildFailed with the last lines of output when a step fails.
    """
    tail: deque[str] = deque(maxlen=BUILD_LOG_TAIL_LINES)
    image_id: str | None = None
    for chunk in chunks:
        error = _chunk_error(chunk)
        if error is not None:
            tail.append(error)
            raise ImageBuildFailed(f"build of {tag} failed: {error}\n" + "\n".join(tail))
        for line in str(chunk.get("stream") or "").splitlines():
            if line.strip():
                tail.append(line.rstrip())
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            image_id = str(aux["ID"])
    return image_id


def consume_pull(chunks: Iterable[dict[str, Any]], ref: str) -> None:
    """Read a pull stream to its end; an in-band error becomes a RuntimeFailure."""
    for chunk in chunks:
        error = _chunk_error(chunk)
        if error is not None:
            raise RuntimeFailure(f"pull {ref}: {error}")


def consume_load(chunks: Iterable[dict[str, Any]], path: str) -> list[str]:
    """Read a load stream to its end; return the tags (or ids) the Engine says it loaded."""
    loaded: list[str] = []
    for chunk in chunks:
        error = _chunk_error(chunk)
        if error is not None:
            raise RuntimeFailure(f"load {path}: {error}")
        loaded.extend(_LOADED_RE.findall(str(chunk.get("stream") or "")))
    return loaded


def to_runtime_event(
    raw: dict[str, Any], types: tuple[str, ...] = EVENT_TYPES
) -> RuntimeEvent | None:
    """One decoded `GET /events` message as a RuntimeEvent; None for types we ignore."""
    event_type = str(raw.get("Type") or "")
    if event_type not in types:
        return None
    actor = as_dict(raw.get("Actor"))
    attributes = as_dict(actor.get("Attributes"))
    time_ns = raw.get("timeNano") or int(raw.get("time") or 0) * 1_000_000_000
    return RuntimeEvent(
        type=event_type,
        action=event_action(str(raw.get("Action") or raw.get("status") or "")),
        id=str(actor.get("ID") or raw.get("id") or ""),
        labels={str(k): str(v) for k, v in attributes.items()},
        time_ns=int(time_ns),
    )


def _close_quietly(stream: Any) -> None:
    # Closing a half-dead socket may fail in many ways; it is closed either way.
    with contextlib.suppress(Exception):
        stream.close()


def stream_events(
    api: Any, stop: threading.Event, types: tuple[str, ...] = EVENT_TYPES
) -> Iterator[RuntimeEvent]:
    """Yield engine events of `types` until `stop` is set; raise RuntimeUnavailable if the
    stream breaks.

    The read blocks until the Engine sends something, so a watcher thread closes the
    response as soon as `stop` is set: events arrive with no polling delay, and stopping
    takes at most one watcher poll.
    """
    with translate_errors("stream events"):
        stream = api.events(decode=True, filters={"type": list(types)})
    finished = threading.Event()

    def close_when_stopped() -> None:
        while not finished.is_set():
            if stop.wait(_STOP_POLL_S):
                break
        _close_quietly(stream)

    watcher = threading.Thread(target=close_when_stopped, name="dockform-events-stop", daemon=True)
    watcher.start()
    try:
        while not stop.is_set():
            try:
                raw = next(stream)
            except StopIteration:
                break
            except Exception as exc:
                if stop.is_set():
                    return
                raise RuntimeUnavailable(f"read events: {exc}") from exc
            if stop.is_set():
                return
            event = to_runtime_event(raw, types) if isinstance(raw, dict) else None
            if event is not None:
                yield event
        if not stop.is_set():
            raise RuntimeUnavailable("the Docker Engine closed the event stream")
    finally:
        finished.set()
        _close_quietly(stream)
