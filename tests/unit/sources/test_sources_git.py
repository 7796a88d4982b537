"""sources.git with local repositories (git init in tmp_path, real commits and the git command)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockform.manifests.models import GitSourceSpec
from dockform.manifests.namespaces import key
from dockform.manifests.policy import host_access_issues
from dockform.sources.git import GitSync
from dockform.sources.gitcmd import GitError, check_url
from dockform.store.apply import Applier
from dockform.store.repository import Store
from tests.changes import Changes
from tests.unit.sources.conftest import LockedStore

Doc = Callable[..., str]


def _spec(repo: Any, **fields: Any) -> GitSourceSpec:
    return GitSourceSpec.model_validate({"url": str(repo.path), "path": "deploy", **fields})


@pytest.fixture
def sync(applier: Applier, store: Store, tmp_path: Path) -> GitSync:
    return GitSync(applier, tmp_path / "cache", check=host_access_issues)


def _live(store: Store, kind: str, name: str) -> bool:
    resource = store.get(kind, name)
    return resource is not None and not resource.deleting


def test_a_commit_is_applied_as_source_git_name(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.write("deploy/db/db.yml", doc("db"))
    git_repo.write("README.md", "not a manifest\n")
    commit = git_repo.commit("first")

    result = sync.sync("prod", _spec(git_repo), applied_commit=None)

    assert (result.commit, result.applied, result.error) == (commit, True, None)
    assert result.objects == ("Container/db", "Container/web")
    assert result.changes == ("Container/db created", "Container/web created")  # file order
    assert result.commit_time is not None and result.commit_time[:2] == "20"
    record = store.get_source("git:prod")
    assert record is not None
    assert (record.type, record.revision, record.last_error) == ("git", commit, None)
    assert record.path == f"{git_repo.path} branch=main path=deploy"
    assert store.get("Container", "web").source == "git:prod"  # type: ignore[union-attr]


def test_a_gitsource_of_a_namespace_applies_manifests_naming_none_into_it(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.write(
        "deploy/db.yaml", doc("db").replace("metadata: {", "metadata: {namespace: default, ")
    )
    git_repo.commit("first")

    result = sync.sync("shop/prod", _spec(git_repo), applied_commit=None)

    assert result.objects == ("Container/db", "Container/shop/web", "Network/shop/default")
    assert store.get("Container", "web", "shop") is not None
    assert store.get("Container", "db") is not None  # it names its namespace


def test_the_commit_already_applied_is_only_fetched(
    changes: Changes, git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    commit = git_repo.commit("first")
    sync.sync("prod", _spec(git_repo), applied_commit=None)
    changes.clear()

    result = sync.sync("prod", _spec(git_repo), applied_commit=commit)

    assert (result.commit, result.applied, result.error) == (commit, False, None)
    assert changes == []


def test_a_commit_that_removes_a_manifest_prunes_its_objects(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.write("deploy/db.yaml", doc("db"))
    first = git_repo.commit("first")
    sync.sync("prod", _spec(git_repo), applied_commit=None)
    git_repo.remove("deploy/db.yaml")
    git_repo.write("deploy/web.yaml", doc("web", env="v2"))
    second = git_repo.commit("drop db")

    result = sync.sync("prod", _spec(git_repo), applied_commit=first)

    assert (result.commit, result.applied) == (second, True)
    assert result.objects == ("Container/web",)
    assert result.changes == ("Container/web configured", "Container/db pruned")
    assert store.get("Container", "db").deleting  # type: ignore[union-attr]
    assert store.get_source("git:prod").revision == second  # type: ignore[union-attr]


def test_prune_false_leaves_removed_objects(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.write("deploy/db.yaml", doc("db"))
    first = git_repo.commit("first")
    sync.sync("prod", _spec(git_repo, prune=False), applied_commit=None)
    git_repo.remove("deploy/db.yaml")
    git_repo.commit("drop db")

    sync.sync("prod", _spec(git_repo, prune=False), applied_commit=first)

    assert _live(store, "Container", "db")


def test_a_bad_commit_applies_nothing_and_keeps_the_last_good_one(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc, tmp_path: Path
) -> None:
    git_repo.write("deploy/web.yaml", doc("web", env="good"))
    good = git_repo.commit("good")
    sync.sync("prod", _spec(git_repo), applied_commit=None)
    git_repo.write("deploy/web.yaml", doc("web", env="bad") + "  restartPolicy: Sometimes\n")
    git_repo.write("deploy/new.yaml", doc("new"))
    bad = git_repo.commit("bad")

    result = sync.sync("prod", _spec(git_repo), applied_commit=good)

    assert (result.commit, result.applied, result.reason, result.transient) == (
        bad,
        False,
        "InvalidManifest",
        False,
    )
    assert result.error is not None
    assert result.error.startswith(f"commit {bad[:12]}: deploy/web.yaml:7: document 1")
    assert "spec.restartPolicy" in result.error
    assert store.get("Container", "new") is None
    assert store.get("Container", "web").spec["env"] == {"GREETING": "good"}  # type: ignore[union-attr]
    record = store.get_source("git:prod")
    assert record is not None and (record.revision, record.last_error) == (good, result.error)
    assert os.readlink(tmp_path / "cache" / "prod" / "current") == f"checkouts/{good}"
    assert os.listdir(tmp_path / "cache" / "prod" / "checkouts") == [good]


def test_host_access_in_a_commit_is_refused_like_an_invalid_manifest(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web") + "  hostNetwork: true\n")
    git_repo.commit("host")
    result = sync.sync("prod", _spec(git_repo), applied_commit=None)
    assert result.reason == "InvalidManifest"
    assert "deploy/web.yaml:6" in str(result.error) and "spec.hostNetwork" in str(result.error)
    assert store.get("Container", "web") is None


def test_a_build_context_out_of_the_checkout_is_refused(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc, tmp_path: Path
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    good = git_repo.commit("good")
    sync.sync("prod", _spec(git_repo), applied_commit=None)
    image = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: leak}\n"
        "spec: {ref: leak, build: {context: ../../../../.., dockerfile: /etc/hostname}}\n"
    )
    git_repo.write("deploy/leak.yaml", image)
    git_repo.commit("leak")
    result = sync.sync("prod", _spec(git_repo), applied_commit=good)
    assert result.reason == "InvalidManifest"
    assert "spec.build.context" in str(result.error)
    assert "spec.build.dockerfile" in str(result.error)
    assert store.get("Image", "leak") is None
    # The last good commit stays the current one.
    assert os.readlink(tmp_path / "cache" / "prod" / "current") == f"checkouts/{good}"


def test_a_local_git_url_outside_the_checkout_is_refused(
    git_repo: Any, sync: GitSync, store: Store
) -> None:
    nested = (
        "apiVersion: dockform/v1\nkind: GitSource\nmetadata: {name: nested}\n"
        "spec: {url: 'file:///some/other/repo'}\n"
    )
    git_repo.write("deploy/nested.yaml", nested)
    git_repo.commit("nested")
    result = sync.sync("prod", _spec(git_repo), applied_commit=None)
    assert result.reason == "InvalidManifest" and "spec.url" in str(result.error)
    assert store.get("GitSource", "nested") is None


def test_a_commit_without_manifests_applies_nothing(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    first = git_repo.commit("first")
    sync.sync("prod", _spec(git_repo), applied_commit=None)
    git_repo.remove("deploy/web.yaml")
    git_repo.write("deploy/README", "moved elsewhere\n")
    git_repo.commit("empty")

    result = sync.sync("prod", _spec(git_repo), applied_commit=first)

    assert "no manifests (*.yaml, *.yml) under 'deploy'" in str(result.error)
    assert _live(store, "Container", "web")


def test_image_contexts_resolve_to_a_path_that_stays_the_same_across_commits(
    changes: Changes, git_repo: Any, sync: GitSync, store: Store, tmp_path: Path
) -> None:
    image = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: app}\n"
        "spec: {ref: 'test/app:1', build: {context: ../src}}\n"
    )
    git_repo.write("deploy/image.yaml", image)
    git_repo.write("src/Dockerfile", "FROM scratch\n")
    first = git_repo.commit("first")
    sync.sync("prod", _spec(git_repo), applied_commit=None)
    context = store.get("Image", "app").spec["build"]["context"]  # type: ignore[union-attr]
    assert context == str(tmp_path / "cache" / "prod" / "current" / "src")
    assert (Path(context) / "Dockerfile").read_text() == "FROM scratch\n"

    git_repo.write("src/Dockerfile", "FROM scratch\nCOPY x /x\n")
    git_repo.commit("change the source only")
    changes.clear()
    result = sync.sync("prod", _spec(git_repo), applied_commit=first)

    assert result.changes == ()  # the spec did not change: no rebuild forced by a path
    assert changes == [key("Image", "app")]  # but the Image is looked at: its context changed
    assert (Path(context) / "Dockerfile").read_text() == "FROM scratch\nCOPY x /x\n"


def test_links_out_of_the_repository_are_not_followed(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(doc("stolen"))
    git_repo.write("deploy/web.yaml", doc("web"))
    os.symlink(secret, git_repo.path / "deploy" / "link.yaml")
    git_repo.commit("with a link")

    result = sync.sync("prod", _spec(git_repo), applied_commit=None)

    assert result.objects == ("Container/web",)
    assert store.get("Container", "stolen") is None


@pytest.mark.parametrize(
    ("fields", "reason", "message"),
    [
        ({"branch": "nope"}, "InvalidSource", "branch 'nope' does not exist in"),
        ({"branch": "bad..name"}, "InvalidSource", "not a valid git branch name"),
        ({"path": "missing"}, "InvalidManifest", "missing: no such directory in the repository"),
        ({"path": "../outside"}, "InvalidManifest", "leads out of the repository"),
    ],
)
def test_spec_problems_are_named(
    git_repo: Any,
    sync: GitSync,
    doc: Doc,
    fields: dict[str, str],
    reason: str,
    message: str,
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.commit("first")
    result = sync.sync("prod", _spec(git_repo, **fields), applied_commit=None)
    assert (result.reason, result.transient) == (reason, False)
    assert message in str(result.error)


def test_an_unreachable_repository_is_a_transient_fetch_failure(
    sync: GitSync, store: Store, tmp_path: Path
) -> None:
    spec = GitSourceSpec(url=str(tmp_path / "no-such-repo"))
    result = sync.sync("prod", spec, applied_commit=None)
    assert (result.commit, result.reason, result.transient) == (None, "FetchFailed", True)
    assert "does not appear to be a git repository" in str(result.error)
    assert "the daemon's user can read the repository" in str(result.error)
    assert store.get_source("git:prod").last_error == result.error  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.com/org/repo.git",
        "ssh://git@git.example.com/org/repo.git",
        "git@github.com:org/repo.git",
        "file:///srv/repo",
        "/srv/repo",
    ],
)
def test_supported_urls(url: str) -> None:
    check_url(url)


@pytest.mark.parametrize(
    "url", ["relative/repo", "ext::sh -c touch% /tmp/pwned", "-upload-pack=evil", "git::x"]
)
def test_unsupported_urls_are_refused_before_git_runs(url: str) -> None:
    with pytest.raises(GitError, match="is not supported"):
        check_url(url)


def test_forget_deletes_the_objects_and_the_cache(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc, tmp_path: Path
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.commit("first")
    sync.sync("prod", _spec(git_repo), applied_commit=None)

    assert sync.forget("prod", prune=True) == ("Container/web",)
    assert store.get("Container", "web").deleting  # type: ignore[union-attr]
    assert not (tmp_path / "cache" / "prod").exists()


def test_forget_without_prune_keeps_the_objects(
    git_repo: Any, sync: GitSync, store: Store, doc: Doc
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    git_repo.commit("first")
    sync.sync("prod", _spec(git_repo), applied_commit=None)

    assert sync.forget("prod", prune=False) == ()
    assert _live(store, "Container", "web")
    assert "prune: false" in str(store.get_source("git:prod").last_error)  # type: ignore[union-attr]


def test_a_busy_store_is_a_transient_failure_and_the_checkout_stays_where_it_was(
    git_repo: Any, locked: LockedStore, store: Store, doc: Doc, tmp_path: Path
) -> None:
    git_repo.write("deploy/web.yaml", doc("web"))
    commit = git_repo.commit("first")
    sync = GitSync(locked.applier, tmp_path / "cache", check=host_access_issues)

    result = sync.sync("prod", _spec(git_repo), applied_commit=None)

    assert (result.commit, result.applied, result.transient) == (commit, False, True)
    assert result.reason == "StoreError"
    assert "the store is not available: database is locked" in str(result.error)
    assert not (tmp_path / "cache" / "prod" / "current").exists()
    assert store.get("Container", "web") is None
    locked.release()
    assert sync.sync("prod", _spec(git_repo), applied_commit=None).applied
