"""controller.reconcilers.gitsource with a fake GitSyncer: when to fetch, and what status says.

(It lives with the sources tests because it is the other half of sources.git.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TransientError
from dockform.controller.reconcilers.gitsource import GitSourceReconciler, LastFetch, fetch_wait
from dockform.manifests import source_names
from dockform.manifests.loader import load_text
from dockform.manifests.models import GitSourceSpec
from dockform.manifests.namespaces import key
from dockform.runtime.fake import FakeRuntime
from dockform.sources.git import GitSyncResult
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from dockform.store.types import Resource


@dataclass
class FakeSyncer:
    results: list[GitSyncResult] = field(default_factory=list)
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    forgotten: list[tuple[str, bool]] = field(default_factory=list)

    def sync(self, name: str, spec: GitSourceSpec, applied_commit: str | None) -> GitSyncResult:
        self.calls.append((name, applied_commit))
        return self.results.pop(0)

    def forget(self, name: str, prune: bool) -> Sequence[str]:
        self.forgotten.append((name, prune))
        return ("Container/web",) if prune else ()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _apply(applier: Applier, extra: str = "") -> Resource:
    text = (
        "apiVersion: dockform/v1\nkind: GitSource\nmetadata: {name: prod}\n"
        f"spec:\n  url: /srv/repo\n  interval: 1m\n{extra}"
    )
    applier.apply(ApplyRequest(manifests=load_text(text)))
    resource = applier.store.get("GitSource", "prod")
    assert resource is not None
    return resource


def _reconcile(store: Store, reconciler: GitSourceReconciler) -> Resource:
    """Reconcile, store the status as the manager would, and return the resource again."""
    resource = store.get("GitSource", "prod")
    assert resource is not None
    outcome = reconciler.reconcile(resource)
    store.write_status("GitSource", "prod", outcome.status)
    updated = store.get("GitSource", "prod")
    assert updated is not None
    return updated


@pytest.fixture
def syncer() -> FakeSyncer:
    return FakeSyncer()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def context(store: Store, syncer: FakeSyncer) -> ReconcileContext:
    return ReconcileContext(store=store, runtime=FakeRuntime(), git=syncer)


@pytest.fixture
def reconciler(context: ReconcileContext, clock: Clock) -> GitSourceReconciler:
    return GitSourceReconciler(context, clock)


APPLIED = GitSyncResult(
    commit="c1" * 20,
    commit_time="2024-05-01T10:00:00+00:00",
    applied=True,
    objects=("Container/web",),
    changes=("Container/web created",),
)


def test_fetch_wait_rules() -> None:
    last = LastFetch(at=100.0, generation=2)
    assert fetch_wait(None, 2, 60.0, False, 100.0) == 0.0  # never fetched by this process
    assert fetch_wait(last, 2, 60.0, False, 130.0) == 30.0
    assert fetch_wait(last, 2, 60.0, False, 170.0) == 0.0
    assert fetch_wait(last, 3, 60.0, False, 101.0) == 0.0  # the spec changed
    assert fetch_wait(last, 2, 60.0, True, 101.0) == 0.0  # a sync was requested


def test_a_new_commit_is_applied_and_reported(
    applier: Applier, store: Store, reconciler: GitSourceReconciler, syncer: FakeSyncer
) -> None:
    _apply(applier)
    syncer.results.append(APPLIED)
    resource = store.get("GitSource", "prod")
    assert resource is not None

    outcome = reconciler.reconcile(resource)

    assert syncer.calls == [("prod", None)]
    assert outcome.requeue_after == 60.0
    status = outcome.status
    assert (status.phase, status.reason, status.last_error) == ("Ready", "Synced", None)
    observed = dict(status.observed)
    assert observed.pop("fetchedAt")
    assert observed == {
        "url": "/srv/repo",
        "branch": "main",
        "path": ".",
        "commit": APPLIED.commit,
        "commitTime": "2024-05-01T10:00:00+00:00",
        "objects": ["Container/web"],
        "appliedGeneration": 1,
    }
    assert [(note.type, note.reason) for note in outcome.events] == [("Normal", "Synced")]
    assert "Container/web created" in outcome.events[0].message


def test_between_intervals_nothing_is_fetched(
    applier: Applier,
    store: Store,
    reconciler: GitSourceReconciler,
    syncer: FakeSyncer,
    clock: Clock,
) -> None:
    _apply(applier)
    syncer.results.append(APPLIED)
    first = _reconcile(store, reconciler)

    clock.now += 20
    outcome = reconciler.reconcile(first)

    assert len(syncer.calls) == 1
    assert outcome.requeue_after == 40.0
    assert outcome.status == first.status  # nothing to write


def test_the_applied_commit_is_passed_so_it_is_not_applied_again(
    applier: Applier,
    store: Store,
    reconciler: GitSourceReconciler,
    syncer: FakeSyncer,
    clock: Clock,
) -> None:
    _apply(applier)
    syncer.results += [APPLIED, GitSyncResult(commit=APPLIED.commit, commit_time="t")]
    _reconcile(store, reconciler)
    clock.now += 61
    resource = _reconcile(store, reconciler)

    assert syncer.calls == [("prod", None), ("prod", APPLIED.commit)]
    assert resource.status.observed["objects"] == ["Container/web"]  # kept from the apply


def test_a_sync_request_fetches_before_the_interval(
    applier: Applier,
    store: Store,
    reconciler: GitSourceReconciler,
    syncer: FakeSyncer,
    context: ReconcileContext,
) -> None:
    _apply(applier)
    syncer.results += [APPLIED, GitSyncResult(commit=APPLIED.commit, commit_time="t")]
    _reconcile(store, reconciler)

    context.nudges.request(key("GitSource", "prod"))  # what Manager.request_sync records
    _reconcile(store, reconciler)
    _reconcile(store, reconciler)  # taken once: the next pass waits for the interval again

    assert len(syncer.calls) == 2
    assert not context.nudges.take(key("GitSource", "prod"))  # taken by the reconcile


def test_a_bad_commit_keeps_the_last_good_one_in_status(
    applier: Applier,
    store: Store,
    reconciler: GitSourceReconciler,
    syncer: FakeSyncer,
    clock: Clock,
) -> None:
    _apply(applier)
    bad = GitSyncResult(
        commit="b2" * 20,
        commit_time="t",
        error="commit b2b2b2b2b2b2: deploy/web.yaml:7: spec.bogus: unknown field",
        reason="InvalidManifest",
    )
    syncer.results += [APPLIED, bad]
    _reconcile(store, reconciler)
    clock.now += 61
    resource = store.get("GitSource", "prod")
    assert resource is not None

    outcome = reconciler.reconcile(resource)

    status = outcome.status
    assert (status.phase, status.reason) == ("Failed", "InvalidManifest")
    assert status.last_error == bad.error
    assert status.message.endswith(f"; commit {APPLIED.commit[:12]} stays applied")
    assert status.observed["commit"] == APPLIED.commit
    assert status.observed["failedCommit"] == bad.commit
    assert status.observed["objects"] == ["Container/web"]
    assert outcome.requeue_after == 60.0  # polling for the next commit, not a retry
    assert [(note.type, note.reason) for note in outcome.events] == [("Warning", "InvalidManifest")]


def test_a_failed_fetch_is_retried_with_backoff(
    applier: Applier, store: Store, reconciler: GitSourceReconciler, syncer: FakeSyncer
) -> None:
    _apply(applier)
    syncer.results += [
        GitSyncResult(error="fetching ... failed: timeout", reason="FetchFailed", transient=True),
        APPLIED,
    ]
    resource = store.get("GitSource", "prod")
    assert resource is not None
    with pytest.raises(TransientError, match="GitSource/prod: fetching") as caught:
        reconciler.reconcile(resource)
    assert caught.value.reason == "FetchFailed"
    # The retry fetches at once: a failed fetch does not count as the interval's fetch.
    assert reconciler.reconcile(resource).status.phase == "Ready"


def test_suspended_means_no_fetch(
    applier: Applier, store: Store, reconciler: GitSourceReconciler, syncer: FakeSyncer
) -> None:
    resource = _apply(applier, "  suspend: true\n")
    outcome = reconciler.reconcile(resource)
    assert syncer.calls == []
    assert (outcome.status.phase, outcome.status.reason) == ("Suspended", "Suspended")
    assert outcome.requeue_after is None


def test_a_spec_change_applies_again_even_at_the_same_commit(
    applier: Applier, store: Store, reconciler: GitSourceReconciler, syncer: FakeSyncer
) -> None:
    _apply(applier)
    syncer.results += [APPLIED, APPLIED]
    _reconcile(store, reconciler)
    _apply(applier, "  path: deploy\n")
    _reconcile(store, reconciler)
    assert syncer.calls == [("prod", None), ("prod", None)]


@pytest.mark.parametrize(("prune", "message"), [(True, "Container/web"), (False, "kept")])
def test_deletion_forgets_the_source(
    applier: Applier,
    store: Store,
    reconciler: GitSourceReconciler,
    syncer: FakeSyncer,
    prune: bool,
    message: str,
) -> None:
    resource = _apply(applier, f"  prune: {str(prune).lower()}\n")
    outcome = reconciler.delete(resource)
    assert outcome.done
    assert syncer.forgotten == [("prod", prune)]
    assert message in outcome.events[0].message


def test_a_gitsource_outside_default_syncs_and_forgets_as_namespace_slash_name(
    applier: Applier, store: Store, reconciler: GitSourceReconciler, syncer: FakeSyncer
) -> None:
    text = (
        "apiVersion: dockform/v1\nkind: GitSource\nmetadata: {name: prod, namespace: shop}\n"
        "spec:\n  url: /srv/repo\n  interval: 1m\n"
    )
    applier.apply(ApplyRequest(manifests=load_text(text)))
    resource = store.get("GitSource", "prod", "shop")
    assert resource is not None
    syncer.results.append(APPLIED)

    reconciler.reconcile(resource)
    reconciler.delete(resource)

    # Its source is `git:shop/prod`: never the default namespace's GitSource `prod`.
    assert [call[0] for call in syncer.calls] == ["shop/prod"]
    assert [name for name, _ in syncer.forgotten] == ["shop/prod"]
    assert source_names.git_source("shop/prod") == "git:shop/prod"
    assert re.fullmatch(source_names.PATTERN, "git:shop/prod")
