"""Rendering: spec diffs, events, and text that looks like markup printed as it is."""

from __future__ import annotations

from typing import Any

import pytest

from dockform.cli.inputs import issue_text, localise
from dockform.cli.render import console, describe_text, events_table, resource_table, spec_diff
from dockform.manifests.loader import load_text


def diff_item(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "Container",
        "name": "web",
        "action": "configured",
        "old": {"image": "busybox", "env": {"A": "1"}},
        "new": {"image": "busybox", "env": {"A": "2"}},
        "oldMetadata": {"labels": {}, "annotations": {}, "source": "cli"},
        "newMetadata": {"labels": {}, "annotations": {}, "source": "cli"},
    }
    return {**base, **fields}


def test_changed_spec_is_a_unified_diff() -> None:
    text = spec_diff(diff_item())
    assert text.splitlines()[:2] == ["--- live/container/web", "+++ manifest/container/web"]
    assert "-    A: '1'" in text and "+    A: '2'" in text
    assert "   image: busybox" in text
    assert "source" not in text


def test_new_object_is_all_added_and_pruned_all_removed() -> None:
    created = spec_diff(diff_item(action="created", old=None, oldMetadata=None))
    assert created.startswith("--- /dev/null\n+++ manifest/container/web\n")
    body = [line for line in created.splitlines()[2:] if not line.startswith("@@")]
    assert body and all(line.startswith("+") for line in body)
    pruned = spec_diff(diff_item(action="pruned", new=None, newMetadata=None))
    assert "+++ /dev/null" in pruned
    assert all(line.startswith("-") for line in pruned.splitlines()[3:])


def test_label_and_owner_changes_show() -> None:
    text = spec_diff(
        diff_item(
            new={"image": "busybox", "env": {"A": "1"}},
            newMetadata={"labels": {"app": "web"}, "annotations": {}, "source": "git:prod"},
        )
    )
    assert "+  labels:" in text and "+    app: web" in text
    assert "-  source: cli" in text and "+  source: git:prod" in text


def test_markup_and_emoji_codes_print_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    console.print("command: [sh, -c] [/etc] [bold]x :smile:")
    assert capsys.readouterr().out == "command: [sh, -c] [/etc] [bold]x :smile:\n"


def test_events_table() -> None:
    table = events_table(
        [
            {
                "type": "Warning",
                "reason": "Failed",
                "kind": "Container",
                "name": "web",
                "message": "no\nsuch   image",
                "count": 2,
                "lastTime": None,
            },
            {
                "type": "Normal",
                "reason": "GarbageCollected",
                "kind": "Network",
                "name": "",
                "message": "removed",
                "count": 1,
                "lastTime": None,
            },
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"]
    assert "container/web" in lines[1] and lines[1].endswith("no such image")
    assert " Network " in lines[2]


def test_describe_shows_the_pass_of_each_event() -> None:
    item = {"name": "web", "kind": "Container", "spec": {}, "status": {"phase": "Running"}}
    event = {"type": "Normal", "reason": "Created", "message": "created container:web: not found"}
    text = describe_text(item, [{**event, "reconcileId": "r-1a2b3c4d"}, event])
    header, with_id, without = text.splitlines()[-3:]
    assert header.split() == ["TYPE", "REASON", "AGE", "COUNT", "PASS", "MESSAGE"]
    assert with_id.split()[:5] == ["Normal", "Created", "-", "1", "r-1a2b3c4d"]
    assert with_id.endswith("created container:web: not found")
    assert without.split()[4] == "-"


def test_a_pinned_object_says_so_in_get_and_describe() -> None:
    pin = {"generation": 3, "rolledBackTo": 1, "sourceGeneration": 2}
    item = {
        "name": "web",
        "kind": "Container",
        "spec": {"image": "busybox"},
        "status": {"phase": "Running"},
        "pin": pin,
    }
    assert "busybox pinned@1" in resource_table([item])
    assert "Pinned:       rolled back to generation 1" in describe_text(item, [])
    assert "pinned" not in resource_table([{**item, "pin": None}])


def test_request_issues_point_back_at_the_users_file(tmp_path: Any) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\n---\n"
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\nspec:\n"
        "  image: busybox\n  privileged: true\n"
    )
    manifests = load_text(path.read_text(), filename=str(path))
    issue = {
        "file": "<request>",
        "document": 2,
        "line": 14,
        "path": "spec.privileged",
        "message": "refused",
        "kind": "Container",
        "name": "web",
    }
    [mapped] = localise([issue], manifests)
    assert (mapped["file"], mapped["document"], mapped["line"]) == (str(path), 2, 10)
    assert issue_text(mapped) == f"{path}:10: document 2 (Container/web): spec.privileged: refused"
    other = {"file": "elsewhere.yaml", "document": 1, "line": 3, "path": "", "message": "x"}
    assert localise([other], manifests) == [other]
