"""The `dockform` command against a real daemon, as a new user runs it: apply (with --wait,
--dry-run, --prune, --force), diff and its exit codes, get in every format, describe, delete,
events (and -f), logs (and -f), validate, schema, version, TCP with and without a token,
completion and help."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from dockform import __version__
from tests.integration.api.conftest import ApiDaemon, container_yaml, image_yaml
from tests.integration.conftest import SESSION_ID, SESSION_LABEL
from tests.integration.engine.conftest import DOCKFORM

pytestmark = pytest.mark.integration

TICKER = '["sh", "-c", "echo hello; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]'


@pytest.fixture(scope="module")
def image(
    api_daemon: ApiDaemon, build_context: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    name = "cliimg" + os.urandom(3).hex()
    manifest = tmp_path_factory.mktemp("image") / "image.yaml"
    manifest.write_text(image_yaml(name, build_context))
    result = api_daemon.cli("apply", "-f", str(manifest), "--wait", "--timeout", "3m")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"image/{name}: ready, Ready" in result.stdout
    assert "all 1 object(s) ready" in result.stdout
    return name


def write(path: Path, *documents: str) -> Path:
    path.write_text("---\n".join(documents))
    return path


def test_apply_wait_get_describe_and_delete(
    api_daemon: ApiDaemon, image: str, unique: str, tmp_path: Path
) -> None:
    manifest = write(
        tmp_path / "app.yaml",
        container_yaml(f"{unique}-a", image, labels="{app: cli}"),
        container_yaml(f"{unique}-b", image, labels="{app: cli}"),
    )
    applied = api_daemon.cli("apply", "-f", str(manifest), "--wait", "--timeout", "2m")
    assert applied.returncode == 0, applied.stderr
    assert f"container/{unique}-a created" in applied.stdout
    assert f"container/{unique}-b: ready, Running" in applied.stdout
    again = api_daemon.cli("apply", "-f", str(manifest))
    assert again.stdout.splitlines() == [
        f"container/{unique}-a unchanged",
        f"container/{unique}-b unchanged",
    ]

    table = api_daemon.cli("get", "containers", "-l", "app=cli")
    assert table.returncode == 0
    assert table.stdout.split()[:7] == ["KIND", "NAME", "PHASE", "READY", "REASON", "DETAIL", "AGE"]
    assert f"{unique}-a" in table.stdout and "Running" in table.stdout
    wide = api_daemon.cli("get", "Container", "-o", "wide", "-l", "app=cli")
    assert "SOURCE" in wide.stdout and "cli" in wide.stdout
    one = json.loads(api_daemon.cli("get", f"container/{unique}-a", "-o", "json").stdout)
    assert one["metadata"]["name"] == f"{unique}-a" and one["status"]["phase"] == "Running"
    listed = yaml.safe_load(
        api_daemon.cli("get", "containers", "-o", "yaml", "-l", "app=cli").stdout
    )
    assert sorted(item["metadata"]["name"] for item in listed["items"]) == [
        f"{unique}-a",
        f"{unique}-b",
    ]
    everything = api_daemon.cli("get")
    assert f"{unique}-a" in everything.stdout and image in everything.stdout

    described = api_daemon.cli("describe", "container", f"{unique}-a")
    assert described.returncode == 0
    assert "Conditions:" in described.stdout and "Started" in described.stdout

    deleted = api_daemon.cli("delete", "-f", str(manifest))
    assert deleted.returncode == 0
    assert f"container/{unique}-a deleted" in deleted.stdout
    api_daemon.daemon.wait_gone("Container", f"{unique}-a")
    missing = api_daemon.cli("delete", f"container/{unique}-a")
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert api_daemon.cli("delete", f"container/{unique}-a", "--ignore-not-found").returncode == 0


def test_dry_run_diff_exit_codes_and_prune(
    api_daemon: ApiDaemon, image: str, unique: str, tmp_path: Path
) -> None:
    first = container_yaml(f"{unique}-x", image)
    second = container_yaml(f"{unique}-y", image)
    manifest = write(tmp_path / "app.yaml", first, second)
    source = f"dir:{manifest}"
    assert api_daemon.cli("apply", "-f", str(manifest), "--source", source).returncode == 0
    same = api_daemon.cli("diff", "-f", str(manifest), "--source", source)
    assert (same.returncode, same.stdout) == (0, "")

    changed = first.replace('"3600"', '"7200"')
    write(manifest, changed)
    before = api_daemon.daemon.resource("containers", f"{unique}-x")
    dry = api_daemon.cli("apply", "-f", str(manifest), "--source", source, "--dry-run", "--prune")
    assert dry.returncode == 0
    assert f"container/{unique}-x configured (dry run)" in dry.stdout
    assert f"container/{unique}-y pruned (dry run)" in dry.stdout
    after = api_daemon.daemon.resource("containers", f"{unique}-x")
    assert before and after and after["resourceVersion"] == before["resourceVersion"]

    diff = api_daemon.cli("diff", "-f", str(manifest), "--source", source, "--prune")
    assert diff.returncode == 1
    assert f"--- live/container/{unique}-x" in diff.stdout
    assert "-  - '3600'" in diff.stdout and "+  - '7200'" in diff.stdout
    assert "+++ /dev/null" in diff.stdout  # the pruned one, all removed

    bad = write(tmp_path / "bad.yaml", first.replace("image:", "imgae:"))
    broken = api_daemon.cli("diff", "-f", str(bad))
    assert broken.returncode == 2 and "imgae" in broken.stderr

    pruned = api_daemon.cli("apply", "-f", str(manifest), "--source", source, "--prune")
    assert f"container/{unique}-y pruned" in pruned.stdout
    api_daemon.daemon.wait_gone("Container", f"{unique}-y")
    write(manifest, "")
    guarded = api_daemon.cli("apply", "-f", str(manifest), "--source", source, "--prune")
    assert guarded.returncode != 0 and "--allow-empty" in guarded.stderr
    emptied = api_daemon.cli(
        "apply", "-f", str(manifest), "--source", source, "--prune", "--allow-empty"
    )
    assert emptied.returncode == 0 and f"container/{unique}-x pruned" in emptied.stdout


def test_ownership_conflict_and_force(
    api_daemon: ApiDaemon, image: str, unique: str, tmp_path: Path
) -> None:
    manifest = write(tmp_path / "owned.yaml", container_yaml(f"{unique}-o", image))
    assert api_daemon.cli("apply", "-f", str(manifest), "--source", "git:team").returncode == 0
    # The owner's exact content is no conflict (server-side apply semantics).
    same = api_daemon.cli("apply", "-f", str(manifest))
    assert same.returncode == 0 and f"container/{unique}-o unchanged" in same.stdout
    write(manifest, container_yaml(f"{unique}-o", image, labels='{changed: "yes"}'))
    refused = api_daemon.cli("apply", "-f", str(manifest))
    assert refused.returncode == 1
    assert "owned by source git:team" in refused.stderr and "HTTP 409" in refused.stderr
    conflict_diff = api_daemon.cli("diff", "-f", str(manifest))
    assert conflict_diff.returncode == 2
    taken = api_daemon.cli("apply", "-f", str(manifest), "--force")
    assert taken.returncode == 0 and f"container/{unique}-o configured" in taken.stdout


def test_wait_fails_fast_with_reason_and_events(
    api_daemon: ApiDaemon,
    image: str,
    unique: str,
    tmp_path: Path,
    docker_client: docker.DockerClient,
) -> None:
    stranger = docker_client.containers.create(
        f"dockform-test/{image}:latest",
        ["sleep", "60"],
        name=f"{unique}-taken",
        labels={"dockform.test": "1", SESSION_LABEL: SESSION_ID},
    )
    try:
        manifest = write(tmp_path / "taken.yaml", container_yaml(f"{unique}-taken", image))
        started = time.monotonic()
        result = api_daemon.cli("apply", "-f", str(manifest), "--wait", "--timeout", "2m")
        assert result.returncode == 1
        assert time.monotonic() - started < 60  # failed fast, not at the timeout
        assert f"container/{unique}-taken failed: Failed, NameConflict" in result.stderr
        assert "last events:" in result.stderr and "NameConflict" in result.stderr
    finally:
        stranger.remove(force=True)


def test_wait_gives_up_at_the_timeout(api_daemon: ApiDaemon, unique: str, tmp_path: Path) -> None:
    manifest = write(tmp_path / "lost.yaml", container_yaml(f"{unique}-lost", f"{unique}-absent"))
    result = api_daemon.cli("apply", "-f", str(manifest), "--wait", "--timeout", "3s")
    assert result.returncode == 1
    assert f"container/{unique}-lost not ready after 3s: Pending, Waiting" in result.stderr


def test_events_and_logs_with_follow(
    api_daemon: ApiDaemon, image: str, unique: str, tmp_path: Path
) -> None:
    name = f"{unique}-tick"
    env = {**os.environ, "DOCKFORM_HOME": str(api_daemon.home)}
    env.pop("DOCKFORM_HOST", None)
    follower = subprocess.Popen(
        [DOCKFORM, "events", "-f", f"container/{name}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # following before anything happens to the object
        manifest = write(tmp_path / "tick.yaml", container_yaml(name, image, command=TICKER))
        assert api_daemon.cli("apply", "-f", str(manifest)).returncode == 0
        lines = read_until(follower, "Started")
        assert any("Created" in line and f"container/{name}" in line for line in lines)
    finally:
        follower.terminate()
        follower.wait(10)

    api_daemon.daemon.wait_phase("Container", name, "Running", ready=True)
    listed = api_daemon.cli("events", f"container/{name}")
    assert "REASON" in listed.stdout and "Started" in listed.stdout

    api_daemon.daemon.wait_for(
        "a few ticks", lambda: "tick 3" in api_daemon.cli("logs", name).stdout
    )
    logs = api_daemon.cli("logs", name)
    assert logs.returncode == 0 and logs.stdout.startswith("hello\ntick 1\n")
    tail = api_daemon.cli("logs", f"container/{name}", "--tail", "1")
    assert tail.stdout.count("\n") == 1 and tail.stdout.startswith("tick ")
    streaming = subprocess.Popen(
        [DOCKFORM, "logs", name, "-f", "--tail", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [streaming.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        assert all(line.startswith("tick ") for line in lines), lines
    finally:
        streaming.terminate()
        streaming.wait(10)


def read_until(process: subprocess.Popen[str], needle: str, timeout_s: float = 60) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            time.sleep(0.05)
            continue
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"no {needle!r} within {timeout_s}s; got {lines}")


def test_tcp_with_and_without_token(api_daemon: ApiDaemon, image: str) -> None:
    host = f"tcp://127.0.0.1:{api_daemon.port}"
    refused = api_daemon.cli("get", DOCKFORM_HOST=host, DOCKFORM_TOKEN="")
    assert refused.returncode == 1
    assert "HTTP 401" in refused.stderr and "DOCKFORM_TOKEN" in refused.stderr
    wrong = api_daemon.cli("get", DOCKFORM_HOST=host, DOCKFORM_TOKEN="guess")
    assert wrong.returncode == 1
    allowed = api_daemon.cli(
        "get",
        "images",
        DOCKFORM_HOST=f"http://127.0.0.1:{api_daemon.port}",
        DOCKFORM_TOKEN=api_daemon.token,
    )
    assert allowed.returncode == 0 and image in allowed.stdout


def test_no_daemon_says_how_to_start_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [DOCKFORM, "get"],
        env={**os.environ, "DOCKFORM_HOME": str(tmp_path), "DOCKFORM_HOST": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot reach the dockform daemon" in result.stderr
    assert "dockform daemon" in result.stderr


def test_offline_commands_version_completion_and_help(
    api_daemon: ApiDaemon, tmp_path: Path
) -> None:
    manifest = write(tmp_path / "ok.yaml", container_yaml("fine", "x"))
    assert api_daemon.cli("validate", "-f", str(manifest)).returncode == 0
    bad = write(tmp_path / "bad.yaml", container_yaml("fine", "x", extra="  colour: red\n"))
    invalid = api_daemon.cli("validate", "-f", str(bad))
    assert (
        invalid.returncode == 2 and f"{bad}:8" in invalid.stderr and "spec.colour" in invalid.stderr
    )
    schema: dict[str, Any] = json.loads(api_daemon.cli("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    version = api_daemon.cli("version")
    assert f"client: {__version__}" in version.stdout
    assert f"daemon: {__version__}" in version.stdout
    completion = api_daemon.cli("--show-completion", "bash")
    assert completion.returncode == 0 and "_dockform_completion" in completion.stdout
    # Every command's help is checked in tests/unit/cli; here the installed entry point once.
    shown = api_daemon.cli("apply", "--help")
    assert shown.returncode == 0 and "Example" in shown.stdout
