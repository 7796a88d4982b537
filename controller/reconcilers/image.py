"""Image reconciler: build (from a context), pull (IfNotPresent | Always) or load (a tarball).

observe: the engine's image for the ref, plus the digest of the build context or the tarball's
fingerprint. plan (pure): which single action, if any, makes the ref point at the wanted image.
Built images carry the io.dockform labels with a hash of spec + context digest (+ the sha256 of
each build secret's content), so a changed context or secret rebuilds and nothing else does.
Status reports the image id, which containers fold into their own hash: a new image id replaces
exactly the containers that use it.

Build secrets (`build.secrets`) are Secrets of the Image's namespace: the Image waits (Pending)
while one is missing or not Ready, as a Container waits for its own, and the plan hands them to
the executor still sealed (`SealedBuildSecret`), which opens them into files for the build alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from dockform.controller.actions import (
    BuildImage,
    LoadImage,
    Plan,
    PullImage,
    RemoveImage,
    SealedBuildSecret,
)
from dockform.controller.context import ReconcileContext
from dockform.controller.errors import TerminalError, TransientError
from dockform.controller.host_access import require_host_access
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.reconcilers.build_context import (
    BuildContextError,
    context_digest,
    file_fingerprint,
)
from dockform.controller.registry import ANY_NAMESPACE, KeyLookup, KindRegistration, Ref
from dockform.controller.status import is_ready, make_status, observed_as
from dockform.manifests.kinds import Kind
from dockform.manifests.models import ImageSpec
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey, display
from dockform.manifests.policy import image_host_paths
from dockform.manifests.status import ImageObserved, Phase, Reason
from dockform.runtime.refs import normalize_ref
from dockform.runtime.types import (
    HASH_LABEL,
    KIND_LABEL,
    MANAGED_LABEL,
    BuildRequest,
    ImageInfo,
    RuntimeEvent,
    label_key,
    managed_labels,
    owned_by,
)
from dockform.settings import KindLimits
from dockform.store.types import Resource
from dockform.store.vault import seal_context

KIND = Kind.IMAGE
_IMAGE_ACTIONS = frozenset({"delete", "untag", "tag", "load"})


@dataclass(frozen=True)
class BuildSecretState:
    """A build secret's Secret, Ready: its content digest (hashed) and sealed content."""

    secret: SealedBuildSecret
    sha256: str


@dataclass(frozen=True)
class ImageDesired:
    name: str
    spec: ImageSpec
    spec_hash: str
    generation: int
    namespace: str = DEFAULT_NAMESPACE
    build_secrets: tuple[BuildSecretState, ...] = ()


@dataclass(frozen=True)
class ImageSnapshot:
    image: ImageInfo | None
    source_digest: str  # build: context digest; load: tarball fingerprint; pull: ""
    pulled_generation: int  # last generation pulled (for policy Always)
    loaded_fingerprint: str  # the tarball fingerprint last loaded
    built_secrets_digest: str = ""  # secrets_digest of the last build's secrets


def secrets_digest(secrets: Sequence[BuildSecretState]) -> str:
    """What the build secrets were, as one digest ("" for none): ids and content digests."""
    if not secrets:
        return ""
    text = "".join(f"{state.secret.id} {state.sha256}\n" for state in secrets)
    return hashlib.sha256(text.encode()).hexdigest()


def wanted_hash(
    spec_hash: str, source_digest: str, secrets: Sequence[BuildSecretState] = ()
) -> str:
    text = f"{spec_hash}\n{source_digest}"
    if secrets:  # only then: an Image without build secrets keeps the hash it always had
        text += "".join(f"\nsecret {state.secret.id} {state.sha256}" for state in secrets)
    return hashlib.sha256(text.encode()).hexdigest()


def plan(desired: ImageDesired, observed: ImageSnapshot) -> Plan:
    spec = desired.spec
    ref = spec.ref
    image = observed.image
    if spec.build is not None:
        want = wanted_hash(desired.spec_hash, observed.source_digest, desired.build_secrets)
        if image is not None and image.labels.get(HASH_LABEL) == want:
            return Plan()
        # BuildKit's cache ignores secret contents: new ones must run every step again.
        fresh = secrets_digest(desired.build_secrets) != observed.built_secrets_digest
        cause = "not found" if image is None else "build inputs changed"
        if image is not None and fresh:
            cause = "build secrets changed"
        request = BuildRequest(
            context_dir=spec.build.context,
            dockerfile=spec.build.dockerfile,
            tag=ref,
            labels=managed_labels(KIND, desired.name, want, desired.namespace),
            args=dict(spec.build.args),
            target=spec.build.target,
            no_cache=fresh,
        )
        secrets = tuple(state.secret for state in desired.build_secrets)
        return Plan(actions=(BuildImage(cause=cause, request=request, secrets=secrets),))
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


def delete_plan(
    name: str, ref: str, image: ImageInfo | None, namespace: str = DEFAULT_NAMESPACE
) -> Plan:
    """Remove a built image of ours; pulled and loaded images carry no labels of ours and are
    left in Docker."""
    if image is None or not owned_by(image.labels, KIND, name, namespace):
        return Plan()
    return Plan(actions=(RemoveImage(cause="deleted", ref=ref),))


def garbage_plan(images: Sequence[ImageInfo], owned: Sequence[Resource]) -> Plan:
    """Every tag of a managed image that no Image owns (by name and ref)."""
    owned_refs = {
        normalize_ref(str(resource.spec.get("ref"))): (resource.namespace, resource.name)
        for resource in owned
    }
    actions: list[RemoveImage] = []
    for image in images:
        owner = label_key(image.labels)
        if any(owned_refs.get(tag) == owner for tag in image.tags):
            continue
        actions += [
            RemoveImage(
                cause=f"no {display(KIND, *owner)} owns it",
                ref=tag,
                garbage=True,
                subject=owner[1],
                subject_namespace=owner[0],
            )
            for tag in image.tags or (image.id,)
        ]
    return Plan(actions=tuple(actions))


class ImageReconciler:
    def __init__(self, context: ReconcileContext) -> None:
        self._runtime = context.runtime
        self._store = context.store
        self._executor = context.executor
        self._host_access = context.host_access

    def _build_secrets(
        self, resource: Resource, spec: ImageSpec
    ) -> tuple[tuple[BuildSecretState, ...], list[str]]:
        """Its build secrets' states, and what it waits for (their Secrets, in order)."""
        if spec.build is None or not spec.build.secrets:
            return (), []
        repeated = spec.build.repeated_secret_ids()
        if repeated:
            raise TerminalError(
                f"{display(KIND, resource.namespace, resource.name)}: spec.build.secrets: two "
                f"have the id {', '.join(repeated)}; give each its own id",
                reason=Reason.INVALID_SPEC,
            )
        states: list[BuildSecretState] = []
        waiting: list[str] = []
        for ref in spec.build.secrets:
            shown = display(Kind.SECRET, resource.namespace, ref.name)
            secret = self._store.get(Kind.SECRET, ref.name, resource.namespace)
            if secret is None:
                waiting.append(
                    f"{shown}, which does not exist (apply it, or remove it from "
                    "spec.build.secrets)"
                )
            elif secret.deleting:
                waiting.append(f"{shown} is being deleted")
            elif not is_ready(secret):
                waiting.append(f"{shown} to be Ready ({secret.status.reason or 'Pending'})")
            else:
                sealed = SealedBuildSecret(
                    id=ref.build_id(),
                    context=seal_context(Kind.SECRET, resource.namespace, ref.name),
                    sealed=str(secret.spec.get("sealed", "")),
                )
                states.append(BuildSecretState(sealed, str(secret.spec.get("sha256", ""))))
        return tuple(states), waiting

    def observe(self, resource: Resource, spec: ImageSpec) -> ImageSnapshot:
        previous = observed_as(resource, ImageObserved)
        try:
            if spec.build is not None:
                digest = context_digest(spec.build.context, spec.build.dockerfile)
            elif spec.load is not None:
                digest = file_fingerprint(spec.load.path)
            else:
                digest = ""
        except (BuildContextError, OSError) as error:
            raise TerminalError(
                f"Image/{resource.name}: {error}", reason=Reason.SOURCE_MISSING
            ) from error
        return ImageSnapshot(
            image=self._runtime.inspect_image(spec.ref),
            source_digest=digest,
            pulled_generation=previous.pulled_generation or 0,
            loaded_fingerprint=previous.loaded_fingerprint or "",
            built_secrets_digest=previous.secrets_digest or "",
        )

    def reconcile(self, resource: Resource) -> Outcome:
        spec = ImageSpec.model_validate(resource.spec)
        # Before observe: digesting a build context already reads the host's files.
        require_host_access(self._host_access, f"{KIND}/{resource.name}", image_host_paths(spec))
        build_secrets, waiting = self._build_secrets(resource, spec)
        if waiting:
            status = make_status(
                resource,
                phase=Phase.PENDING,
                ready=False,
                reason=Reason.WAITING,
                message=f"waiting for {'; '.join(waiting)}",
                progressing=True,
                observed=observed_as(resource, ImageObserved),
            )
            return Outcome(status=status)
        observed = self.observe(resource, spec)
        image_plan = plan(
            ImageDesired(
                resource.name,
                spec,
                resource.spec_hash,
                resource.generation,
                resource.namespace,
                build_secrets,
            ),
            observed,
        )
        executed = self._executor.execute(image_plan, resource.key)
        image = self._runtime.inspect_image(spec.ref) if image_plan.actions else observed.image
        if image is None:
            raise TransientError(f"image {spec.ref} is not present after {image_plan}")
        facts = observed_as(resource, ImageObserved).model_copy(
            update={"image_id": image.id, "ref": spec.ref}
        )
        if spec.build is not None:
            facts = facts.model_copy(update={"context_digest": observed.source_digest})
        if executed.did(BuildImage):
            built = secrets_digest(build_secrets) or None
            facts = facts.model_copy(update={"secrets_digest": built})
        if executed.did(PullImage):
            facts = facts.model_copy(update={"pulled_generation": resource.generation})
        if executed.did(LoadImage):
            facts = facts.model_copy(update={"loaded_fingerprint": observed.source_digest})
        status = make_status(
            resource,
            phase=Phase.READY,
            ready=True,
            reason=Reason.PRESENT,
            message=f"{spec.ref} is {image.id[:19]}",
            observed=facts,
        )
        return Outcome(status=status, events=tuple(executed.events))

    def delete(self, resource: Resource) -> DeleteOutcome:
        ref = str(resource.spec.get("ref", ""))
        image = self._runtime.inspect_image(ref) if ref else None
        executed = self._executor.execute(
            delete_plan(resource.name, ref, image, resource.namespace), resource.key
        )
        if executed.waiting:
            return DeleteOutcome(done=False, waiting_for=executed.waiting)
        return DeleteOutcome(done=True, events=tuple(executed.events))

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        images = self._runtime.list_images({MANAGED_LABEL: "true", KIND_LABEL: KIND})
        return self._executor.collect_garbage(garbage_plan(images, owned), KIND)


def find_image(
    image: str, images: Sequence[Resource], namespace: str = DEFAULT_NAMESPACE
) -> Resource | None:
    """The Image a container's `image` names: by name in its own namespace first, then by
    ref (a tag is global on the engine: its own namespace first, then the lowest key)."""
    candidates = [resource for resource in images if resource.kind == KIND]
    by_name = [r for r in candidates if r.name == image and r.namespace == namespace]
    if by_name:
        return by_name[0]
    by_ref = sorted(
        (resource for resource in candidates if resource.spec.get("ref") == image),
        key=lambda resource: (resource.namespace != namespace, resource.namespace, resource.name),
    )
    return by_ref[0] if by_ref else None


def known_as(resource: Resource) -> list[Ref]:
    """Containers name an image by the Image's name (in its namespace) or by its ref (in
    any namespace: tags are global on the engine)."""
    refs: list[Ref] = [resource.key]
    ref = resource.spec.get("ref")
    if ref is not None:
        refs.append(ObjectKey(KIND, ANY_NAMESPACE, str(ref)))
    return refs


def image_events(event: RuntimeEvent, lookup: KeyLookup) -> list[ObjectKey]:
    """An image deleted, untagged, tagged or loaded: the Images it may be (by name or ref)."""
    if event.type != "image" or event.action not in _IMAGE_ACTIONS:
        return []
    name = event.labels.get("name", event.id)
    return [
        resource.key
        for resource in lookup.list(KIND)
        if resource.name == name
        or resource.spec.get("ref") == name
        or name.startswith(str(resource.spec.get("ref")))
    ]


def requires(resource: Resource) -> list[Ref]:
    """The Secrets of its build secrets, in its namespace."""
    build = resource.spec.get("build") or {}
    return [
        ObjectKey(Kind.SECRET, resource.namespace, str(secret["name"]))
        for secret in build.get("secrets", [])
    ]


REGISTRATION = KindRegistration(
    kind=KIND,
    spec_model=ImageSpec,
    observed_model=ImageObserved,
    reconciler=ImageReconciler,
    event_mappers=(image_events,),
    requires=requires,
    known_as=known_as,
    # Builds take minutes: their own workers and a long timeout, so containers never wait
    # behind them for a worker.
    limits=KindLimits(workers=2, timeout_s=1800.0),
)
