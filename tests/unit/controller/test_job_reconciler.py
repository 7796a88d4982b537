"""The Job reconciler on the fake runtime, pass by pass (the manager's status writes done by
hand): one run per generation, the record that survives a restart, retries with backoff,
ttlAfterFinished, and the host-access re-check."""

from __future__ import annotations

import time

import pytest

from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TerminalError
from dockform.controller.outcomes import Outcome
from dockform.controller.reconcilers.job import JobReconciler
from dockform.manifests.loader import load_text
from dockform.manifests.status import Reason
from dockform.runtime.fake import FakeRuntime
from dockform.settings import Backoff, ControllerSettings, HostAccessSettings
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store


def job_text(spec: str) -> str:
    return f"apiVersion: dockform/v1\nkind: Job\nmetadata: {{name: migrate}}\nspec: {spec}\n"


def apply(store: Store, spec: str) -> None:
    Applier(store, on_change=lambda keys: None).apply(
        ApplyRequest(manifests=load_text(job_text(spec)))
    )


def reconcile_pass(reconciler: JobReconciler, store: Store) -> Outcome:
    """One pass, its status written as the manager would."""
    resource = store.get("Job", "migrate")
    assert resource is not None
    outcome = reconciler.reconcile(resource)
    store.write_status("Job", "migrate", outcome.status)
    return outcome


def context(store: Store, runtime: FakeRuntime, **host: bool) -> ReconcileContext:
    settings = ControllerSettings(job_retry=Backoff(base_s=0.5, cap_s=1.0))
    return ReconcileContext(
        store=store, runtime=runtime, settings=settings, host_access=HostAccessSettings(**host)
    )


def creates(runtime: FakeRuntime) -> int:
    return sum(call.startswith("create_container") for call in runtime.calls)


def test_a_job_runs_once_and_a_new_reconciler_does_not_run_it_again(store: Store) -> None:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    apply(store, "{image: 'app:1', command: [migrate]}")
    reconciler = JobReconciler(context(store, runtime))

    running = reconcile_pass(reconciler, store)
    assert (running.status.phase, running.status.observed["attempts"]) == ("Running", 1)
    container_id = running.status.observed["containerId"]
    runtime.set_logs(container_id, b"".join(b"line %d\n" % n for n in range(30)))
    runtime.kill(container_id, 0)

    done = reconcile_pass(reconciler, store)
    facts = done.status.observed
    assert done.status.phase == "Succeeded" and facts["exitCode"] == 0
    assert facts["outputTail"] == [f"line {n}" for n in range(10, 30)]
    assert facts["result"] == "Succeeded" and facts["completedGeneration"] == 1
    (event,) = done.events
    assert event.reason is Reason.COMPLETED and "last output: line 25 | " in event.message

    # Another pass, and a restarted daemon (a new reconciler): nothing runs again.
    reconcile_pass(reconciler, store)
    reconcile_pass(JobReconciler(context(store, runtime)), store)
    assert creates(runtime) == 1

    # A changed spec is a new run.
    apply(store, "{image: 'app:1', command: [migrate, --again]}")
    rerun = reconcile_pass(reconciler, store)
    assert rerun.status.phase == "Running" and creates(runtime) == 2
    assert "result" not in rerun.status.observed and "outputTail" not in rerun.status.observed


def test_a_failing_job_retries_with_backoff_then_fails(store: Store) -> None:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    apply(store, "{image: 'app:1', backoffLimit: 1}")
    reconciler = JobReconciler(context(store, runtime))
    first = reconcile_pass(reconciler, store).status.observed["containerId"]
    runtime.set_logs(first, b"no database\n")
    runtime.kill(first, 2)

    backoff = reconcile_pass(reconciler, store)
    assert backoff.status.reason == Reason.BACK_OFF and backoff.requeue_after is not None
    assert [event.reason for event in backoff.events] == [Reason.BACK_OFF]
    time.sleep(backoff.requeue_after)
    retried = reconcile_pass(reconciler, store)
    assert retried.status.observed["attempts"] == 2 and retried.status.phase == "Running"
    second = retried.status.observed["containerId"]
    runtime.set_logs(second, b"still no database\n")
    runtime.kill(second, 2)

    failed = reconcile_pass(reconciler, store)
    assert failed.status.phase == "Failed"
    assert failed.status.reason == Reason.BACKOFF_LIMIT_EXCEEDED
    assert "attempt 2 of 2 exited with code 2" in failed.status.message
    assert failed.status.observed["outputTail"] == ["still no database"]
    reconcile_pass(reconciler, store)
    assert creates(runtime) == 2


def test_ttl_removes_the_container_and_keeps_the_result(store: Store) -> None:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    apply(store, "{image: 'app:1', ttlAfterFinished: 0s}")
    reconciler = JobReconciler(context(store, runtime))
    runtime.kill(reconcile_pass(reconciler, store).status.observed["containerId"], 0)
    assert reconcile_pass(reconciler, store).status.phase == "Succeeded"
    assert len(runtime.list_containers({})) == 1  # recorded first, removed in a later pass

    removed = reconcile_pass(reconciler, store)
    assert runtime.list_containers({}) == []
    assert removed.status.phase == "Succeeded" and removed.status.observed["containerRemoved"]
    assert [event.reason for event in removed.events] == [Reason.REMOVED]
    again = reconcile_pass(reconciler, store)
    assert again.status.observed["containerRemoved"] and creates(runtime) == 1


def test_host_access_is_checked_again_before_the_container_is_made(store: Store) -> None:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    apply(store, "{image: 'app:1', privileged: true}")
    with pytest.raises(TerminalError) as raised:
        reconcile_pass(JobReconciler(context(store, runtime)), store)
    assert raised.value.reason is Reason.HOST_ACCESS_DENIED and "spec.privileged" in str(
        raised.value
    )
    assert runtime.list_containers({}) == []
    reconcile_pass(JobReconciler(context(store, runtime, allow_host_access=True)), store)
    assert len(runtime.list_containers({})) == 1


def test_a_changed_spec_waiting_for_a_dependency_is_pending_not_succeeded(store: Store) -> None:
    runtime = FakeRuntime()
    runtime.add_image("app:1")
    apply(store, "{image: 'app:1'}")
    reconciler = JobReconciler(context(store, runtime))
    runtime.kill(reconcile_pass(reconciler, store).status.observed["containerId"], 0)
    assert reconcile_pass(reconciler, store).status.phase == "Succeeded"

    apply(store, "{image: 'app:1', command: [again], dependsOn: [{name: db}]}")
    waiting = reconcile_pass(reconciler, store)
    assert (waiting.status.phase, waiting.status.reason) == ("Pending", Reason.WAITING)
    assert "Container/db does not exist" in waiting.status.message
    assert creates(runtime) == 1
