"""The Secret kind: one value (literal, file or daemon environment), encrypted at rest and
decrypted only into the containers that use it (`controller.reconcilers.content`)."""

from __future__ import annotations

from dockform.controller.reconcilers.content import ContentReconciler
from dockform.controller.registry import KindRegistration
from dockform.manifests.kinds import Kind
from dockform.manifests.models import SecretSpec
from dockform.manifests.status import ContentObserved
from dockform.settings import KindLimits

REGISTRATION = KindRegistration(
    kind=Kind.SECRET,
    spec_model=SecretSpec,
    observed_model=ContentObserved,
    reconciler=ContentReconciler,
    needs_engine=False,
    limits=KindLimits(workers=2, timeout_s=30.0),
)
