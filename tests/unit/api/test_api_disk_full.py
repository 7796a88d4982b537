"""A full disk answers 507 on every write route, naming where; reads and diffs keep working,
and applies succeed again once there is space.

Applies fill the database through `tests.unit.store.full_disk` (SQLite's page limit). A delete
rewrites a row in place and only grows the WAL, which that limit does not count: it runs on a
real 1 MiB tmpfs filled to the last byte (root only, as the fault suite's disk-full case).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockform.api.app import create_app
from dockform.api.deps import AppState
from dockform.api.server import LocalListener
from dockform.api.token import BearerToken
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.runtime.fake import FakeRuntime
from dockform.store.apply import Applier
from dockform.store.repository import Store
from tests.unit.api.conftest import MakeDoc
from tests.unit.store.full_disk import disk_full

# Big enough that the write needs pages the full database does not have.
PAD = "".join(f"    PAD{index}: {'x' * 10_000}\n" for index in range(4))


def test_apply_on_a_full_disk_is_507_naming_the_store(
    client: TestClient, store: Store, container_doc: MakeDoc, tmp_path: Path
) -> None:
    assert client.post("/v1/apply", content=container_doc("kept")).status_code == 200
    with disk_full(store):
        response = client.post("/v1/apply", content=container_doc("big", "  env:\n" + PAD))
        assert response.status_code == 507
        message = response.json()["error"]
        assert message.startswith(f"the store's disk is full ({tmp_path / 'dockform.db'})")
        assert "Free space on that filesystem" in message
        # Reads and a diff (which writes nothing) still answer.
        assert client.get("/v1/containers/kept").status_code == 200
        assert [item["name"] for item in client.get("/v1/containers").json()["items"]] == ["kept"]
        diff = client.post("/v1/diff", content=container_doc("big", "  env:\n" + PAD))
        assert diff.status_code == 200
        assert [result["action"] for result in diff.json()["results"]] == ["created"]
    again = client.post("/v1/apply", content=container_doc("big", "  env:\n" + PAD))
    assert again.status_code == 200


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = tmp_path / "tmpfs"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(path: Path) -> None:
    with path.open("wb", buffering=0) as handle:
        for block in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    handle.write(bytes(block))
            except OSError as error:
                assert error.errno == errno.ENOSPC


def test_delete_on_a_full_tmpfs_is_507_naming_the_store(
    tmpfs: Path, migrated_db: Path, container_doc: MakeDoc
) -> None:
    shutil.copyfile(migrated_db, tmpfs / "dockform.db")
    store = Store.open(f"sqlite:///{tmpfs / 'dockform.db'}", migrate=False)
    manager = Manager(ReconcileContext(store=store, runtime=FakeRuntime()))
    applier = Applier(store, on_change=manager.desired_changed)
    state = AppState(store=store, applier=applier, controller=manager, version="9.9.9")
    try:
        with TestClient(create_app(state)) as client:
            names = [f"c{index}" for index in range(20)]
            body = "---\n".join(container_doc(name) for name in names)
            assert client.post("/v1/apply", content=body).status_code == 200
            fill(tmpfs / "filler")
            statuses = [client.delete(f"/v1/containers/{name}").status_code for name in names]
            # Rows rewritten into WAL frames that already exist may fit; the WAL must grow.
            assert 507 in statuses
            assert set(statuses) <= {202, 507}
            refused = client.delete(f"/v1/containers/{names[statuses.index(507)]}")
            assert refused.status_code == 507
            assert f"the store's disk is full ({tmpfs / 'dockform.db'})" in refused.json()["error"]
            assert client.get("/v1/containers").status_code == 200
            (tmpfs / "filler").unlink()
            assert client.delete(f"/v1/containers/{names[-1]}").status_code == 202
    finally:
        store.close()


def test_token_rotation_on_a_full_disk_is_507_naming_the_token_file(
    state: AppState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = BearerToken.load_or_create(tmp_path / "token")
    state.token = token
    old = token.value

    def no_space(_path: Path, _token: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("dockform.api.token.write_token_file", no_space)
    response = TestClient(LocalListener(create_app(state))).post("/v1/token/rotate")
    assert response.status_code == 507
    assert f"the daemon's disk is full writing {tmp_path / 'token'}" in response.json()["error"]
    assert token.value == old


def test_the_write_routes_declare_507(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "507" in paths["/v1/apply"]["post"]["responses"]
    assert "507" in paths["/v1/diff"]["post"]["responses"]
    assert "507" in paths["/v1/token/rotate"]["post"]["responses"]
    assert "507" in paths["/v1/{kinds}/{name}"]["delete"]["responses"]
