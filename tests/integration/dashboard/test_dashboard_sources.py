"""The sources page in headless Chromium: a GitSource's revision, last apply and objects, and
"Sync now" applying a new commit at once (its interval is an hour), shown without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.gitrepo import GitRepo
from tests.integration.api.conftest import ApiDaemon

pytestmark = pytest.mark.integration


def volume_yaml(name: str) -> str:
    return (
        "apiVersion: dockform/v1\nkind: Volume\n"
        f"metadata: {{name: {name}}}\nspec: {{reclaimPolicy: Delete}}\n"
    )


def test_sync_now_applies_the_new_commit(page: Page, dash: ApiDaemon, tmp_path: Path) -> None:
    name = "dash-git"
    repo = GitRepo(tmp_path / "repo")
    repo.write("deploy/one.yaml", volume_yaml("dash-git-one"))
    first = repo.commit("first")
    gitsource = (
        f"apiVersion: dockform/v1\nkind: GitSource\nmetadata: {{name: {name}}}\n"
        f"spec: {{url: {repo.path}, branch: main, path: deploy, interval: 1h}}\n"
    )
    with dash.http() as http:
        assert http.post("/v1/apply", content=gitsource).status_code == 200
    try:
        dash.daemon.wait_phase("Volume", "dash-git-one", "Ready", timeout_s=60)
        page.goto(dash.tcp_url + "/ui/sources")
        row = page.locator("#sources tr", has_text=f"git:{name}")
        expect(row).to_contain_text(first[:12])
        git_row = page.locator("#gitsources tr", has_text=name)
        expect(git_row).to_contain_text(first[:12])

        repo.write("deploy/two.yaml", volume_yaml("dash-git-two"))
        second = repo.commit("second")
        git_row.locator("button.sync").click()
        expect(page.locator("#action-result")).to_contain_text(f"sync requested for {name}")
        expect(row).to_contain_text(second[:12], timeout=30_000)
        expect(row.locator("td").nth(3)).to_have_text("2")
        expect(git_row).to_contain_text(second[:12])
    finally:
        with dash.http() as http:
            http.delete(f"/v1/gitsources/{name}")
        dash.daemon.wait_gone("GitSource", name)
        for volume in ("dash-git-one", "dash-git-two"):
            dash.daemon.wait_gone("Volume", volume)
