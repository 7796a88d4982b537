"""The dependency index, built from the kinds' registrations: who requires whom."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dockform.controller.reconcilers import REGISTRATIONS
from dockform.controller.reconcilers.container import (
    container_condition_unmet,
    job_completion_unmet,
)
from dockform.controller.registry import DependencyIndex, Registry
from dockform.manifests.namespaces import key
from dockform.store.types import Resource, ResourceStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def resource(kind: str, name: str, **spec: Any) -> Resource:
    return Resource(kind=kind, name=name, spec=spec, spec_hash="h", created_at=NOW, updated_at=NOW)


CONTAINERS = [
    resource("Container", "web", image="shop", networks=["front", "back"]),
    resource(
        "Container",
        "api",
        image="registry.local/api:1",
        networks=["back"],
        dependsOn=[{"name": "db", "condition": "Healthy"}],
    ),
    resource(
        "Container",
        "db",
        image="postgres:16",
        networks=["back"],
        volumes=[{"volume": "data", "mountPath": "/var/lib/postgresql"}],
    ),
    resource("Container", "tmp", image="busybox", volumes=[{"tmpfs": "/tmp", "mountPath": "/t"}]),
]
TARGETS = [
    resource("Image", "shop", ref="registry.local/shop:2"),
    resource("Image", "api", ref="registry.local/api:1"),
    resource("Image", "unused", ref="nothing:1"),
    resource("Image", "postgres:16", ref="postgres:16"),
    resource("Network", "back"),
    resource("Network", "front"),
    resource("Network", "elsewhere"),
    resource("Volume", "data"),
    resource("Container", "db"),
    resource("Container", "web"),
]


REGISTRY = Registry(REGISTRATIONS)


def test_index_answers_for_every_kind_of_target() -> None:
    # The Image and Container targets above duplicate the Containers' own keys: index only one
    # copy of each key, as the store would hold.
    index = DependencyIndex([*CONTAINERS, *TARGETS[:-2]], REGISTRY)
    for target in TARGETS:
        dependents = index.dependents(target)
        assert target.key not in dependents
        assert all(key[0] == "Container" for key in dependents), target.key


def test_requirements_resolve_images_by_ref_and_skip_what_does_not_exist() -> None:
    index = DependencyIndex([*CONTAINERS, *TARGETS[:-2]], REGISTRY)
    api = CONTAINERS[1]
    assert index.requirements(api) == [
        key("Container", "db"),
        key("Image", "api"),
        key("Network", "back"),
    ]
    db = CONTAINERS[2]
    assert index.requirements(db) == [
        key("Image", "postgres:16"),
        key("Network", "back"),
        key("Volume", "data"),
    ]


def test_referrers_leave_out_what_is_being_deleted() -> None:
    deleting = CONTAINERS[0].model_copy(update={"deletion_requested_at": NOW})
    index = DependencyIndex([deleting, *CONTAINERS[1:], *TARGETS[:-2]], REGISTRY)
    back = TARGETS[4]
    assert index.dependents(back) == [
        key("Container", "api"),
        key("Container", "db"),
        key("Container", "web"),
    ]
    assert index.referrers(back) == [key("Container", "api"), key("Container", "db")]
    assert index.deleting(key("Container", "web"))


def test_index_answers() -> None:
    index = DependencyIndex([*CONTAINERS, *TARGETS[:-2]], REGISTRY)
    by_key = {target.key: index.dependents(target) for target in TARGETS}
    assert by_key[key("Network", "back")] == [
        key("Container", "api"),
        key("Container", "db"),
        key("Container", "web"),
    ]
    assert by_key[key("Image", "shop")] == [key("Container", "web")]
    assert by_key[key("Image", "api")] == [key("Container", "api")]
    assert by_key[key("Container", "db")] == [key("Container", "api")]
    assert by_key[key("Volume", "data")] == [key("Container", "db")]
    assert by_key[key("Network", "elsewhere")] == []
    assert by_key[key("Container", "web")] == []


# --- dependsOn conditions (issue 12): Started means it has run, Completed a Job's success


def with_status(item: Resource, phase: str, generation: int = 1, **observed: Any) -> Resource:
    status = ResourceStatus(phase=phase, observed_generation=generation, observed=observed)
    return item.model_copy(update={"status": status})


def test_a_job_dependency_is_a_requirement_that_wakes_its_dependents() -> None:
    job = resource("Job", "migrate", image="shop")
    web = resource("Container", "web", image="shop", dependsOn=[{"name": "migrate", "kind": "Job"}])
    index = DependencyIndex([job, web], Registry(REGISTRATIONS))
    assert index.dependents(job) == [key("Container", "web")]
    assert index.requirements(web) == [key("Job", "migrate")]


def test_started_holds_for_a_container_that_ran_and_exited() -> None:
    base = resource("Container", "seed", image="shop")
    assert container_condition_unmet(with_status(base, "Running", state="running"), "Started") == []
    exited = with_status(base, "Succeeded", state="exited", exitCode=0)
    assert container_condition_unmet(exited, "Started") == []
    created = with_status(base, "Pending", state="created")
    assert container_condition_unmet(created, "Started") == [
        "Container/seed to be Started (it is Pending)"
    ]
    stale = with_status(base.model_copy(update={"generation": 2}), "Running", state="exited")
    assert container_condition_unmet(stale, "Started") != []


def test_healthy_needs_the_container_healthy_now() -> None:
    base = resource("Container", "db", image="pg")
    exited = with_status(base, "Succeeded", state="exited", health="healthy")
    assert container_condition_unmet(exited, "Healthy") == [
        "Container/db to be Healthy (it is Succeeded)"
    ]
    starting = with_status(base, "Running", state="running", health="starting")
    assert container_condition_unmet(starting, "Healthy") == [
        "Container/db to be Healthy (health: starting)"
    ]
    healthy = with_status(base, "Running", state="running", health="healthy")
    assert container_condition_unmet(healthy, "Healthy") == []


def test_completed_holds_on_the_jobs_recorded_success_without_a_container() -> None:
    job = resource("Job", "migrate", image="shop")
    done = with_status(job, "Succeeded", result="Succeeded", containerRemoved=True)
    assert job_completion_unmet(done) == []
    running = with_status(job, "Running").model_copy(
        update={"status": ResourceStatus(phase="Running", reason="Running", observed_generation=1)}
    )
    assert job_completion_unmet(running) == ["Job/migrate to complete (Running)"]
    rerun = with_status(job.model_copy(update={"generation": 2}), "Succeeded")
    assert job_completion_unmet(rerun) != []
