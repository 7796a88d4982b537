"""`apply --wait`: the pure verdict per object, timeouts, and the polling loop (fake client)."""

from __future__ import annotations

from typing import Any

import pytest

from dockform.cli.wait import Target, assess, wait_for


def item(
    phase: str,
    *,
    ready: str | None = None,
    generation: int = 2,
    observed: int = 2,
    reason: str = "",
    deleting: bool = False,
) -> dict[str, Any]:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {
        "kind": "Container",
        "name": "web",
        "generation": generation,
        "deletionRequestedAt": "2026-01-01T00:00:00Z" if deleting else None,
        "status": {
            "phase": phase,
            "reason": reason,
            "message": "",
            "conditions": conditions,
            "observedGeneration": observed,
        },
    }


WEB = Target("Container", "web", "configured")


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        (item("Running", ready="True"), "ready"),
        (item("Running", ready="False"), "waiting"),
        (item("Running", ready="True", observed=1), "waiting"),  # an older generation's Ready
        (item("Failed", ready="False", reason="NameConflict"), "failed"),
        (item("Failed", ready="False", observed=1), "waiting"),  # failed before this apply
        (item("Ready"), "ready"),  # no Ready condition: the phase decides
        (item("Succeeded"), "ready"),
        (item("Pending"), "waiting"),
        (item("Running", ready="True", deleting=True), "waiting"),
        (None, "waiting"),
    ],
)
def test_assess(value: dict[str, Any] | None, verdict: str) -> None:
    assert assess(WEB, value).verdict == verdict


def test_a_pruned_object_is_done_when_gone() -> None:
    pruned = Target("Container", "web", "pruned")
    assert assess(pruned, None).verdict == "ready"
    assert assess(pruned, item("Running", ready="True")).verdict == "waiting"


class ScriptedClient:
    """Answers `list` from a script of snapshots, one per poll (the last one repeats)."""

    def __init__(self, script: list[list[dict[str, Any]]]) -> None:
        self.script = script
        self.polls = 0

    def list(self, kinds: str, labels: Any = None, namespace: Any = None) -> list[dict[str, Any]]:
        snapshot = self.script[min(self.polls, len(self.script) - 1)]
        self.polls += 1
        return snapshot

    def events(self, **_: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "Warning",
                "reason": "NameConflict",
                "message": "taken",
                "kind": "Container",
                "name": "web",
                "count": 3,
                "lastTime": None,
            }
        ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run(script: list[list[dict[str, Any]]], timeout_s: float = 10.0) -> tuple[bool, int]:
    client = ScriptedClient(script)
    clock = Clock()
    done = wait_for(client, [WEB], timeout_s, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    return done, client.polls


def test_wait_ends_when_ready(capsys: pytest.CaptureFixture[str]) -> None:
    done, polls = run(
        [[item("Pending")], [item("Running", ready="False")], [item("Running", ready="True")]]
    )
    assert done and polls == 3
    out = capsys.readouterr().out
    assert "container/web: waiting, Pending" in out and "all 1 object(s) ready" in out


def test_wait_fails_fast_with_reason_and_events(capsys: pytest.CaptureFixture[str]) -> None:
    done, polls = run([[item("Pending")], [item("Failed", ready="False", reason="NameConflict")]])
    assert not done and polls == 2
    err = capsys.readouterr().err
    assert "container/web failed: Failed, NameConflict" in err
    assert "last events:" in err and "taken (x3)" in err


def test_wait_gives_up_at_the_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    done, polls = run([[item("Pending", reason="Waiting")]], timeout_s=2.0)
    assert not done and polls == 5  # 0, 0.5, 1.0, 1.5, 2.0 s
    assert "container/web not ready after 2s: Pending, Waiting" in capsys.readouterr().err
