"""The Engine driver's image answers: kept only while an event stream is read, dropped at
every image event and every image call of the driver's own."""

from __future__ import annotations

import threading

from dockform.runtime._image_cache import ImageCache
from dockform.runtime.types import ImageInfo


class Engine:
    def __init__(self) -> None:
        self.calls = 0
        self.image_id = "sha256:one"

    def inspect(self, ref: str) -> ImageInfo | None:
        self.calls += 1
        return ImageInfo(id=self.image_id, tags=(ref,), labels={}) if self.image_id else None


def test_nothing_is_kept_without_a_live_event_stream() -> None:
    cache, engine = ImageCache(), Engine()
    cache.inspect("app:1", engine.inspect)
    cache.inspect("app:1", engine.inspect)
    assert engine.calls == 2


def test_answers_are_kept_while_a_stream_runs_and_dropped_on_change() -> None:
    cache, engine = ImageCache(), Engine()
    cache.stream_started()
    assert cache.inspect("app:1", engine.inspect).id == "sha256:one"  # type: ignore[union-attr]
    assert cache.inspect("app:1", engine.inspect).id == "sha256:one"  # type: ignore[union-attr]
    assert engine.calls == 1
    engine.image_id = "sha256:two"  # an image event (or a build of the driver's) follows
    cache.forget()
    assert cache.inspect("app:1", engine.inspect).id == "sha256:two"  # type: ignore[union-attr]
    engine.image_id = ""  # removed: "not found" is an answer too
    cache.forget()
    assert cache.inspect("app:1", engine.inspect) is None
    assert cache.inspect("app:1", engine.inspect) is None
    assert engine.calls == 3
    cache.stream_ended()  # the stream broke: nothing kept from here on
    cache.inspect("app:1", engine.inspect)
    assert engine.calls == 4


def test_an_answer_fetched_across_a_change_is_not_kept() -> None:
    cache, engine = ImageCache(), Engine()
    cache.stream_started()
    fetching, changed = threading.Event(), threading.Event()

    def slow(ref: str) -> ImageInfo | None:
        fetching.set()
        changed.wait(5)
        return engine.inspect(ref)

    reader = threading.Thread(target=cache.inspect, args=("app:1", slow))
    reader.start()
    fetching.wait(5)
    cache.forget()  # an image event lands while the inspect is under way
    changed.set()
    reader.join(5)
    cache.inspect("app:1", engine.inspect)
    assert engine.calls == 2  # the answer from before the event was not reused
