"""Store reads, deletion requests (through the Applier), removal, status writes, errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dockform.manifests.loader import LoadedManifest
from dockform.manifests.namespaces import key
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.db import create_engine_for
from dockform.store.errors import NotFound, StaleResourceVersion
from dockform.store.repository import Store
from dockform.store.types import Condition, Resource, ResourceStatus, StatusRead
from tests.changes import Changes
from tests.unit.store.conftest import make_manifest

MakeManifest = Callable[..., LoadedManifest]


@pytest.fixture
def populated(applier: Applier, store: Store, manifest: MakeManifest, changes: Changes) -> Store:
    applier.apply(
        ApplyRequest(
            [
                manifest("Volume", "data", labels={"app": "shop"}),
                manifest("Network", "front", labels={"app": "shop", "tier": "front"}),
                manifest("Network", "back", labels={"app": "shop", "tier": "back"}),
                manifest("Container", "web", {"image": "busybox:test"}, labels={"app": "blog"}),
            ]
        ),
    )
    changes.clear()  # the tests listen to what they write themselves
    return store


def _names(resources: list[Resource]) -> list[str]:
    return [f"{resource.kind}/{resource.name}" for resource in resources]


def test_get_returns_none_for_a_missing_resource(store: Store) -> None:
    assert store.get("Container", "nope") is None


def test_list_sorts_by_kind_and_name_and_filters(populated: Store) -> None:
    assert _names(populated.list()) == [
        "Container/web",
        "Network/back",
        "Network/front",
        "Volume/data",
    ]
    assert _names(populated.list("Network")) == ["Network/back", "Network/front"]
    assert _names(populated.list(labels={"app": "shop"})) == [
        "Network/back",
        "Network/front",
        "Volume/data",
    ]
    assert _names(populated.list(labels={"app": "shop", "tier": "front"})) == ["Network/front"]
    assert _names(populated.list("Volume", labels={"tier": "front"})) == []
    assert populated.keys() == [
        key("Container", "web"),
        key("Network", "back"),
        key("Network", "front"),
        key("Volume", "data"),
    ]


def test_list_of_a_thousand_resources_with_a_selector(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    # How fast this is belongs to bench/ (api.list_p99_ms), not to an assertion here.
    batch = [
        manifest("Network", f"net-{index}", labels={"group": str(index % 10)})
        for index in range(1000)
    ]
    applier.apply(ApplyRequest(batch))

    found = store.list("Network", labels={"group": "3"})

    assert len(found) == 100
    assert {item.labels["group"] for item in found} == {"3"}


def test_timestamps_come_back_aware_utc(populated: Store) -> None:
    web = populated.get("Container", "web")

    assert web is not None
    assert web.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - web.created_at) < timedelta(minutes=1)


def test_request_deletion_marks_bumps_and_notifies_once(
    applier: Applier, populated: Store, changes: Changes
) -> None:
    first = applier.request_deletion("Volume", "data")
    again = applier.request_deletion("Volume", "data")

    assert first.deleting and first.resource_version == 2 and first.generation == 1
    assert again.resource_version == 2
    assert again.deletion_requested_at == first.deletion_requested_at
    assert changes == [key("Volume", "data")]
    with pytest.raises(NotFound, match="Volume/missing"):
        applier.request_deletion("Volume", "missing")


def test_remove_deletes_row_and_status_but_keeps_revisions(
    populated: Store, changes: Changes
) -> None:
    populated.write_status("Volume", "data", ResourceStatus(phase="Ready"))

    populated.remove("Volume", "data")
    populated.remove("Volume", "data")

    assert populated.get("Volume", "data") is None
    assert len(populated.list_revisions("Volume", "data")) == 1
    assert changes == []  # the controller's own last step: nobody needs to hear of it
    assert populated.write_status("Volume", "data", ResourceStatus(phase="Failed")) is False


def test_remove_with_a_stale_version_is_refused(applier: Applier, populated: Store) -> None:
    deleting = applier.request_deletion("Network", "back")

    with pytest.raises(StaleResourceVersion):
        populated.remove("Network", "back", expected_version=deleting.resource_version - 1)
    populated.remove("Network", "back", expected_version=deleting.resource_version)

    assert populated.get("Network", "back") is None


def test_status_is_written_only_when_it_changes(populated: Store, changes: Changes) -> None:
    running = ResourceStatus(
        phase="Running",
        observed_generation=1,
        observed={"containerId": "abc", "ports": (80, 443)},
    )

    assert populated.write_status("Container", "web", running) is True
    first = populated.get("Container", "web")
    assert populated.write_status("Container", "web", running) is False
    assert populated.write_status("Container", "web", running.model_copy()) is False
    second = populated.get("Container", "web")

    assert first is not None and second is not None
    assert first.status.phase == "Running"
    assert first.status.observed == {"containerId": "abc", "ports": [80, 443]}
    assert first.status.updated_at is not None
    assert second.status.updated_at == first.status.updated_at
    # Status is observed state: it neither bumps the version nor wakes the controller.
    assert second.resource_version == 1
    assert changes == []

    failed = running.model_copy(update={"phase": "Failed", "last_error": "boom"})
    assert populated.write_status("Container", "web", failed) is True
    third = populated.get("Container", "web")
    assert third is not None and third.status.last_error == "boom"


def test_condition_transition_time_changes_only_with_its_status(populated: Store) -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    t1 = datetime(2024, 1, 2, tzinfo=UTC)

    def ready(status: str, when: datetime | None, reason: str = "") -> ResourceStatus:
        return ResourceStatus(
            conditions=[
                Condition(type="Ready", status=status, reason=reason, last_transition_time=when)
            ]
        )

    def stored_time() -> datetime | None:
        resource = populated.get("Network", "front")
        assert resource is not None
        condition = resource.status.condition("Ready")
        assert condition is not None
        return condition.last_transition_time

    assert populated.write_status("Network", "front", ready("False", t0)) is True
    assert stored_time() == t0
    # Same status, a fresh time from the caller: nothing changed, nothing written.
    assert populated.write_status("Network", "front", ready("False", t1)) is False
    # Same status, other reason: written, but the transition time stays.
    assert populated.write_status("Network", "front", ready("False", t1, "Waiting")) is True
    assert stored_time() == t0
    assert populated.write_status("Network", "front", ready("True", t1)) is True
    assert stored_time() == t1
    assert populated.write_status("Network", "front", ready("False", None)) is True
    changed = stored_time()
    assert changed is not None and abs(datetime.now(UTC) - changed) < timedelta(minutes=1)


def test_status_times_are_stored_as_utc(populated: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    retry = datetime(2024, 5, 1, 12, 0, tzinfo=plus_two)

    populated.write_status("Volume", "data", ResourceStatus(next_retry_at=retry))

    resource = populated.get("Volume", "data")
    assert resource is not None
    assert resource.status.next_retry_at == retry
    assert resource.status.next_retry_at is not None
    assert resource.status.next_retry_at.utcoffset() == timedelta(0)


def test_a_failing_on_change_does_not_undo_or_hide_the_write(
    store: Store, manifest: MakeManifest, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(keys: Sequence[tuple[str, str]]) -> None:
        raise RuntimeError("listener bug")

    results = Applier(store, on_change=broken).apply(ApplyRequest([manifest("Volume", "data")]))

    assert [result.action for result in results] == ["created"]
    assert store.get("Volume", "data") is not None
    assert "on_change failed" in caplog.text


def test_ping(store: Store, tmp_path: Path) -> None:
    assert store.ping() is True
    unreachable = Store(create_engine_for(f"sqlite:///{tmp_path}/missing/dir/dockform.db"))
    try:
        assert unreachable.ping() is False
    finally:
        unreachable.close()


def test_label_selector_takes_dotted_keys_and_refuses_impossible_ones(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(
        ApplyRequest(
            [
                manifest("Volume", "a", labels={"app.kubernetes.io/name": "shop"}),
                manifest("Volume", "b", labels={"app.kubernetes.io/name": "blog"}),
            ]
        ),
    )

    assert _names(store.list(labels={"app.kubernetes.io/name": "shop"})) == ["Volume/a"]
    assert store.list(labels={'bad"key': "shop"}) == []
    assert _names(store.list(labels={})) == ["Volume/a", "Volume/b"]


def test_data_version_moves_with_resource_writes_only(
    applier: Applier, populated: Store, manifest: MakeManifest
) -> None:
    store = populated
    start = store.data_version
    store.record_event("Volume", "data", "Normal", "Created", "created volume data")
    store.upsert_source("cli", type="cli")
    assert store.data_version == start  # events and source records leave cached reads valid
    assert store.write_status("Volume", "data", ResourceStatus(phase="Ready"))
    after_status = store.data_version
    assert after_status > start
    assert not store.write_status("Volume", "data", ResourceStatus(phase="Ready"))
    assert store.data_version == after_status  # an unchanged status writes nothing
    applier.apply(ApplyRequest([manifest("Volume", "logs")]))
    assert store.data_version > after_status
    before_dry_run = store.data_version
    applier.apply(ApplyRequest([manifest("Volume", "more")], dry_run=True))
    assert store.data_version == before_dry_run


def test_a_write_by_another_daemon_moves_the_data_version(db_url: str, store: Store) -> None:
    """Two daemons on one shared store each see the other's writes in data_version; on SQLite
    only one daemon opens the store, and the counter is its own."""
    other = Store(create_engine_for(db_url))
    try:
        before = store.data_version
        other.write_status("Volume", "nothing", ResourceStatus(phase="Ready"))  # no such row
        assert store.data_version == before
        Applier(other, on_change=lambda keys: None).apply(
            ApplyRequest([make_manifest("Volume", "seen")])
        )
        if store.shared:
            assert store.data_version > before
        else:
            assert store.data_version == before and other.data_version > 0
    finally:
        other.close()


def test_a_read_is_answered_again_only_until_the_next_write(
    applier: Applier, populated: Store, manifest: MakeManifest
) -> None:
    first = populated.get("Container", "web")
    assert populated.get("Container", "web") == first
    assert populated.get("Container", "absent") is None

    populated.write_status("Container", "web", ResourceStatus(phase="Running"))
    running = populated.get("Container", "web")
    assert running is not None and running.status.phase == "Running"

    applier.apply(ApplyRequest([manifest("Container", "absent", {"image": "busybox:test"})]))
    applier.apply(ApplyRequest([manifest("Container", "web", {"image": "busybox:v2"})]))
    changed = populated.get("Container", "web")
    assert changed is not None and changed.spec["image"] == "busybox:v2"
    assert populated.get("Container", "absent") is not None
    populated.remove("Container", "absent")
    assert populated.get("Container", "absent") is None


def test_a_status_equal_to_the_one_read_is_not_written_while_nothing_else_was(
    populated: Store,
) -> None:
    populated.write_status("Volume", "data", ResourceStatus(phase="Pending"))
    version = populated.data_version
    read = populated.get("Volume", "data")
    assert read is not None
    unchanged = StatusRead(read.status, version)
    assert populated.write_status("Volume", "data", read.status, read=unchanged) is False

    # Written meanwhile (a timed-out pass's failure): the status read is no longer the
    # stored one, so the same status is written over it.
    populated.write_status("Volume", "data", ResourceStatus(phase="Failed"))
    assert populated.write_status("Volume", "data", read.status, read=unchanged) is True
    stored = populated.get("Volume", "data")
    assert stored is not None and stored.status.phase == "Pending"
