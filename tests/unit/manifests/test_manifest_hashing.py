"""Spec hashing: equal meaning hashes equal, and only fields that matter change the hash."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from dockform.manifests import (
    UnknownKindError,
    canonical_json,
    load_text,
    manifest_spec,
    spec_hash,
)

CONTAINER: dict[str, Any] = {
    "image": "app:dev",
    "env": {"MODE": "prod", "LEVEL": "debug"},
    "ports": [{"containerPort": 80, "hostPort": 8080}],
    "dependsOn": [{"name": "db"}],
}


def test_canonical_json_sorts_keys_without_whitespace_or_escapes() -> None:
    assert canonical_json({"b": [1, {"d": None, "c": "é"}], "a": True}) == (
        '{"a":true,"b":[1,{"c":"é","d":null}]}'
    )


def test_written_defaults_hash_like_omitted_defaults() -> None:
    explicit = {
        **CONTAINER,
        "command": None,
        "ports": [
            {"containerPort": 80, "hostPort": 8080, "hostIP": "127.0.0.1", "protocol": "tcp"}
        ],
        "networks": [],
        "volumes": [],
        "restartPolicy": "Always",
        "resources": {},
        "stopGracePeriod": "10s",
        "labels": {},
    }
    assert spec_hash("Container", explicit) == spec_hash("Container", CONTAINER)
    assert spec_hash("Volume", {}) == spec_hash(
        "Volume", {"driver": "local", "driverOpts": {}, "labels": {}, "reclaimPolicy": "Retain"}
    )
    assert spec_hash("Network", {}) == spec_hash("Network", {"driver": "bridge", "internal": False})


def test_key_order_does_not_change_the_hash() -> None:
    reordered = {key: CONTAINER[key] for key in reversed(list(CONTAINER))}
    reordered["env"] = {"LEVEL": "debug", "MODE": "prod"}
    assert spec_hash("Container", reordered) == spec_hash("Container", CONTAINER)


def test_depends_on_does_not_change_the_hash_but_env_does() -> None:
    base = spec_hash("Container", CONTAINER)
    waits_differently = {**CONTAINER, "dependsOn": [{"name": "cache", "condition": "Healthy"}]}
    assert spec_hash("Container", waits_differently) == base
    assert spec_hash("Container", {**CONTAINER, "dependsOn": []}) == base
    assert spec_hash("Container", {**CONTAINER, "env": {"MODE": "dev", "LEVEL": "debug"}}) != base
    assert spec_hash("Container", {**CONTAINER, "ports": [{"containerPort": 81}]}) != base


def test_git_source_interval_and_suspend_do_not_change_the_hash() -> None:
    spec = {"url": "https://example.invalid/repo.git"}
    base = spec_hash("GitSource", spec)
    assert spec_hash("GitSource", {**spec, "interval": "5m", "suspend": True}) == base
    assert spec_hash("GitSource", {**spec, "branch": "release"}) != base


def test_hash_is_sha256_of_the_canonical_normalised_spec() -> None:
    # The exact bytes hashed: changing them re-creates every object of every user on upgrade.
    assert spec_hash("Volume", {}) == hashlib.sha256(b"{}").hexdigest()
    assert spec_hash("Volume", {"reclaimPolicy": "Delete"}) == (
        hashlib.sha256(b'{"reclaimPolicy":"Delete"}').hexdigest()
    )
    without_depends_on = '{"image":"x"}'
    assert spec_hash("Container", {"image": "x", "dependsOn": [{"name": "db"}]}) == (
        hashlib.sha256(without_depends_on.encode()).hexdigest()
    )


def test_manifest_spec_is_camel_case_with_defaults_and_without_none() -> None:
    text = (
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\n"
        "spec: {image: 'app:dev', ports: [{containerPort: 80}]}\n"
    )
    (loaded,) = load_text(text)
    stored = manifest_spec(loaded.manifest)
    assert stored["ports"] == [{"containerPort": 80, "hostIP": "127.0.0.1", "protocol": "tcp"}]
    assert stored["restartPolicy"] == "Always"
    assert stored["resources"] == {}
    assert "command" not in stored and "healthcheck" not in stored
    assert spec_hash("Container", stored) == spec_hash(
        "Container", {"image": "app:dev", "ports": [{"containerPort": 80}]}
    )


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownKindError):
        spec_hash("Pod", {})


def test_fields_at_their_defaults_do_not_enter_the_hash() -> None:
    # A field added later with a default must not change existing hashes (recreate storm).
    assert spec_hash("Container", {"image": "x"}) == spec_hash(
        "Container", {"image": "x", "privileged": False, "restartPolicy": "Always"}
    )
    assert spec_hash("Container", {"image": "x"}) != spec_hash(
        "Container", {"image": "x", "privileged": True}
    )
