"""The host-access re-check, just before an engine call uses a manifest's host paths.

Apply checked every host path against the roots of the manifest's source
(`manifests.policy`); by the time a container is created or started, a volume created or an
image built, a part of a path may have become a symlink to somewhere else. Reconcilers call
`require_host_access` right before such a call: a refusal is a `TerminalError` with reason
`HostAccessDenied` naming the field and the path, and nothing is created.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockform.controller.errors import TerminalError
from dockform.manifests.policy import ALLOW_FLAG, HostPath, recheck_issues
from dockform.manifests.status import Reason
from dockform.settings import HostAccessSettings


def require_host_access(
    settings: HostAccessSettings,
    subject: str,
    paths: Sequence[HostPath],
    powers: Sequence[tuple[str, str]] = (),
) -> None:
    """Raise TerminalError when `subject` (`Kind/name`) may not use `paths` or `powers` now."""
    if settings.allow_host_access:
        return
    refused = recheck_issues(powers, paths, [*settings.roots, *settings.source_roots])
    if not refused:
        return
    raise TerminalError(
        f"{subject}: host access refused, nothing was created: {'; '.join(refused)} "
        f"(the daemon allows it only when started with {ALLOW_FLAG})",
        reason=Reason.HOST_ACCESS_DENIED,
    )
