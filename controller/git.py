"""The git work a GitSource needs, as the controller sees it (Protocols only).

Fetching a branch, exporting a commit, loading and applying its manifests belong to the
sources layer, which the controller may not import: the daemon hands in `sources.git.GitSync`,
whose names match these Protocols (structural typing). The executor calls it for the
`SyncGitSource` and `ForgetGitSource` actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dockform.manifests.models import GitSourceSpec


class GitSyncResult(Protocol):
    """What a sync found and did (see `sources.git.GitSyncResult`)."""

    @property
    def commit(self) -> str | None: ...  # the branch tip fetched; None when the fetch failed

    @property
    def commit_time(self) -> str | None: ...

    @property
    def applied(self) -> bool: ...  # applied now (False: it was already applied, or failed)

    @property
    def objects(self) -> Sequence[str]: ...  # "Kind/name" of the applied commit

    @property
    def changes(self) -> Sequence[str]: ...  # "Kind/name created|configured|pruned"

    @property
    def error(self) -> str | None: ...

    @property
    def reason(self) -> str: ...  # CamelCase, for status and events

    @property
    def transient(self) -> bool: ...  # the error may pass by itself: retry with backoff


class GitSyncer(Protocol):
    def sync(self, name: str, spec: GitSourceSpec, applied_commit: str | None) -> GitSyncResult:
        """Fetch `spec.branch`; apply its tip unless it is `applied_commit`."""
        ...

    def forget(self, name: str, prune: bool) -> Sequence[str]:
        """The GitSource is gone: delete its objects (with `prune`); those deleted."""
        ...
