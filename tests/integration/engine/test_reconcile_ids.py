"""Issue 10 end to end: a controller pass's reconcile id is on the events it records (the API's
`reconcileId`, `describe`'s PASS column) and on the daemon's log lines, so one grep finds
what one pass did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.engine.conftest import Daemon
from tests.integration.engine.test_engine import container_yaml, image_yaml

pytestmark = pytest.mark.integration


def test_a_pass_id_is_on_its_events_and_its_log_lines(
    daemon: Daemon, app_dir: Path, unique: str
) -> None:
    web = f"{unique}-web"
    daemon.client.apply("---\n".join((image_yaml(unique, app_dir), container_yaml(web, unique))))
    daemon.wait_phase("Container", web, "Running")

    def created() -> dict[str, Any] | None:
        events = daemon.client.events("Container", web)
        return next((event for event in events if event["reason"] == "Created"), None)

    event = daemon.wait_for(f"a Created event of Container/{web}", created, timeout_s=30)
    rid = event["reconcileId"]
    assert isinstance(rid, str) and rid.startswith("r-") and len(rid) == 10
    # The same pass created and started it: both events carry its id.
    reasons = {e["reason"]: e for e in daemon.client.events("Container", web)}
    assert reasons["Started"]["reconcileId"] == rid

    def logged() -> list[str] | None:
        lines = [line for line in daemon.log().splitlines() if f"[{rid}]" in line]
        return lines or None

    lines = daemon.wait_for(f"log lines of {rid}", logged, timeout_s=10)
    assert any(f"Container/{web}: Created" in line for line in lines), lines
    assert all(f"Container/{web}" in line for line in lines), lines

    described = daemon.cli("describe", f"container/{web}")
    assert described.returncode == 0, described.stderr
    assert rid in described.stdout

    daemon.client.delete("containers", web)
    daemon.client.delete("images", unique)
    daemon.wait_gone("Container", web)
    daemon.wait_gone("Image", unique)
