"""The two streamed answers: events as server-sent events, and container logs.

Events: the store is the only source (a GET never calls Docker), so a follower polls it with
a cursor (`since_id`) every `AppState.events_poll_s`; each event is one SSE message `id: <id>`
plus `data: <json>`, and a comment line is sent after `heartbeat_s` of silence so proxies keep
the connection and a gone client is noticed. The `id` lets a client resume with
`Last-Event-ID`. A repeat of an object's latest event only bumps its count in the store, so a
follower sees each event once.

Logs: the controller facade hands over a blocking iterator of bytes (Docker's stream, already
demultiplexed). It is drained by a thread of its own, not the shared worker pool, so followers
idling on quiet containers cannot starve the API's request threads; a bounded queue gives
back-pressure. When the client goes, the thread stops at the next chunk (or when Docker ends
the stream), because a read blocked inside the Docker SDK cannot be interrupted from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from dockform.api.deps import AppState

EVENTS_PER_POLL = 500
_LOG_QUEUE_CHUNKS = 64
_END = object()


def _expired(state: AppState, started: float) -> bool:
    limit = state.stream_limit_s
    return limit is not None and time.monotonic() - started >= limit


async def event_stream(
    request: Request,
    state: AppState,
    *,
    kind: str | None,
    name: str | None,
    since_id: int | None,
    limit: int,
    namespace: str | None = None,
) -> AsyncIterator[str]:
    """SSE messages: the latest `limit` events (or those after `since_id`), then new ones;
    of one namespace, or of all when `namespace` is None."""
    store = state.store
    started = last_write = time.monotonic()
    yield ": following dockform events\n\n"
    cursor = since_id
    if cursor is None:
        backlog = await run_in_threadpool(store.list_events, kind, name, None, limit, namespace)
        for event in backlog:
            yield _sse(event.id, event.model_dump_json(by_alias=True))
        cursor = backlog[-1].id if backlog else 0
    while not _expired(state, started):
        if await request.is_disconnected():
            return
        events = await run_in_threadpool(
            store.list_events, kind, name, cursor, EVENTS_PER_POLL, namespace
        )
        for event in events:
            yield _sse(event.id, event.model_dump_json(by_alias=True))
            cursor = event.id
        now = time.monotonic()
        if events:
            last_write = now
        elif now - last_write >= state.heartbeat_s:
            yield ": keepalive\n\n"
            last_write = now
        if len(events) < EVENTS_PER_POLL:
            await asyncio.sleep(state.events_poll_s)


def _sse(event_id: int, data: str) -> str:
    return f"id: {event_id}\ndata: {data}\n\n"


class _LogPump:
    """Moves chunks from a blocking iterator, in its own thread, to the event loop."""

    def __init__(self, chunks: Iterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = chunks
        self._loop = loop
        self.queue: queue.Queue[object] = queue.Queue(maxsize=_LOG_QUEUE_CHUNKS)
        self.ready = asyncio.Event()
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dockform-logs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    return
        except Exception as error:  # handed to the response, which ends the stream
            self._put(error)
        finally:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
            self._put(_END)

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.5)
            except queue.Full:
                continue
            with contextlib.suppress(RuntimeError):  # the loop is gone: daemon stopping
                self._loop.call_soon_threadsafe(self.ready.set)
            return True
        return False

    def next_now(self) -> object | None:
        try:
            return self.queue.get_nowait()
        except queue.Empty:
            return None


async def log_stream(
    request: Request, state: AppState, chunks: Iterator[bytes]
) -> AsyncIterator[bytes]:
    pump = _LogPump(chunks, asyncio.get_running_loop())
    pump.start()
    started = time.monotonic()
    try:
        while not _expired(state, started):
            item = pump.next_now()
            if item is None:
                pump.ready.clear()
                # Look again after clearing, so a chunk put in between is not missed.
                item = pump.next_now()
            if item is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(pump.ready.wait(), timeout=1.0)
                if await request.is_disconnected():
                    return
                continue
            if item is _END:
                return
            if isinstance(item, Exception):
                # Headers are sent already: all that can be said goes into the text.
                yield f"\n[dockform: log stream ended: {item}]\n".encode()
                return
            if isinstance(item, bytes):
                yield item
    finally:
        pump.stop.set()
