"""The client's standard-library HTTP (api._http): queries as httpx encoded them, and a
daemon that cannot be reached named as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockform.api._http import query
from dockform.api.client import DaemonUnreachable, DockformClient


def test_query_spells_booleans_and_repeats_lists() -> None:
    assert query(None) == ""
    assert query({"dryRun": True, "prune": False, "source": "dir:a b.yaml"}) == (
        "?dryRun=true&prune=false&source=dir%3Aa%20b.yaml"
    )
    assert query({"root": ["/a", "/b"], "limit": 5}) == "?root=%2Fa&root=%2Fb&limit=5"
    assert query([("label", "app=web"), ("allNamespaces", "true")]) == (
        "?label=app%3Dweb&allNamespaces=true"
    )


def test_an_absent_socket_is_an_unreachable_daemon(tmp_path: Path) -> None:
    with (
        DockformClient(host=f"unix://{tmp_path / 'absent.sock'}") as client,
        pytest.raises(DaemonUnreachable, match="Start it with `dockform daemon`"),
    ):
        client.version()
