"""sources.directory: one file, one source; apply with prune, errors keep the last good version."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from dockform.manifests.errors import ManifestIssue
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.namespaces import key
from dockform.manifests.policy import host_access_issues
from dockform.sources.directory import SETTLE_S, DirectorySync
from dockform.store.apply import Applier
from dockform.store.repository import Store
from tests.changes import Changes
from tests.unit.sources.conftest import LockedStore

Doc = Callable[..., str]


def _names(store: Store, source: str) -> list[str]:
    record = store.get_source(source)
    return [] if record is None else sorted(record.objects)


def _live(store: Store, kind: str, name: str) -> bool:
    resource = store.get(kind, name)
    return resource is not None and not resource.deleting


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_file_is_applied_as_its_own_source(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    (tmp_path / "apps").mkdir()
    path = tmp_path / "apps" / "web.yaml"
    path.write_text(doc("web") + "---\n" + doc("db"))
    sync = DirectorySync(applier, [str(tmp_path)])

    outcome = sync.sync(str(path))

    assert (outcome.source, outcome.action) == ("dir:apps/web.yaml", "applied")
    record = store.get_source("dir:apps/web.yaml")
    assert record is not None
    assert (record.type, record.path, record.last_error) == ("dir", str(path), None)
    assert record.objects == ["Container/db", "Container/web"]
    assert record.revision is not None and len(record.revision) == 64
    assert record.last_applied_at is not None
    events = store.list_events(kind="Source", name="dir:apps/web.yaml")
    assert [(event.type, event.reason) for event in events] == [("Normal", "Applied")]


def test_an_edit_replaces_only_what_changed_and_prunes_what_left(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web", env="one") + "---\n" + doc("db"))
    clock = Clock()
    sync = DirectorySync(applier, [str(tmp_path)], clock=clock)
    sync.sync(str(path))
    db_version = store.get("Container", "db").resource_version  # type: ignore[union-attr]

    path.write_text(doc("web", env="two") + "---\n" + doc("cache"))
    assert sync.sync(str(path)).action == "settling"  # it removes db: read it again first
    clock.now += SETTLE_S
    outcome = sync.sync(str(path))

    assert outcome.message == (
        "Container/web configured, Container/cache created, Container/db pruned"
    )
    assert store.get("Container", "web").generation == 2  # type: ignore[union-attr]
    assert store.get("Container", "db").deleting  # type: ignore[union-attr]
    assert store.get("Container", "db").resource_version == db_version + 1  # type: ignore[union-attr]


def test_the_same_content_is_not_applied_twice(
    changes: Changes, applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(path))
    changes.clear()

    assert sync.sync(str(path)).action == "unchanged"
    # A restarted daemon (a new DirectorySync) sees the recorded revision and skips it too.
    assert DirectorySync(applier, [str(tmp_path)]).sync(str(path)).action == "unchanged"
    assert changes == []


def test_a_file_whose_objects_were_all_deleted_by_hand_is_applied_again_after_a_restart(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    DirectorySync(applier, [str(tmp_path)]).sync(str(path))
    applier.request_deletion("Container", "web")
    store.remove("Container", "web")  # the controller tore it down

    outcome = DirectorySync(applier, [str(tmp_path)]).sync(str(path))

    assert (outcome.action, outcome.message) == ("applied", "Container/web created")


def test_an_invalid_save_keeps_the_last_good_version_and_records_the_error(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web", env="good"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(path))
    good = store.get_source("dir:app.yaml")

    path.write_text(doc("web", env="good") + "  bogusField: 1\n")
    outcome = sync.sync(str(path))

    assert outcome.action == "invalid"
    assert "spec.bogusField" in outcome.message and f"{path}:7" in outcome.message
    record = store.get_source("dir:app.yaml")
    assert record is not None and good is not None
    assert record.last_error == outcome.message
    assert (record.revision, record.last_applied_at) == (good.revision, good.last_applied_at)
    web = store.get("Container", "web")
    assert web is not None and not web.deleting and web.spec["env"] == {"GREETING": "good"}
    warning = store.list_events(kind="Source", name="dir:app.yaml")[-1]
    assert (warning.type, warning.reason) == ("Warning", "InvalidManifest")
    assert "its 1 objects keep their last good version" in warning.message
    # The same broken content is reported once, not at every rescan.
    assert sync.sync(str(path)).action == "unchanged"
    assert len(store.list_events(kind="Source", name="dir:app.yaml")) == 2

    path.write_text(doc("web", env="fixed"))
    assert sync.sync(str(path)).action == "applied"
    assert store.get_source("dir:app.yaml").last_error is None  # type: ignore[union-attr]


def test_binary_and_manifest_free_files_are_errors_that_delete_nothing(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(path))

    path.write_bytes(b"\x7fELF\x00\x00binary")
    assert sync.sync(str(path)).action == "invalid"
    assert "binary content" in (store.get_source("dir:app.yaml").last_error or "")  # type: ignore[union-attr]

    path.write_text("# everything commented out\n---\n")
    outcome = sync.sync(str(path))
    assert outcome.action == "invalid"
    assert "no manifests in the file; delete the file" in outcome.message
    assert _live(store, "Container", "web")


def test_an_empty_file_is_left_alone_as_a_file_being_written(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(path))
    path.write_text("")
    assert sync.sync(str(path)).action == "skipped"
    assert _live(store, "Container", "web")
    assert store.get_source("dir:app.yaml").last_error is None  # type: ignore[union-attr]


def test_a_deleted_file_deletes_its_objects_and_its_record(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web") + "---\n" + doc("db"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(path))
    path.unlink()

    outcome = sync.sync(str(path))

    assert outcome.action == "deleted"
    assert store.get("Container", "web").deleting  # type: ignore[union-attr]
    assert store.get("Container", "db").deleting  # type: ignore[union-attr]
    deleted = store.list_events(kind="Source", name="dir:app.yaml")[-1]
    assert (deleted.reason, deleted.message) == (
        "Deleted",
        f"{path} was removed: deleting Container/db, Container/web",
    )
    # The record is gone; the source shows while its objects are being torn down.
    implied = store.get_source("dir:app.yaml")
    assert implied is not None and (implied.path, implied.revision) == (None, None)
    assert sync.sync(str(path)).action == "ignored"  # a rescan meanwhile: nothing to repeat
    assert len(store.list_events(kind="Source", name="dir:app.yaml")) == 2


def test_a_file_gone_before_it_was_ever_applied_changes_nothing(
    applier: Applier, tmp_path: Path, store: Store
) -> None:
    sync = DirectorySync(applier, [str(tmp_path)])
    assert sync.sync(str(tmp_path / "never.yaml")).action == "ignored"
    assert store.list_sources() == []


def test_a_renamed_file_hands_its_objects_over_without_deleting_them(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    old = tmp_path / "app.yaml"
    old.write_text(doc("web"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(old))
    new = tmp_path / "renamed.yaml"
    old.rename(new)

    # The watcher handles files present before files gone.
    assert sync.sync(str(new)).action == "applied"
    assert sync.sync(str(old)).action == "deleted"

    web = store.get("Container", "web")
    assert web is not None and not web.deleting and web.source == "dir:renamed.yaml"
    assert web.generation == 1  # same spec: nothing to replace


def test_an_object_of_a_live_source_is_a_conflict_not_a_takeover(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    (tmp_path / "a.yaml").write_text(doc("web"))
    (tmp_path / "b.yaml").write_text(doc("web", env="other"))
    sync = DirectorySync(applier, [str(tmp_path)])
    sync.sync(str(tmp_path / "a.yaml"))

    outcome = sync.sync(str(tmp_path / "b.yaml"))

    assert outcome.action == "failed"
    assert "owned by source dir:a.yaml" in outcome.message
    assert store.get("Container", "web").source == "dir:a.yaml"  # type: ignore[union-attr]
    event = store.list_events(kind="Source", name="dir:b.yaml")[-1]
    assert (event.type, event.reason) == ("Warning", "ApplyFailed")


def test_the_first_watched_directory_wins_a_shared_relative_path(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    (first / "app.yaml").write_text(doc("web"))
    (second / "app.yaml").write_text(doc("other"))
    clock = Clock()
    sync = DirectorySync(applier, [str(first), str(second)], clock=clock)

    assert sync.sync(str(second / "app.yaml")).action == "skipped"
    assert sync.sync(str(first / "app.yaml")).action == "applied"
    assert _names(store, "dir:app.yaml") == ["Container/web"]
    shadowed = store.list_events(kind="Source", name="dir:app.yaml")[0]
    assert shadowed.reason == "Shadowed"

    (first / "app.yaml").unlink()  # now the second directory's copy feeds the source
    assert sync.sync(str(first / "app.yaml")).action == "settling"  # it removes web
    clock.now += SETTLE_S
    assert sync.sync(str(first / "app.yaml")).action == "applied"
    assert _names(store, "dir:app.yaml") == ["Container/other", "Container/web"]
    assert store.get("Container", "web").deleting  # type: ignore[union-attr]


def test_the_daemons_check_refuses_like_an_invalid_manifest(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web") + "  privileged: true\n")
    sync = DirectorySync(applier, [str(tmp_path)], check=host_access_issues)

    outcome = sync.sync(str(path))

    assert outcome.action == "invalid"
    assert f"{path}:6" in outcome.message and "spec.privileged" in outcome.message
    assert store.get("Container", "web") is None


def test_the_check_gets_the_file_text(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    seen: list[tuple[Mapping[str, str], Sequence[str]]] = []

    def check(
        loaded: Sequence[LoadedManifest], texts: Mapping[str, str], roots: Sequence[str]
    ) -> list[ManifestIssue]:
        seen.append((texts, roots))
        return []

    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    DirectorySync(applier, [str(tmp_path)], check=check).sync(str(path))
    # The watched directory is the root the file's host paths may lead into.
    assert seen == [({str(path): doc("web")}, [str(tmp_path)])]


def test_host_paths_may_lead_into_the_watched_directory_only(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "data").mkdir()
    (watched / "etc").symlink_to("/etc")
    sync = DirectorySync(applier, [str(watched)], check=host_access_issues)
    inside = doc("web") + f"  volumes: [{{hostPath: {watched}/data, mountPath: /d}}]\n"
    (watched / "app.yaml").write_text(inside)
    assert sync.sync(str(watched / "app.yaml")).action == "applied"
    for bad in (f"{watched}/etc", str(tmp_path), "/proc/self/root/etc"):
        (watched / "bad.yaml").write_text(
            doc("bad") + f"  volumes: [{{hostPath: {bad}, mountPath: /d}}]\n"
        )
        outcome = sync.sync(str(watched / "bad.yaml"))
        assert outcome.action == "invalid", bad
        assert "spec.volumes[0].hostPath" in outcome.message
    assert store.get("Container", "bad") is None


def test_a_new_event_while_reading_drops_what_was_read(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    outcome = DirectorySync(applier, [str(tmp_path)]).sync(str(path), quiet=lambda _: False)
    assert outcome.action == "skipped"
    assert store.get("Container", "web") is None


def test_recorded_paths_leave_out_missing_directories(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "app.yaml").write_text(doc("web"))
    sync = DirectorySync(applier, [str(watched)])
    sync.sync(str(watched / "app.yaml"))
    assert sync.recorded_paths() == [str(watched / "app.yaml")]
    watched.rename(tmp_path / "elsewhere")  # unmounted, say: its sources are not "deleted"
    assert sync.recorded_paths() == []


def test_a_busy_store_is_a_failure_to_retry_and_nothing_is_recorded(
    locked: LockedStore, tmp_path: Path, store: Store, doc: Doc, changes: Changes
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    sync = DirectorySync(locked.applier, [str(tmp_path)])

    outcome = sync.sync(str(path))

    assert (outcome.action, outcome.retry) == ("failed", True)
    assert "the store is not available: database is locked" in outcome.message
    assert store.get_source("dir:app.yaml") is None and changes == []
    locked.release()
    assert sync.sync(str(path)).action == "applied"  # the next look applies it
    assert changes == [key("Container", "web")]


def test_a_busy_store_keeps_a_deleted_files_objects_until_the_next_look(
    applier: Applier, locked: LockedStore, tmp_path: Path, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web"))
    locked.release()
    DirectorySync(applier, [str(tmp_path)]).sync(str(path))
    path.unlink()
    locked.holder.execute("BEGIN IMMEDIATE")
    sync = DirectorySync(locked.applier, [str(tmp_path)])

    outcome = sync.sync(str(path))

    # Read through the store that writes, as the daemon's API does: a store's answers are
    # its own writes' (`store.read_cache`), and this test's two stores share one file.
    writer = locked.applier.store
    assert (outcome.action, outcome.retry) == ("failed", True)
    assert _live(writer, "Container", "web")
    locked.release()
    assert sync.sync(str(path)).action == "deleted"
    assert not _live(writer, "Container", "web")


def test_a_file_closed_half_written_never_prunes_and_its_completion_applies_at_once(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    whole = doc("web") + "---\n" + doc("db") + "---\n" + doc("cache")
    path.write_text(whole)
    clock = Clock()
    sync = DirectorySync(applier, [str(tmp_path)], clock=clock)
    sync.sync(str(path))

    # Written up to the third document and closed: valid, and without cache.
    path.write_text(whole[: whole.rindex("---")])
    outcome = sync.sync(str(path))
    assert (outcome.action, outcome.retry, outcome.retry_after_s) == ("settling", True, SETTLE_S)
    assert "would remove Container/cache" in outcome.message
    assert _live(store, "Container", "cache")

    clock.now += 0.3  # the writer reopens the file and appends the rest
    path.write_text(whole.replace("busybox", "alpine"))
    outcome = sync.sync(str(path))
    assert outcome.action == "applied" and "pruned" not in outcome.message
    assert all(_live(store, "Container", name) for name in ("web", "db", "cache"))
    assert [rev.generation for rev in store.list_revisions("Container", "cache")] == [1, 2]


def test_a_removal_is_applied_once_the_file_read_the_same_for_the_settle_time(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web") + "---\n" + doc("db"))
    clock = Clock()
    sync = DirectorySync(applier, [str(tmp_path)], clock=clock)
    sync.sync(str(path))

    path.write_text(doc("web"))
    assert sync.sync(str(path)).retry_after_s == SETTLE_S
    clock.now += 0.4
    waiting = sync.sync(str(path))
    assert waiting.action == "settling" and waiting.retry_after_s == pytest.approx(SETTLE_S - 0.4)
    assert _live(store, "Container", "db")
    clock.now += SETTLE_S - 0.4
    outcome = sync.sync(str(path))
    assert (outcome.action, outcome.message) == ("applied", "Container/db pruned")
    assert not _live(store, "Container", "db")


def test_other_bytes_start_the_settle_again(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web") + "---\n" + doc("db") + "---\n" + doc("cache"))
    clock = Clock()
    sync = DirectorySync(applier, [str(tmp_path)], clock=clock)
    sync.sync(str(path))

    path.write_text(doc("web") + "---\n" + doc("db"))
    assert sync.sync(str(path)).action == "settling"
    clock.now += 0.9
    path.write_text(doc("web"))  # still being written down: other bytes, another wait
    assert sync.sync(str(path)).retry_after_s == SETTLE_S
    clock.now += 0.5
    assert sync.sync(str(path)).action == "settling"
    assert _live(store, "Container", "db") and _live(store, "Container", "cache")


def test_an_apply_that_removes_nothing_is_not_delayed(
    applier: Applier, tmp_path: Path, store: Store, doc: Doc
) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(doc("web") + "---\n" + doc("db"))
    sync = DirectorySync(applier, [str(tmp_path)], clock=Clock())
    sync.sync(str(path))

    path.write_text(doc("web", env="two") + "---\n" + doc("db") + "---\n" + doc("cache"))
    assert sync.sync(str(path)).message == "Container/web configured, Container/cache created"
