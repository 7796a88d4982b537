"""Golden-text tests of the Job planner: no Docker, no store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dockform.controller.reconcilers.container_plan import container_hash
from dockform.controller.reconcilers.job_plan import (
    ATTEMPT_LABEL,
    JobDesired,
    JobSnapshot,
    Verdict,
    garbage_plan,
    plan,
)
from dockform.manifests.models import JobSpec
from dockform.manifests.status import JobObserved
from dockform.runtime.types import ContainerInfo, managed_labels
from dockform.settings import Backoff

SPEC_HASH = "spec-hash-1"
IMAGE_ID = "sha256:" + "a" * 64
RUN = container_hash(SPEC_HASH, IMAGE_ID)
NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
ID1, ID2 = "1" * 64, "2" * 64


def at(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def desired(**spec: Any) -> JobDesired:
    body = {"image": "hello:latest", "command": ["true"], **spec}
    return JobDesired(
        "migrate", JobSpec.model_validate(body), SPEC_HASH, 1, Backoff(base_s=10, cap_s=360)
    )


def box(
    *,
    container_id: str = ID1,
    state: str = "exited",
    exit_code: int | None = 0,
    attempt: int = 1,
    run_hash: str = RUN,
    finished_s_ago: float = 1.0,
    labels: dict[str, str] | None = None,
    error: str | None = None,
) -> ContainerInfo:
    if labels is None:
        labels = {**managed_labels("Job", "migrate", run_hash), ATTEMPT_LABEL: str(attempt)}
    return ContainerInfo(
        id=container_id,
        name="migrate",
        image_id=IMAGE_ID,
        labels=labels,
        state=state,
        health=None,
        restart_count=0,
        exit_code=exit_code if state != "running" else 0,
        started_at=at(finished_s_ago + 1),
        finished_at=at(finished_s_ago) if state != "running" else "0001-01-01T00:00:00Z",
        networks={},
        error=error,
    )


def snapshot(
    holder: ContainerInfo | None, record: JobObserved | None = None, **extra: Any
) -> JobSnapshot:
    return JobSnapshot(
        labelled=(holder.summary(),) if holder is not None and holder.managed else (),
        name_holder=holder,
        image_id=extra.pop("image_id", IMAGE_ID),
        image_ref="hello:latest",
        record=record or JobObserved(),
        now=NOW,
        **extra,
    )


def test_a_new_job_creates_and_starts_its_container_as_attempt_one() -> None:
    result = plan(desired(), snapshot(None))
    assert str(result) == (
        "#1 container:migrate, CreateContainer, new run\n"
        "#2 container:migrate, StartContainer, created\n"
        "verdict: Running, attempt 1"
    )
    request = result.plan.actions[0].request  # type: ignore[attr-defined]
    assert request.restart_policy == "no"
    assert request.labels[ATTEMPT_LABEL] == "1"
    assert request.labels["io.dockform.kind"] == "Job"


def in_shop(**spec: Any) -> JobDesired:
    body = {"image": "hello:latest", "command": ["true"], **spec}
    return JobDesired(
        "migrate",
        JobSpec.model_validate(body),
        SPEC_HASH,
        1,
        Backoff(base_s=10, cap_s=360),
        namespace="shop",
    )


def test_a_job_of_a_namespace_runs_as_namespace_name_on_its_implicit_network() -> None:
    """Outside default: Docker name `{namespace}_{name}`, the namespace label, the namespace's
    implicit network by its engine name, and its short name as the alias there."""
    observed = snapshot(None, network_names=(("default", "shop_default"),))
    result = plan(in_shop(), observed)
    assert str(result) == (
        "#1 container:shop_migrate, CreateContainer, new run\n"
        "#2 container:shop_migrate, StartContainer, created\n"
        "verdict: Running, attempt 1"
    )
    request = result.plan.actions[0].request  # type: ignore[attr-defined]
    assert request.labels["io.dockform.namespace"] == "shop"
    assert request.labels["io.dockform.name"] == "migrate"
    assert request.networks == ("shop_default",)
    assert request.network_aliases == ("migrate",)


def test_a_container_of_another_namespaces_job_is_a_name_conflict() -> None:
    """`shop_migrate` held by default's Job/shop_migrate's container is not Job/shop/migrate's."""
    holder = box(labels={**managed_labels("Job", "shop_migrate", RUN), ATTEMPT_LABEL: "1"})
    result = plan(in_shop(), snapshot(holder))
    assert result.verdict is Verdict.CONFLICT
    assert "'shop_migrate'" in (result.plan.blocked_message or "")


def test_a_running_attempt_is_left_alone() -> None:
    result = plan(desired(), snapshot(box(state="running"), JobObserved(run_hash=RUN, attempts=1)))
    assert str(result) == "(nothing to do)\nverdict: Running, attempt 1"


def test_exit_zero_succeeds_and_is_recorded_once() -> None:
    first = plan(desired(), snapshot(box(), JobObserved(run_hash=RUN, attempts=1)))
    assert str(first) == "(nothing to do)\nverdict: Succeeded, attempt 1, exit code 0, finished now"
    recorded = JobObserved(
        run_hash=RUN, attempts=1, result="Succeeded", container_id=ID1, finished_at=at(1)
    )
    again = plan(desired(), snapshot(box(), recorded))
    assert str(again) == "(nothing to do)\nverdict: Succeeded, attempt 1"


def test_a_failed_attempt_backs_off_then_runs_the_next() -> None:
    result = plan(desired(backoffLimit=2), snapshot(box(exit_code=1, finished_s_ago=3)))
    assert result.verdict is Verdict.BACK_OFF and result.finished_now
    assert result.retry_in_s == pytest.approx(7.0)
    due = plan(desired(backoffLimit=2), snapshot(box(exit_code=1, finished_s_ago=11)))
    assert str(due) == (
        f"#1 container:{ID1}, RemoveContainer, attempt 1 exited with code 1\n"
        "#2 container:migrate, CreateContainer, attempt 2 of 3\n"
        "#3 container:migrate, StartContainer, created\n"
        "verdict: Running, attempt 2, exit code 1, finished now"
    )


def test_the_backoff_doubles_per_attempt() -> None:
    waiting = plan(
        desired(backoffLimit=5), snapshot(box(exit_code=1, attempt=3, finished_s_ago=30))
    )
    assert waiting.verdict is Verdict.BACK_OFF
    assert waiting.retry_in_s == pytest.approx(10.0)  # 40 s after attempt 3


def test_the_last_attempt_failing_fails_the_job() -> None:
    result = plan(desired(backoffLimit=2), snapshot(box(exit_code=3, attempt=3)))
    assert str(result) == "(nothing to do)\nverdict: Failed, attempt 3, exit code 3, finished now"


def test_a_recorded_run_never_runs_again_even_without_its_container() -> None:
    """A daemon restart, a resync, a container removed by ttl: the record decides."""
    for result in ("Succeeded", "Failed"):
        record = JobObserved(run_hash=RUN, attempts=1, result=result, exit_code=0)
        assert str(plan(desired(), snapshot(None, record))).startswith("(nothing to do)")


def test_a_finished_container_found_after_a_crash_is_adopted_not_rerun() -> None:
    """The daemon died after starting the attempt and before recording it."""
    result = plan(desired(), snapshot(box(), JobObserved()))
    assert result.verdict is Verdict.SUCCEEDED and result.plan.empty


def test_a_changed_spec_or_image_runs_again() -> None:
    record = JobObserved(run_hash="older-run", attempts=1, result="Succeeded", container_id=ID1)
    result = plan(desired(), snapshot(box(run_hash="older-run"), record))
    assert str(result) == (
        f"#1 container:{ID1}, RemoveContainer, spec or image changed\n"
        "#2 container:migrate, CreateContainer, new run\n"
        "#3 container:migrate, StartContainer, created\n"
        "verdict: Running, attempt 1"
    )


def test_ttl_after_finished_removes_the_container_later_and_keeps_the_result() -> None:
    record = JobObserved(
        run_hash=RUN, attempts=1, result="Succeeded", container_id=ID1, finished_at=at(3)
    )
    early = plan(desired(ttlAfterFinished="5s"), snapshot(box(finished_s_ago=3), record))
    assert early.plan.empty and early.retry_in_s == pytest.approx(2.0)
    late = JobObserved(
        run_hash=RUN, attempts=1, result="Succeeded", container_id=ID1, finished_at=at(6)
    )
    due = plan(desired(ttlAfterFinished="5s"), snapshot(box(finished_s_ago=6), late))
    assert str(due) == (
        f"#1 container:{ID1}, RemoveContainer, ttlAfterFinished 5s passed\n"
        "verdict: Succeeded, attempt 1"
    )


def test_the_first_pass_to_see_the_end_never_removes_by_ttl() -> None:
    """The record is written before any ttl removal, so a crash cannot lose it."""
    result = plan(desired(ttlAfterFinished="0s"), snapshot(box(finished_s_ago=100)))
    assert result.verdict is Verdict.SUCCEEDED and result.plan.empty


def test_a_job_waits_for_its_dependencies_before_its_first_run() -> None:
    result = plan(desired(), snapshot(None, waiting=("Job/schema to complete (Running)",)))
    assert str(result) == (
        "blocked: Waiting: Job/schema to complete (Running)\nverdict: Waiting, attempt 0"
    )


def test_a_running_attempt_continues_while_a_dependency_is_not_ready() -> None:
    record = JobObserved(run_hash=RUN, attempts=1)
    result = plan(desired(), snapshot(box(state="running"), record, waiting=("x",)))
    assert result.verdict is Verdict.RUNNING and result.plan.empty


def test_an_attempt_the_engine_could_not_start_counts_as_failed() -> None:
    holder = box(state="created", exit_code=127, error="exec: nosuch: not found")
    result = plan(desired(backoffLimit=0), snapshot(holder))
    assert result.verdict is Verdict.FAILED and result.exit_code == 127


def test_a_container_removed_mid_attempt_is_the_next_attempt() -> None:
    record = JobObserved(run_hash=RUN, attempts=1, container_id=ID1)
    result = plan(desired(backoffLimit=1), snapshot(None, record))
    assert "CreateContainer, attempt 2 of 2, its container was gone" in str(result)
    spent = JobObserved(run_hash=RUN, attempts=2, container_id=ID2)
    assert plan(desired(backoffLimit=1), snapshot(None, spent)).verdict is Verdict.FAILED


def test_a_name_taken_by_an_unmanaged_container_is_a_conflict() -> None:
    result = plan(desired(), snapshot(box(labels={})))
    assert result.verdict is Verdict.CONFLICT and result.plan.empty


def test_garbage_is_job_containers_no_job_owns() -> None:
    mine, orphan = box(), box(container_id=ID2, labels=managed_labels("Job", "gone", "h"))
    collected = garbage_plan([mine.summary(), orphan.summary()], {("default", "migrate")})
    assert str(collected) == f"#1 container:{ID2}, RemoveContainer, no Job/gone owns it"


def test_garbage_knows_the_namespace_of_each_job_container() -> None:
    """Job/shop/migrate's container is not Job/migrate's (in default) to keep."""
    labels = {**managed_labels("Job", "migrate", RUN, "shop"), ATTEMPT_LABEL: "1"}
    other = box(container_id=ID2, labels=labels)
    collected = garbage_plan([other.summary()], {("default", "migrate")})
    assert str(collected) == f"#1 container:{ID2}, RemoveContainer, no Job/shop/migrate owns it"
    assert garbage_plan([other.summary()], {("shop", "migrate")}).empty


def test_a_changed_spec_waiting_for_its_inputs_does_not_keep_the_old_result() -> None:
    """Dependents must not take the last run's success for the new spec's."""
    record = JobObserved(
        run_hash="older-run", run_spec_hash="older-spec", attempts=1, result="Succeeded"
    )
    waiting = plan(desired(), snapshot(None, record, waiting=("Image/app to be Ready",)))
    assert waiting.verdict is Verdict.WAITING
    same_spec = record.model_copy(update={"run_spec_hash": SPEC_HASH})
    rebuilding = plan(desired(), snapshot(None, same_spec, waiting=("Image/app to be Ready",)))
    assert rebuilding.verdict is Verdict.SUCCEEDED


def test_the_plan_names_the_spec_hash_of_its_run() -> None:
    assert plan(desired(), snapshot(None)).run_spec_hash == SPEC_HASH
