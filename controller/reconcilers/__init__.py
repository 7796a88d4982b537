"""The kinds the controller knows, one module each, and the one list of their registrations.

Each module declares its kind's `REGISTRATION` (`controller.registry.KindRegistration`):
spec and observed models, the reconciler (observe, a pure `plan`, the shared executor), the
engine events that concern it, what it requires, and its workers and timeout. A new kind is a
module here and one line below.
"""

from dockform.controller.reconcilers import (
    config,
    container,
    gitsource,
    image,
    job,
    network,
    secret,
    volume,
)
from dockform.controller.registry import KindRegistration

REGISTRATIONS: tuple[KindRegistration, ...] = (
    image.REGISTRATION,
    network.REGISTRATION,
    volume.REGISTRATION,
    container.REGISTRATION,
    gitsource.REGISTRATION,
    secret.REGISTRATION,
    config.REGISTRATION,
    job.REGISTRATION,
)
