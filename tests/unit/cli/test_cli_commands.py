"""The CLI without a daemon: help, completion, usage errors, offline commands, and what it says
when no daemon answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockform.cli.main import _complete_target, app

COMMANDS = [
    "apply",
    "diff",
    "get",
    "describe",
    "delete",
    "events",
    "logs",
    "validate",
    "schema",
    "daemon",
    "version",
]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DOCKFORM_HOST", f"unix://{tmp_path / 'absent.sock'}")
    monkeypatch.delenv("DOCKFORM_TOKEN", raising=False)
    return CliRunner()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_top_level_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


def test_shell_completion_script(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0
    assert "complete" in result.output and "dockform" in result.output


def test_kind_completion() -> None:
    assert _complete_target("con") == ["container/", "config/"]
    assert _complete_target("sec") == ["secret/"]
    assert _complete_target("nosuch/") == []


def test_no_daemon_says_how_to_start_one(runner: CliRunner) -> None:
    result = runner.invoke(app, ["get"])
    assert result.exit_code == 1
    assert "cannot reach the dockform daemon" in result.output
    assert "dockform daemon" in result.output


def test_version_without_a_daemon(runner: CliRunner) -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert "client: " in result.output and "daemon: unreachable" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["apply"],
        ["get", "-o", "xml"],
        ["get", "widgets"],
        ["describe", "container"],
        ["delete"],
        ["get", "-l", "novalue"],
        ["apply", "-f", "x.yaml", "--wait", "--timeout", "soon"],
        ["apply", "--no-such-flag"],
        ["logs", "volume/data"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output


def test_malformed_host_is_a_usage_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKFORM_HOST", "ftp://somewhere")
    result = runner.invoke(app, ["get"])
    assert result.exit_code == 2
    assert "unix://, https://, http:// or tcp://" in result.output


def test_diff_of_invalid_manifests_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\nspec: {size: 1}\n")
    result = runner.invoke(app, ["diff", "-f", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:4" in result.output and "spec.size" in result.output


def test_diff_without_a_daemon_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: v}\n")
    assert runner.invoke(app, ["diff", "-f", str(good)]).exit_code == 2


def test_validate_warns_about_host_access(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "root.yaml"
    path.write_text(
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: root}\n"
        "spec:\n  image: busybox\n  hostNetwork: true\n"
    )
    result = runner.invoke(app, ["validate", "-f", str(path)])
    assert result.exit_code == 0
    assert "container/root valid" in result.output
    assert f"warning: {path}:6: document 1 (Container/root): spec.hostNetwork" in result.output
