"""GitSource end to end: a daemon, a local git repository, the real dockerd.

A commit deploys; a commit that removes a manifest prunes it; a bad commit shows its error
and changes nothing; the sync endpoint deploys without waiting for the interval; objects
owned by the GitSource refuse a CLI apply without --force (409); drift made by hand in Docker
is repaired; deleting the GitSource deletes its objects.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from dockform.api.client import ClientError
from tests.gitrepo import GitRepo
from tests.integration.sources.conftest import Daemon, serving, web_yaml

pytestmark = pytest.mark.integration


def gitsource_yaml(name: str, repo: GitRepo, interval: str = "1s", extra: str = "") -> str:
    return f"""apiVersion: dockform/v1
kind: GitSource
metadata: {{name: {name}}}
spec:
  url: {repo.path}
  branch: main
  path: deploy
  interval: {interval}
{extra}"""


def status(daemon: Daemon, name: str) -> dict[str, Any]:
    item = daemon.resource("GitSource", name)
    assert item is not None
    return dict(item["status"])


def at_commit(daemon: Daemon, name: str, commit: str) -> dict[str, Any] | None:
    item = daemon.resource("GitSource", name)
    if item is None or item["status"]["observed"].get("commit") != commit:
        return None
    return item if item["status"]["phase"] == "Ready" else None


def sync(daemon: Daemon, name: str) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(daemon.socket))) as http:
        return http.post(f"http://dockform/v1/gitsources/{name}/sync")


def test_a_commit_deploys_and_a_commit_removing_a_manifest_prunes_it(
    git_daemon: Daemon, repo: GitRepo, unique: str, docker_client: docker.DockerClient
) -> None:
    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "from-git"))
    repo.write("deploy/extra/extra.yaml", web_yaml(f"{unique}-extra", "extra"))
    first = repo.commit("first")
    git_daemon.client.apply(gitsource_yaml(unique, repo))

    git_daemon.wait_for(
        "web from git", lambda: serving(git_daemon, f"{unique}-web", "from-git"), timeout_s=90
    )
    git_daemon.wait_for("extra", lambda: serving(git_daemon, f"{unique}-extra", "extra"))
    item = git_daemon.wait_for(
        "GitSource at the first commit", lambda: at_commit(git_daemon, unique, first)
    )
    observed = item["status"]["observed"]
    assert observed["objects"] == [f"Container/{unique}-extra", f"Container/{unique}-web"]
    assert observed["commitTime"] and observed["url"] == str(repo.path)
    web = git_daemon.resource("Container", f"{unique}-web")
    assert web is not None and web["source"] == f"git:{unique}"
    web_id = web["status"]["observed"]["containerId"]

    shutil.rmtree(repo.path / "deploy" / "extra")
    second = repo.commit("drop extra")

    git_daemon.wait_for(
        "GitSource at the second commit", lambda: at_commit(git_daemon, unique, second)
    )
    git_daemon.wait_gone("Container", f"{unique}-extra")
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(f"{unique}-extra")
    assert docker_client.containers.get(f"{unique}-web").id == web_id  # untouched
    record = next(s for s in git_daemon.client.sources() if s["name"] == f"git:{unique}")
    assert (record["revision"], record["lastError"]) == (second, None)
    assert record["objects"] == [f"Container/{unique}-web"]


def test_a_bad_commit_shows_its_error_and_changes_nothing(
    git_daemon: Daemon, repo: GitRepo, unique: str, docker_client: docker.DockerClient
) -> None:
    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "good"))
    good = repo.commit("good")
    git_daemon.client.apply(gitsource_yaml(unique, repo))
    git_daemon.wait_for("good", lambda: serving(git_daemon, f"{unique}-web", "good"), timeout_s=90)
    git_daemon.wait_for("at the good commit", lambda: at_commit(git_daemon, unique, good))
    web_id = docker_client.containers.get(f"{unique}-web").id

    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "bad").replace("  ports:", "  portz:"))
    repo.write("deploy/more.yaml", web_yaml(f"{unique}-more", "more"))
    bad = repo.commit("bad")

    def failed() -> dict[str, Any] | None:
        current = status(git_daemon, unique)
        return current if current["observed"].get("failedCommit") == bad else None

    current = git_daemon.wait_for("the bad commit refused", failed)
    assert current["phase"] == "Failed" and current["reason"] == "InvalidManifest"
    assert "deploy/web.yaml:" in current["lastError"] and "spec.portz" in current["lastError"]
    assert current["observed"]["commit"] == good
    assert git_daemon.resource("Container", f"{unique}-more") is None
    assert serving(git_daemon, f"{unique}-web", "good")
    assert docker_client.containers.get(f"{unique}-web").id == web_id
    record = next(s for s in git_daemon.client.sources() if s["name"] == f"git:{unique}")
    assert record["revision"] == good and "spec.portz" in record["lastError"]
    warnings = git_daemon.client.events(kind="GitSource", name=unique)
    assert any(event["reason"] == "InvalidManifest" for event in warnings)

    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "fixed"))
    fixed = repo.commit("fix")
    git_daemon.wait_for("fixed", lambda: serving(git_daemon, f"{unique}-web", "fixed"))
    git_daemon.wait_for("at the fixed commit", lambda: at_commit(git_daemon, unique, fixed))
    assert "failedCommit" not in status(git_daemon, unique)["observed"]


def test_the_sync_endpoint_deploys_without_waiting_for_the_interval(
    git_daemon: Daemon, repo: GitRepo, unique: str
) -> None:
    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "before"))
    first = repo.commit("first")
    git_daemon.client.apply(gitsource_yaml(unique, repo, interval="1h"))
    git_daemon.wait_for("first commit", lambda: at_commit(git_daemon, unique, first), timeout_s=90)
    git_daemon.wait_for("before", lambda: serving(git_daemon, f"{unique}-web", "before"))

    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "after"))
    second = repo.commit("second")
    response = sync(git_daemon, unique)

    assert response.status_code == 202, response.text
    assert response.json()["commit"] == first
    git_daemon.wait_for("second commit", lambda: at_commit(git_daemon, unique, second))
    git_daemon.wait_for("after", lambda: serving(git_daemon, f"{unique}-web", "after"))
    assert sync(git_daemon, "no-such-source").status_code == 404


def test_git_owned_objects_refuse_a_cli_apply_without_force_and_drift_is_repaired(
    git_daemon: Daemon,
    repo: GitRepo,
    unique: str,
    docker_client: docker.DockerClient,
    tmp_path: Path,
) -> None:
    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "owned"))
    commit = repo.commit("first")
    git_daemon.client.apply(gitsource_yaml(unique, repo, interval="1h"))
    git_daemon.wait_for(
        "owned", lambda: serving(git_daemon, f"{unique}-web", "owned"), timeout_s=90
    )
    git_daemon.wait_for("at the commit", lambda: at_commit(git_daemon, unique, commit))

    with pytest.raises(ClientError) as refused:
        git_daemon.client.apply(web_yaml(f"{unique}-web", "hijacked"))
    assert refused.value.status == 409
    assert f"owned by source git:{unique}" in refused.value.message
    manifest = tmp_path / "web.yaml"
    manifest.write_text(web_yaml(f"{unique}-web", "hijacked"))
    result = git_daemon.cli("apply", "-f", str(manifest))
    assert result.returncode == 1
    assert "--force" in result.stderr and "409" in result.stderr
    assert serving(git_daemon, f"{unique}-web", "owned")

    old_id = docker_client.containers.get(f"{unique}-web").id
    docker_client.containers.get(old_id).remove(force=True)

    def repaired() -> dict[str, Any] | None:
        item = serving(git_daemon, f"{unique}-web", "owned")
        return item if item and item["status"]["observed"]["containerId"] != old_id else None

    git_daemon.wait_for("the container back", repaired)


def test_deleting_the_gitsource_deletes_its_objects_and_get_sources_lists_it(
    git_daemon: Daemon, repo: GitRepo, unique: str
) -> None:
    repo.write("deploy/web.yaml", web_yaml(f"{unique}-web", "bye"))
    commit = repo.commit("first")
    git_daemon.client.apply(gitsource_yaml(unique, repo, interval="1h"))
    git_daemon.wait_for("bye", lambda: serving(git_daemon, f"{unique}-web", "bye"), timeout_s=90)
    git_daemon.wait_for("at the commit", lambda: at_commit(git_daemon, unique, commit))

    listed = git_daemon.cli("get", "sources", f"git:{unique}", "-o", "wide")
    assert listed.returncode == 0, listed.stderr
    assert commit[:12] in listed.stdout and f"Container/{unique}-web" in listed.stdout

    git_daemon.client.delete("gitsources", unique)

    git_daemon.wait_gone("GitSource", unique)
    git_daemon.wait_gone("Container", f"{unique}-web")
    assert all(s["name"] != f"git:{unique}" for s in git_daemon.client.sources())
