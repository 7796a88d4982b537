"""What the Secret and Config reconcilers share: content checked, never a Docker object.

A Secret or Config is one value, read and recorded at apply (`store.sealing`). Its pass makes
no engine call: it checks that the content is usable (a Secret's seal opens with this daemon's
key) and reports Ready with the content's sha256 and size, never the content. Containers that
mount it wait for Ready, hash its digest (new content replaces them) and have their files
written by the executor (`controller.container_files`). Deleting one waits while a container
still uses it (the manager's StillReferenced).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from dockform.controller.context import ReconcileContext
from dockform.controller.outcomes import DeleteOutcome, EventNote, Outcome
from dockform.controller.status import make_status
from dockform.manifests.kinds import Kind
from dockform.manifests.models import ConfigSpec, SecretSpec
from dockform.manifests.status import ContentObserved, EventType, Phase, Reason
from dockform.store.types import Resource
from dockform.store.vault import SealBroken, seal_context


class ContentReconciler:
    def __init__(self, context: ReconcileContext) -> None:
        self._vault = context.vault

    def _size(self, resource: Resource) -> int:
        """The content's size; SealBroken when a Secret's does not open."""
        if resource.kind == Kind.SECRET:
            spec = SecretSpec.model_validate(resource.spec)
            if self._vault is None:
                raise SealBroken("this daemon has no secret key")
            if spec.sealed is None:
                raise SealBroken("it was stored without its content; apply it again")
            return len(
                self._vault.open(
                    seal_context(resource.kind, resource.namespace, resource.name), spec.sealed
                )
            )
        config = ConfigSpec.model_validate(resource.spec)
        if config.data is not None:
            return len(base64.b64decode(config.data))
        return len((config.value or "").encode())

    def reconcile(self, resource: Resource) -> Outcome:
        digest = str(resource.spec.get("sha256") or "")
        try:
            size = self._size(resource)
        except SealBroken as error:
            message = f"{resource.kind}/{resource.name} cannot be used: {error}"
            status = make_status(
                resource,
                phase=Phase.FAILED,
                ready=False,
                reason=Reason.SECRET_UNAVAILABLE,
                message=message,
                degraded=True,
                observed=ContentObserved(sha256=digest or None),
            )
            note = EventNote(EventType.WARNING, Reason.SECRET_UNAVAILABLE, message)
            return Outcome(status=status, events=(note,))
        status = make_status(
            resource,
            phase=Phase.READY,
            ready=True,
            reason=Reason.PRESENT,
            message=f"sha256:{digest[:12]}, {size} bytes",
            observed=ContentObserved(sha256=digest or None, size=size),
        )
        return Outcome(status=status)

    def delete(self, resource: Resource) -> DeleteOutcome:
        # Nothing of its own outside the store: the files belong to the containers.
        return DeleteOutcome(done=True)

    def collect_garbage(self, owned: Sequence[Resource]) -> Sequence[EventNote]:
        return ()
