"""Image reconciler: build (from a context), pull (IfNotPresent | Always) or load (a tarball).

observe: the engine's image for the ref, plus the digest of the build context or the tarball's
fingerprint. plan (pure): which single action, if any, makes the ref point at the wanted image.
Built images carry the io.dockform labels with a hash of spec + context digest, so a changed
context rebuilds and nothing else does. Status reports the image id, which containers fold into
their own hash: a new image id replaces exactly the containers that use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from dockform.controller.reconcilers.base import (
    Action,
    DeleteOutcome,
    EventNote,
    Outcome,
    Plan,
    ReconcileContext,
    TerminalError,
    TransientError,
)
from dockform.controller.reconcilers.build_context import (
    BuildContextError,
    context_digest,
    file_fingerprint,
)
from dockform.controller.status import make_status
from dockform.manifests.models import ImageSpec
from dockform.runtime.errors import ImageBuildFailed, ObjectConflict, RuntimeFailure
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MANAGED_LABEL,
    NAME_LABEL,
    BuildRequest,
    ImageInfo,
    managed_labels,
    owned_by,
)
from dockform.store.types import Resource

KIND = "Image"


@dataclass(frozen=True)
class BuildImage(Action):
    request: BuildRequest

    def target(self) -> str:
        return f"image:{self.request.tag}"


@dataclass(frozen=True)
class PullImage(Action):
    ref: str

    def target(self) -> str:
        return f"image:{self.ref}"


@dataclass(frozen=True)
class LoadImage(Action):
    ref: str
    path: str

    def target(self) -> str:
        return f"image:{self.ref}"


@dataclass(frozen=True)
class ImageDesired:
    name: str
    spec: ImageSpec
    spec_hash: str
    generation: int


@dataclass(frozen=True)
class ImageObserved:
    image: ImageInfo | None
    source_digest: str  # build: context digest; load: tarball fingerprint; pull: ""
    pulled_generation: int  # last generation pulled (for policy Always)
    loaded_fingerprint: str  # the tarball fingerprint last loaded


def wanted_hash(spec_hash: str, source_digest: str) -> str:
    return hashlib.sha256(f"{spec_hash}\n{source_digest}".encode()).hexdigest()


def plan(desired: ImageDesired, observed: ImageObserved) -> Plan:
    spec = desired.spec
    ref = spec.ref
    image = observed.image
    if spec.build is not None:
        want = wanted_hash(desired.spec_hash, observed.source_digest)
        if image is not None and image.labels.get(HASH_LABEL) == want:
            return Plan()
        cause = "not found" if image is None else "build inputs changed"
        request = BuildRequest(
            context_dir=spec.build.context,
            dockerfile=spec.build.dockerfile,
            tag=ref,
            labels=managed_labels(KIND, desired.name, want),
            args=dict(spec.build.args),
            target=spec.build.target,
        )
        return Plan(actions=(BuildImage(cause=cause, request=request),))
    if spec.pull is not None:
        if image is None:
            return Plan(actions=(PullImage(cause="not found", ref=ref),))
        if spec.pull.policy == "Always" and observed.pulled_generation < desired.generation:
            return Plan(actions=(PullImage(cause="policy Always, new generation", ref=ref),))
        return Plan()
    if spec.load is not None:
        if image is None:
            return Plan(actions=(LoadImage(cause="not found", ref=ref, path=spec.load.path),))
        if observed.loaded_fingerprint != observed.source_digest:
            return Plan(actions=(LoadImage(cause="tarball changed", ref=ref, path=spec.load.path),))
    return Plan()


class ImageReconciler:
    kind = KIND

    def __init__(self, context: ReconcileContext) -> None:
        self._store = context.store
        self._runtime = context.runtime

    def observe(self, resource: Resource, spec: ImageSpec) -> ImageObserved:
        previous = resource.status.observed
        try:
            if spec.build is not None:
                digest = context_digest(spec.build.context, spec.build.dockerfile)
            elif spec.load is not None:
                digest = file_fingerprint(spec.load.path)
            else:
                digest = ""
        except (BuildContextError, OSError) as error:
            raise TerminalError(
                f"Image/{resource.name}: {error}", reason="SourceMissing"
            ) from error
        return ImageObserved(
            image=self._runtime.inspect_image(spec.ref),
            source_digest=digest,
            pulled_generation=int(previous.get("pulledGeneration", 0)),
            loaded_fingerprint=str(previous.get("loadedFingerprint", "")),
        )

    def reconcile(self, resource: Resource) -> Outcome:
        spec = ImageSpec.model_validate(resource.spec)
        observed = self.observe(resource, spec)
        image_plan = plan(
            ImageDesired(resource.name, spec, resource.spec_hash, resource.generation), observed
        )
        facts = dict(resource.status.observed)
        events: list[EventNote] = []
        for action in image_plan.actions:
            self._execute(action, facts, observed, resource.generation)
            events.append(
                EventNote(
                    "Normal", _reason(action), f"{action.verb} {action.target()}: {action.cause}"
                )
            )
        image = self._runtime.inspect_image(spec.ref) if image_plan.actions else observed.image
        if image is None:
            raise TransientError(f"image {spec.ref} is not present after {image_plan}")
        facts.update(imageId=image.id, ref=spec.ref)
        if spec.build is not None:
            facts["contextDigest"] = observed.source_digest
        status = make_status(
            resource,
            phase="Ready",
            ready=True,
            reason="Present",
            message=f"{spec.ref} is {image.id[:19]}",
            observed=facts,
        )
        return Outcome(status=status, events=tuple(events))

    def _execute(
        self, action: Action, facts: dict[str, object], observed: ImageObserved, generation: int
    ) -> None:
        try:
            match action:
                case BuildImage(request=request):
                    self._runtime.build_image(request)
                case PullImage(ref=ref):
                    self._runtime.pull_image(ref)
                    facts["pulledGeneration"] = generation
                case LoadImage(ref=ref, path=path):
                    loaded = self._runtime.load_image(path)
                    if ref not in loaded and loaded:
                        self._runtime.tag_image(loaded[0], ref)
                    facts["loadedFingerprint"] = observed.source_digest
                case _:
                    raise TypeError(f"unknown image action {action!r}")
        except ImageBuildFailed as error:
            raise TerminalError(
                f"building {action.target()} failed: {error}", reason="BuildFailed"
            ) from error
        except RuntimeFailure as error:
            if not error.transient:
                raise TerminalError(
                    f"{action.verb} {action.target()} failed: {error}",
                    reason=f"{action.verb}Failed",
                ) from error
            raise TransientError(
                f"{action.verb} {action.target()} failed: {error}", reason="EngineError"
            ) from error

    def delete(self, resource: Resource) -> DeleteOutcome:
        ref = str(resource.spec.get("ref", ""))
        image = self._runtime.inspect_image(ref) if ref else None
        if image is None or not _owned(image, resource.name):
            # Pulled and loaded images carry no labels of ours: they are left in Docker.
            return DeleteOutcome(done=True)
        try:
            self._runtime.remove_image(ref)
        except ObjectConflict as error:
            return DeleteOutcome(
                done=False, waiting_for=f"image {ref} is still in use: {error}", requeue_after=2.0
            )
        except RuntimeFailure as error:
            raise TransientError(f"removing image {ref}: {error}") from error
        return DeleteOutcome(
            done=True, events=(EventNote("Normal", "Removed", f"removed image {ref}"),)
        )

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        owned_refs = {
            normalized_ref(str(resource.spec.get("ref"))): resource.name for resource in owned
        }
        notes: list[EventNote] = []
        for image in self._runtime.list_images({MANAGED_LABEL: "true", KIND_LABEL: KIND}):
            name = image.labels.get(NAME_LABEL, "")
            if any(owned_refs.get(tag) == name for tag in image.tags):
                continue
            for tag in image.tags or (image.id,):
                try:
                    self._runtime.remove_image(tag)
                except ObjectConflict:
                    continue  # a container still uses it; the next resync tries again
                notes.append(
                    EventNote(
                        "Normal",
                        "GarbageCollected",
                        subject=name,
                        message=f"removed image {tag}: no Image/{name} owns it",
                    )
                )
        return notes


def _owned(image: ImageInfo, name: str) -> bool:
    return owned_by(image.labels, KIND, name)


def _reason(action: Action) -> str:
    return {"BuildImage": "Built", "PullImage": "Pulled", "LoadImage": "Loaded"}[action.verb]


def normalized_ref(ref: str) -> str:
    """`hello` -> `hello:latest`, as the engine lists tags; digests and tags are kept."""
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last or "@" in last else f"{ref}:latest"
