"""Golden-text tests of the image planner."""

from __future__ import annotations

from typing import Any

from dockform.controller.reconcilers.image import ImageDesired, ImageSnapshot, plan, wanted_hash
from dockform.manifests.models import ImageSpec
from dockform.runtime.types import ImageInfo, managed_labels


def desired(generation: int = 1, **spec: Any) -> ImageDesired:
    return ImageDesired(
        "hello", ImageSpec.model_validate({"ref": "hello:latest", **spec}), "sh", generation
    )


def image(labels: dict[str, str] | None = None) -> ImageInfo:
    return ImageInfo(id="sha256:" + "b" * 64, tags=("hello:latest",), labels=labels or {})


def observed(
    found: ImageInfo | None, digest: str = "ctx1", pulled: int = 0, loaded: str = ""
) -> ImageSnapshot:
    return ImageSnapshot(
        image=found, source_digest=digest, pulled_generation=pulled, loaded_fingerprint=loaded
    )


BUILD = {"build": {"context": "/src", "dockerfile": "Dockerfile"}}


def test_build_when_missing() -> None:
    result = plan(desired(**BUILD), observed(None))
    assert str(result) == "#1 image:hello:latest, BuildImage, not found"
    request = result.actions[0].request  # type: ignore[attr-defined]
    assert request.context_dir == "/src"
    assert request.labels["io.dockform.spec-hash"] == wanted_hash("sh", "ctx1")


def test_build_is_skipped_when_inputs_match() -> None:
    labels = managed_labels("Image", "hello", wanted_hash("sh", "ctx1"))
    assert plan(desired(**BUILD), observed(image(labels))).empty


def test_changed_context_rebuilds() -> None:
    labels = managed_labels("Image", "hello", wanted_hash("sh", "ctx1"))
    assert str(plan(desired(**BUILD), observed(image(labels), digest="ctx2"))) == (
        "#1 image:hello:latest, BuildImage, build inputs changed"
    )


def test_pull_if_not_present() -> None:
    pull = {"pull": {"policy": "IfNotPresent"}}
    assert (
        str(plan(desired(**pull), observed(None))) == "#1 image:hello:latest, PullImage, not found"
    )
    assert plan(desired(**pull), observed(image())).empty


def test_pull_always_once_per_generation() -> None:
    pull = {"pull": {"policy": "Always"}}
    assert str(plan(desired(2, **pull), observed(image(), pulled=1))) == (
        "#1 image:hello:latest, PullImage, policy Always, new generation"
    )
    assert plan(desired(2, **pull), observed(image(), pulled=2)).empty


def test_load_when_missing_or_tarball_changed() -> None:
    load = {"load": {"path": "/tmp/x.tar"}}
    assert str(plan(desired(**load), observed(None, digest="f1"))) == (
        "#1 image:hello:latest, LoadImage, not found"
    )
    assert plan(desired(**load), observed(image(), digest="f1", loaded="f1")).empty
    assert "tarball changed" in str(
        plan(desired(**load), observed(image(), digest="f2", loaded="f1"))
    )
