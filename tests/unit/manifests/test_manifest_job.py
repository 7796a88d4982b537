"""The Job kind's spec (issue 12): a Container's fields, no restart policy, backoffLimit and
ttlAfterFinished; dependsOn entries with a kind and a condition that fits it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dockform.manifests.hashing import spec_hash
from dockform.manifests.models import ContainerSpec, Dependency, JobSpec
from dockform.manifests.schema import json_schema


def test_a_job_spec_is_a_containers_with_backoff_limit_and_ttl() -> None:
    spec = JobSpec.model_validate(
        {"image": "app:1", "command": ["migrate"], "ttlAfterFinished": "10m"}
    )
    assert spec.backoff_limit == 6 and spec.ttl_after_finished == "10m"
    assert spec.restart_policy == "Never"
    stored = spec.dump()
    assert "restartPolicy" not in stored and "restartOnUnhealthy" not in stored
    assert JobSpec.model_validate(stored) == spec


@pytest.mark.parametrize("field", ["restartPolicy", "restartOnUnhealthy"])
def test_restart_settings_are_refused_naming_the_field(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} does not apply to a Job"):
        JobSpec.model_validate({"image": "app:1", field: "Always"})


def test_backoff_limit_and_ttl_are_checked() -> None:
    for bad in ({"backoffLimit": -1}, {"backoffLimit": 101}, {"ttlAfterFinished": "soon"}):
        with pytest.raises(ValidationError):
            JobSpec.model_validate({"image": "app:1", **bad})


def test_what_runs_is_hashed_not_when_or_how_long_it_stays() -> None:
    base = {"image": "app:1", "command": ["migrate"]}
    same = spec_hash("Job", base)
    assert spec_hash("Job", {**base, "backoffLimit": 1, "ttlAfterFinished": "1s"}) == same
    assert spec_hash("Job", {**base, "dependsOn": [{"name": "db"}]}) == same
    assert spec_hash("Job", {**base, "command": ["seed"]}) != same


def test_dependency_kinds_and_conditions() -> None:
    assert Dependency.model_validate({"name": "m", "kind": "Job"}).condition == "Completed"
    assert Dependency.model_validate({"name": "db"}).condition == "Started"
    with pytest.raises(ValidationError, match="condition Healthy does not apply to a Job"):
        Dependency.model_validate({"name": "m", "kind": "Job", "condition": "Healthy"})
    with pytest.raises(ValidationError, match="condition Completed does not apply to a Container"):
        Dependency.model_validate({"name": "db", "condition": "Completed"})
    with pytest.raises(ValidationError):
        Dependency.model_validate({"name": "db", "kind": "Volume"})


def test_a_stored_container_dependency_reads_as_before() -> None:
    """`kind: Container` is left out of the stored spec: re-applying changes nothing."""
    spec = ContainerSpec.model_validate({"image": "a", "dependsOn": [{"name": "db"}]})
    assert spec.dump()["dependsOn"] == [{"name": "db", "condition": "Started"}]


def test_the_schema_has_the_job_kind_without_restart_settings() -> None:
    definitions = json_schema()["$defs"]
    properties = definitions["JobSpec"]["properties"]
    assert "backoffLimit" in properties and "ttlAfterFinished" in properties
    assert "restartPolicy" not in properties and "restartOnUnhealthy" not in properties
    assert "Job" in definitions["Job"]["properties"]["kind"]["const"]
