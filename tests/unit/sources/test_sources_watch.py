"""sources.watch with real watchdog (inotify) on tmp_path: events, half-written files, renames,
editor saves, deletions, directories moved in and out, and the rescan."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockform.sources.directory import DirectorySync
from dockform.sources.watch import DirectoryWatcher
from dockform.store.apply import Applier
from dockform.store.repository import Store
from dockform.store.types import Resource

Doc = Callable[..., str]
Wait = Callable[..., object]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    watched = tmp_path / "watched"
    watched.mkdir()
    return watched


@pytest.fixture
def watcher(applier: Applier, store: Store, root: Path) -> Iterator[DirectoryWatcher]:
    # A rescan interval far beyond any test: what happens here is driven by events.
    running = DirectoryWatcher(DirectorySync(applier, [str(root)]), rescan_s=3600)
    running.start()
    yield running
    running.stop()


def _started(watcher: DirectoryWatcher, wait: Wait) -> None:
    wait("the start scan", lambda: watcher.scans >= 1)


def _container(store: Store, name: str) -> Resource | None:
    return store.get("Container", name)


def test_a_dropped_file_is_applied(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    _started(watcher, wait)
    (root / "app.yaml").write_text(doc("web"))
    web = wait("Container/web", lambda: _container(store, "web"))
    assert isinstance(web, Resource) and web.source == "dir:app.yaml"


def test_a_file_written_in_pieces_is_never_applied_half_written(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    _started(watcher, wait)
    with (root / "app.yaml").open("w") as handle:
        # The first piece alone is a valid manifest: applying it would make a generation.
        handle.write(doc("web"))
        handle.flush()
        time.sleep(0.6)  # far longer than the debounce, with the file still open
        handle.write("  env: {GREETING: whole}\n---\n" + doc("db"))
    wait("Container/db", lambda: _container(store, "db"))
    web = _container(store, "web")
    assert web is not None and web.spec["env"] == {"GREETING": "whole"}
    assert [revision.generation for revision in store.list_revisions("Container", "web")] == [1]


def test_a_file_closed_half_written_and_finished_later_never_removes_an_app(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    path = root / "app.yaml"
    path.write_text(doc("web") + "---\n" + doc("db"))
    _started(watcher, wait)
    wait("Container/db", lambda: _container(store, "db"))
    whole = doc("web", env="two") + "---\n" + doc("db", env="two")
    # Written up to the second document and closed (valid, without db), then reopened and
    # finished well after the debounce.
    path.write_text(whole[: whole.index("---")])
    time.sleep(0.5)
    with path.open("a") as handle:
        handle.write(whole[whole.index("---") :])

    def finished() -> Resource | None:
        db = _container(store, "db")
        return db if db is not None and db.generation == 2 else None

    db = wait("Container/db at generation 2", finished)
    assert isinstance(db, Resource) and not db.deleting
    assert [rev.generation for rev in store.list_revisions("Container", "db")] == [1, 2]
    messages = [event.message for event in store.list_events(kind="Source")]
    assert not any("pruned" in message for message in messages)


def test_a_removal_is_applied_once_the_file_settles(
    applier: Applier, store: Store, root: Path, doc: Doc, wait: Wait
) -> None:
    path = root / "app.yaml"
    path.write_text(doc("web") + "---\n" + doc("db"))
    watcher = DirectoryWatcher(DirectorySync(applier, [str(root)], settle_s=0.5), rescan_s=3600)
    watcher.start()
    try:
        _started(watcher, wait)
        wait("Container/db", lambda: _container(store, "db"))
        written = time.monotonic()
        path.write_text(doc("web"))
        wait("Container/db deleting", lambda: _container(store, "db").deleting)  # type: ignore[union-attr]
        assert time.monotonic() - written >= 0.5
    finally:
        watcher.stop()
    web = _container(store, "web")
    assert web is not None and not web.deleting


def test_an_atomic_rename_applies_the_complete_file_and_ignores_the_temporary(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    _started(watcher, wait)
    temporary = root / ".app.yaml.tmp-1234"
    temporary.write_text("this: is: not: yaml: [\n")  # half-way: never looked at
    temporary.write_text(doc("web"))
    os.rename(temporary, root / "app.yaml")
    wait("Container/web", lambda: _container(store, "web"))
    assert [source.name for source in store.list_sources()] == ["dir:app.yaml"]


def test_an_editor_save_replaces_without_deleting(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    path = root / "app.yaml"
    path.write_text(doc("web", env="one"))
    _started(watcher, wait)
    wait("Container/web", lambda: _container(store, "web"))
    # vim: swap file, write test, rename the original to a backup, write anew, drop the backup.
    (root / ".app.yaml.swp").write_bytes(b"b0VIM 9.0\x00\x00binary")
    os.rename(path, root / "app.yaml~")
    path.write_text(doc("web", env="two"))
    (root / "app.yaml~").unlink()
    (root / ".app.yaml.swp").unlink()

    def updated() -> Resource | None:
        web = _container(store, "web")
        return web if web is not None and web.generation == 2 else None

    web = wait("Container/web at generation 2", updated)
    assert isinstance(web, Resource) and not web.deleting
    reasons = [event.reason for event in store.list_events(kind="Source")]
    assert "Deleted" not in reasons and "InvalidManifest" not in reasons
    assert [source.name for source in store.list_sources()] == ["dir:app.yaml"]


def test_a_broken_save_keeps_the_objects_and_shows_the_error(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    path = root / "app.yaml"
    path.write_text(doc("web"))
    _started(watcher, wait)
    wait("Container/web", lambda: _container(store, "web"))
    path.write_text("apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web\n")
    record = wait(
        "the source error",
        lambda: (
            (store.get_source("dir:app.yaml") or None)
            and store.get_source("dir:app.yaml").last_error
        ),  # type: ignore[union-attr]
    )
    assert str(path) in str(record)
    web = _container(store, "web")
    assert web is not None and not web.deleting


def test_deleting_the_file_deletes_its_objects(
    store: Store, root: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    (root / "app.yaml").write_text(doc("web"))
    _started(watcher, wait)
    wait("Container/web", lambda: _container(store, "web"))
    (root / "app.yaml").unlink()
    wait("Container/web deleting", lambda: _container(store, "web").deleting)  # type: ignore[union-attr]


def test_directories_moved_in_and_out(
    store: Store, root: Path, tmp_path: Path, watcher: DirectoryWatcher, doc: Doc, wait: Wait
) -> None:
    _started(watcher, wait)
    outside = tmp_path / "staging" / "team"
    (outside / "nested").mkdir(parents=True)
    (outside / "nested" / "app.yaml").write_text(doc("web"))
    os.rename(outside, root / "team")
    wait("Container/web", lambda: _container(store, "web"))
    assert store.get("Container", "web").source == "dir:team/nested/app.yaml"  # type: ignore[union-attr]

    os.rename(root / "team", tmp_path / "gone")  # moved out: inotify says only "directory gone"
    wait("Container/web deleting", lambda: _container(store, "web").deleting)  # type: ignore[union-attr]


def test_the_start_scan_catches_what_changed_while_stopped(
    applier: Applier, store: Store, root: Path, doc: Doc, wait: Wait
) -> None:
    (root / "keep.yaml").write_text(doc("kept"))
    (root / "gone.yaml").write_text(doc("gone"))
    first = DirectoryWatcher(DirectorySync(applier, [str(root)]), rescan_s=3600)
    first.start()
    wait("first scan", lambda: first.scans >= 1)
    first.stop()
    assert _container(store, "gone") is not None

    (root / "gone.yaml").unlink()
    (root / "keep.yaml").write_text(doc("kept", env="changed"))
    (root / "new.yaml").write_text(doc("new"))
    second = DirectoryWatcher(DirectorySync(applier, [str(root)]), rescan_s=3600)
    second.start()
    try:
        wait("second scan", lambda: second.scans >= 1)
    finally:
        second.stop()
    assert _container(store, "gone").deleting  # type: ignore[union-attr]
    assert _container(store, "kept").generation == 2  # type: ignore[union-attr]
    assert _container(store, "new") is not None


def test_the_periodic_rescan_applies_without_events(
    applier: Applier, store: Store, root: Path, doc: Doc, wait: Wait
) -> None:
    class NoEvents:
        """An observer that never reports anything: only the rescan can find changes."""

        def schedule(self, *args: object, **kwargs: object) -> object:
            return object()

        def unschedule(self, watch: object) -> None: ...

        def start(self) -> None: ...

        def stop(self) -> None: ...

        def join(self, timeout: float | None = None) -> None: ...

    watcher = DirectoryWatcher(
        DirectorySync(applier, [str(root)]), rescan_s=0.2, observer_factory=NoEvents
    )
    watcher.start()
    try:
        wait("first scan", lambda: watcher.scans >= 1)
        (root / "app.yaml").write_text(doc("web"))
        wait("Container/web", lambda: _container(store, "web"))
    finally:
        watcher.stop()
