"""The Config kind: one value (literal or file), mounted as a file into the containers that
use it (`controller.reconcilers.content`)."""

from __future__ import annotations

from dockform.controller.reconcilers.content import ContentReconciler
from dockform.controller.registry import KindRegistration
from dockform.manifests.kinds import Kind
from dockform.manifests.models import ConfigSpec
from dockform.manifests.status import ContentObserved
from dockform.settings import KindLimits

REGISTRATION = KindRegistration(
    kind=Kind.CONFIG,
    spec_model=ConfigSpec,
    observed_model=ContentObserved,
    reconciler=ContentReconciler,
    needs_engine=False,
    limits=KindLimits(workers=2, timeout_s=30.0),
)
