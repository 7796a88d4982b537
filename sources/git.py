"""The git source: fetch a GitSource's branch, and apply its manifests at a new commit.

`GitSync` does the work the GitSource reconciler (`controller.reconcilers.gitsource`) asks
for; the controller may not import this package, so the daemon hands it over as a
`GitSyncer` (structural typing: the names here match that Protocol). Per GitSource `name`,
under `cache_root/<name>/`:

    repo.git/              bare cache the branch is fetched into (`sources.gitcmd`)
    checkouts/<commit>/    the tree of a commit, exported with `git archive`
    current -> checkouts/<commit>    the applied commit (a symlink, swapped atomically)

    content/<digest>/<name>    copies of what containers mount from the repository
    state/<path>               what they mount that the repository does not have (data)

`path` holds dockform manifests or a compose project (`spec.format`; `auto` looks for a
compose file there, see `sources.compose_project`). Manifests are read from the new commit's
tree, but an Image's `build.context` leads through `current/...`: the path stays the same from
commit to commit, so an Image is rebuilt only when its context really changed, never because
the commit id is part of a path. A hostPath into the repository is placed by
`sources.placement.GitPlacement`: a path the commit has is mounted from a content-addressed
copy (valid across commits, new only when the content changes, which replaces the container),
one it lacks from `state/`, kept across commits and when the GitSource is deleted.

A commit is applied all or nothing: every file must load and pass the daemon's checks (host
paths may lead only into this GitSource's own directory, which holds its checkouts, and the
daemon's roots; checked once `current` leads to the new commit), then `Applier.apply`
(store.apply) with prune as source `git:<name>` at revision = the commit. A bad commit applies
nothing; `current` and the objects stay at the last good one. A store that fails
(`StoreUnavailable`) is a transient error: retried.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockform.manifests.errors import ManifestError, ManifestIssue, file_issue
from dockform.manifests.loader import LoadedManifest, check_unique, load_text
from dockform.manifests.models import Container, GitSourceSpec, Image, Manifest
from dockform.manifests.source_names import git_source
from dockform.manifests.status import Reason
from dockform.settings import SourceSettings
from dockform.sources.compose_normaliser import Normaliser, find_normaliser
from dockform.sources.compose_project import COMPOSE_FILES, compose_file, load_compose_project
from dockform.sources.content import ContentStore, ContentTooLarge
from dockform.sources.files import (
    FileChanging,
    FileProblem,
    ManifestCheck,
    read_manifest_file,
    summarize,
    walk_manifests,
)
from dockform.sources.gitcmd import GitCache, GitError, GitSpecError
from dockform.sources.placement import GitPlacement, place, placed_paths
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.errors import StoreError, StoreUnavailable

log = logging.getLogger("dockform.sources.git")


@dataclass(frozen=True)
class GitSyncResult:
    """What one sync found and did. `commit` is the branch tip fetched (None when the fetch
    failed); `applied` says whether it was applied now; `objects` are the objects of the
    applied commit (when `applied`); `error` and `reason` say why nothing was applied."""

    commit: str | None = None
    commit_time: str | None = None
    applied: bool = False
    objects: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    error: str | None = None
    reason: str = ""  # a manifests.status.Reason when set
    transient: bool = False  # a fetch or disk failure that may pass: retried with backoff


def describe(spec: GitSourceSpec) -> str:
    """Where a GitSource reads from, for the sources list."""
    return f"{spec.url} branch={spec.branch} path={spec.path}"


class GitSync:
    def __init__(
        self,
        applier: Applier,
        cache_root: Path,
        check: ManifestCheck | None = None,
        fetch_timeout_s: float = SourceSettings().git_fetch_timeout_s,
        normaliser: Callable[[], Normaliser] = find_normaliser,
    ) -> None:
        self._applier = applier
        self._normaliser = normaliser
        self._store = applier.store
        self._cache_root = cache_root
        self._check = check
        self._fetch_timeout_s = fetch_timeout_s

    def _workdir(self, name: str) -> Path:
        # `shop/app` (a GitSource of namespace shop) must not land inside default's `shop/`.
        return self._cache_root / name.replace("/", "@")

    # --- sync ----------------------------------------------------------------------------------

    def sync(self, name: str, spec: GitSourceSpec, applied_commit: str | None) -> GitSyncResult:
        """Fetch; apply the tip unless it is `applied_commit` (already applied for this spec)."""
        workdir = self._workdir(name)
        cache = GitCache(workdir / "repo.git", self._fetch_timeout_s)
        try:
            commit = cache.fetch(spec.url, spec.branch)
            commit_time = cache.commit_time(commit)
        except GitSpecError as error:
            return self._failed(name, spec, None, None, str(error), Reason.INVALID_SOURCE)
        except GitError as error:
            return self._failed(name, spec, None, None, str(error), Reason.FETCH_FAILED)
        if commit == applied_commit:
            self._clear_error(name, spec)
            return GitSyncResult(commit=commit, commit_time=commit_time)
        try:
            checkout = self._checkout(cache, workdir, commit)
            loaded, texts = self._load(workdir, checkout, spec, name)
        except GitError as error:
            self._discard(workdir, commit)
            return self._failed(name, spec, commit, commit_time, str(error), Reason.FETCH_FAILED)
        except OSError as error:
            self._discard(workdir, commit)
            message = f"cannot write the checkout of commit {commit[:12]} in {workdir}: {error}"
            return self._failed(name, spec, commit, commit_time, message, Reason.FETCH_FAILED)
        except ManifestError as error:
            self._discard(workdir, commit)
            message = f"commit {commit[:12]}: {summarize(error.issues)}"
            return self._failed(name, spec, commit, commit_time, message, Reason.INVALID_MANIFEST)
        try:
            previous = self._swap(workdir, commit)
        except OSError as error:
            self._discard(workdir, commit)
            message = f"cannot switch {workdir / 'current'} to commit {commit[:12]}: {error}"
            return self._failed(name, spec, commit, commit_time, message, Reason.FETCH_FAILED)
        # Host paths are checked once `current` leads to this commit: they resolve through it.
        issues = self._check(loaded, texts, [str(workdir)]) if self._check is not None else []
        if issues:
            self._swap_back(workdir, previous)
            self._discard(workdir, commit)
            message = f"commit {commit[:12]}: {summarize(issues)}"
            return self._failed(name, spec, commit, commit_time, message, Reason.INVALID_MANIFEST)
        try:
            results = self._applier.apply(
                ApplyRequest(
                    manifests=loaded,
                    source=git_source(name),
                    prune=spec.prune,
                    revision=commit,
                    source_path=describe(spec),
                    # An Image's context may have changed with an unchanged spec, and a
                    # Container's hostPath into `current` now leads to this commit's
                    # checkout: have them looked at again.
                    refresh=[
                        item.key
                        for item in loaded
                        if isinstance(item.manifest, Image) or _binds_into(item.manifest, workdir)
                    ],
                )
            )
        except StoreError as error:
            self._swap_back(workdir, previous)
            self._discard(workdir, commit)
            message = f"commit {commit[:12]}: {error}"
            reason = (
                Reason.STORE_ERROR if isinstance(error, StoreUnavailable) else Reason.APPLY_FAILED
            )
            return self._failed(name, spec, commit, commit_time, message, reason)
        self._prune_checkouts(workdir, keep=commit)
        content = ContentStore(workdir / "content")
        content.prune(placed_paths(loaded, content.root))
        objects = tuple(sorted(str(r.key) for r in results if r.action != "pruned"))
        changes = tuple(f"{r.key} {r.action}" for r in results if r.changed)
        log.info(
            "GitSource/%s: applied commit %s: %s",
            name,
            commit[:12],
            ", ".join(changes) or "no changes",
        )
        return GitSyncResult(
            commit=commit,
            commit_time=commit_time,
            applied=True,
            objects=objects,
            changes=changes,
        )

    def _checkout(self, cache: GitCache, workdir: Path, commit: str) -> Path:
        checkout = workdir / "checkouts" / commit
        if checkout.is_dir():
            return checkout
        staging = workdir / "checkouts" / f".{commit}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        skipped = cache.export(commit, staging)
        if skipped:
            log.warning(
                "commit %s: skipped unsafe entries %s", commit[:12], ", ".join(skipped[:10])
            )
        os.rename(staging, checkout)
        return checkout

    def _load(
        self, workdir: Path, checkout: Path, spec: GitSourceSpec, name: str
    ) -> tuple[list[LoadedManifest], dict[str, str]]:
        """The commit's manifests and each file's text; ManifestError for any problem."""
        relative = _inside_path(spec.path)
        where = checkout / relative if relative else checkout
        shown = spec.path
        if not where.is_dir() or where.is_symlink():
            raise ManifestError(
                [
                    file_issue(
                        shown, "no such directory in the repository at this commit (spec.path)"
                    )
                ]
            )
        placement = GitPlacement(
            tree=str(checkout),
            current=str(workdir / "current"),
            state=str(workdir / "state"),
            content=ContentStore(workdir / "content"),
        )
        if spec.format == "compose" or (spec.format == "auto" and compose_file(str(where))):
            return self._load_compose(where, checkout, placement, spec, name)
        manifests: list[LoadedManifest] = []
        issues: list[ManifestIssue] = []
        texts: dict[str, str] = {}
        for file in walk_manifests(str(where)):
            inside = os.path.relpath(file, checkout)  # as the repository names it
            base_dir = str(workdir / "current" / os.path.dirname(inside))
            try:
                read = read_manifest_file(file, display=inside, inside=str(checkout))
                texts[inside] = read.text
                manifests += load_text(read.text, filename=inside, base_dir=base_dir)
            except FileProblem as problem:
                issues.append(problem.issue)
            except FileChanging as changing:  # nothing else writes a checkout
                issues.append(file_issue(inside, str(changing)))
            except ManifestError as error:
                issues += error.issues
        if not issues:
            try:
                check_unique(manifests)
            except ManifestError as error:
                issues += error.issues
        if not issues and not manifests:
            message = (
                f"no manifests (*.yaml, *.yml) under {spec.path!r}; nothing applied "
                "(delete the GitSource to delete its objects)"
            )
            issues.append(file_issue(shown, message))
        if issues:
            raise ManifestError(issues)
        try:
            return place(manifests, placement), texts
        except (OSError, ContentTooLarge) as error:
            raise ManifestError([file_issue(shown, f"a mounted path: {error}")]) from error

    def _load_compose(
        self,
        where: Path,
        checkout: Path,
        placement: GitPlacement,
        spec: GitSourceSpec,
        name: str,
    ) -> tuple[list[LoadedManifest], dict[str, str]]:
        """The compose project at `spec.path`, named by its `name:` or else after the path's
        last part (the GitSource's name for the repository's root)."""
        found = compose_file(str(where))
        if found is None:
            message = f"no compose file ({', '.join(COMPOSE_FILES)}) in {spec.path!r}"
            raise ManifestError([file_issue(spec.path, message)])
        display = os.path.relpath(found, checkout)
        fallback = os.path.basename(os.path.normpath(spec.path)) if spec.path != "." else ""
        project = load_compose_project(
            str(where),
            display,
            placement,
            project_name=_project_name(fallback or name.rsplit("/", 1)[-1]),
            normaliser=self._normaliser,
        )
        if project.drops:
            log.info(
                "GitSource/%s: compose fields dockform does not run: %s",
                name,
                "; ".join(str(drop) for drop in project.drops),
            )
        return project.manifests, {project.file: project.text}

    # --- current checkout ----------------------------------------------------------------------

    def _swap(self, workdir: Path, commit: str) -> str | None:
        """Point `current` at the commit's checkout; the previous target (or None)."""
        current = workdir / "current"
        previous = os.readlink(current) if current.is_symlink() else None
        temporary = workdir / ".current.new"
        temporary.unlink(missing_ok=True)
        os.symlink(os.path.join("checkouts", commit), temporary)
        os.replace(temporary, current)
        return previous

    def _swap_back(self, workdir: Path, previous: str | None) -> None:
        current = workdir / "current"
        if previous is None:
            current.unlink(missing_ok=True)
            return
        temporary = workdir / ".current.new"
        temporary.unlink(missing_ok=True)
        os.symlink(previous, temporary)
        os.replace(temporary, current)

    def _discard(self, workdir: Path, commit: str) -> None:
        """Remove a commit's checkout unless `current` uses it."""
        current = workdir / "current"
        if current.is_symlink() and os.path.basename(os.readlink(current)) == commit:
            return
        shutil.rmtree(workdir / "checkouts" / commit, ignore_errors=True)

    def _prune_checkouts(self, workdir: Path, keep: str) -> None:
        checkouts = workdir / "checkouts"
        for entry in os.listdir(checkouts) if checkouts.is_dir() else []:
            if entry != keep:
                shutil.rmtree(checkouts / entry, ignore_errors=True)

    # --- source record -------------------------------------------------------------------------

    def _failed(
        self,
        name: str,
        spec: GitSourceSpec,
        commit: str | None,
        commit_time: str | None,
        message: str,
        reason: Reason,
    ) -> GitSyncResult:
        transient = reason in (Reason.FETCH_FAILED, Reason.STORE_ERROR)
        log.warning("GitSource/%s: %s: %s", name, reason, message)
        try:
            self._store.upsert_source(
                git_source(name), "git", path=describe(spec), last_error=message
            )
        except StoreError:
            log.exception("recording the error of GitSource/%s failed", name)
        return GitSyncResult(
            commit=commit,
            commit_time=commit_time,
            error=message,
            reason=reason,
            transient=transient,
        )

    def _clear_error(self, name: str, spec: GitSourceSpec) -> None:
        record = self._store.get_source(git_source(name))
        if record is not None and (record.last_error is not None or record.path != describe(spec)):
            self._store.upsert_source(git_source(name), "git", path=describe(spec))

    # --- deletion ------------------------------------------------------------------------------

    def forget(self, name: str, prune: bool) -> Sequence[str]:
        """The GitSource is being deleted: delete its objects (with `prune`), and its cache.

        Without `prune` the objects stay, still owned by `git:<name>` (a GitSource of the same
        name adopts them again; `dockform apply --force` takes them over), and so does the
        applied checkout, which their Images may still build from.
        """
        source = git_source(name)
        workdir = self._workdir(name)
        if not prune:
            self._store.upsert_source(
                source,
                "git",
                last_error=f"GitSource/{name} was deleted with prune: false; its objects are kept",
            )
            shutil.rmtree(workdir / "repo.git", ignore_errors=True)
            return ()
        results = self._applier.forget_source(source)
        for entry in os.listdir(workdir) if workdir.is_dir() else []:
            if entry != "state":
                path = workdir / entry
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        if (workdir / "state").is_dir():
            log.info(
                "GitSource/%s: its apps' state is kept in %s (remove it by hand)",
                name,
                workdir / "state",
            )
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        return tuple(str(result.key) for result in results)


def _project_name(name: str) -> str:
    """`name` as Compose takes project names (lowercase letters, digits, `-`, `_`)."""
    cleaned = "".join(char if char.isalnum() or char in "-_" else "-" for char in name.lower())
    return cleaned.strip("-_") or "default"


def _inside_path(path: str) -> str:
    """`spec.path` as a relative path inside the repository ("" for its root)."""
    normalized = posixpath.normpath(path).lstrip("/")
    if normalized == ".." or normalized.startswith("../"):
        raise ManifestError([file_issue(path, f"path {path!r} leads out of the repository")])
    return "" if normalized == "." else normalized


def _binds_into(manifest: Manifest, workdir: Path) -> bool:
    """A Container with a hostPath inside this GitSource's directory (its checkout)."""
    if not isinstance(manifest, Container):
        return False
    inside = str(workdir).rstrip("/") + "/"
    return any((mount.host_path or "").startswith(inside) for mount in manifest.spec.volumes)
