"""Status building: conditions, error statuses with their retry time, readiness."""

from __future__ import annotations

from datetime import UTC, datetime

from dockform.controller.status import error_status, is_ready, make_status
from dockform.store.types import Resource


def resource(generation: int = 2) -> Resource:
    now = datetime.now(UTC)
    return Resource(
        kind="Container",
        name="web",
        spec={"image": "x"},
        spec_hash="h",
        generation=generation,
        created_at=now,
        updated_at=now,
    )


def test_ready_status_has_the_three_conditions_and_observed_generation() -> None:
    status = make_status(resource(), phase="Running", ready=True, reason="Healthy")
    assert [(c.type, c.status) for c in status.conditions] == [
        ("Ready", "True"),
        ("Progressing", "False"),
        ("Degraded", "False"),
    ]
    assert status.observed_generation == 2


def test_error_status_keeps_facts_records_the_error_and_the_next_retry() -> None:
    base = resource()
    base.status.observed["containerId"] = "abc"
    status = error_status(base, "EngineError", "engine restarting", phase="Running", retry_in_s=4)
    assert status.last_error == "engine restarting"
    assert status.observed == {"containerId": "abc"}
    assert status.next_retry_at is not None
    assert 3 < (status.next_retry_at - datetime.now(UTC)).total_seconds() <= 4
    assert status.condition("Degraded").status == "True"  # type: ignore[union-attr]


def test_ready_only_counts_for_the_current_generation() -> None:
    stale = resource(generation=3)
    stale.status = make_status(resource(generation=2), phase="Running", ready=True, reason="x")
    assert not is_ready(stale)
    stale.status = make_status(stale, phase="Running", ready=True, reason="x")
    assert is_ready(stale)
