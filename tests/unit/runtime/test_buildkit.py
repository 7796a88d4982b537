"""BuildKit builds through the docker CLI (issue 12 item 6), without a daemon: which CLI is
taken, the command and its environment, and how plain progress output becomes a failure
message naming the step, its output, and what to do for the known causes. The progress texts
are what Debian's docker 20.10 printed on this project's engine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockform.runtime._docker_buildkit import (
    CLI_ENV,
    BuildProgress,
    build_command,
    build_environment,
    cli_host,
    cli_version,
    explain_failure,
    find_cli,
    heredoc_line,
    probe_cli,
    run_build,
    syntax_directive,
)
from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.errors import ImageBuildFailed
from dockform.runtime.types import (
    BUILDKIT,
    CLASSIC_BUILDER,
    BuildRequest,
    BuildResult,
    BuildSecret,
)

FAILED_RUN = """\
#4 [1/3] COPY busybox /bin/busybox
#4 sha256:244a3f6f2437a185cea2c776d3f718ce81735edbd0b0952aa13701e16ae6f25c
#4 CACHED

#6 [3/3] RUN echo line one; echo line two >&2; exit 3
#6 sha256:ab1b752ccfbf3123e723606fd92812a765912142ff9a8967590f96ce191ded47
#6 0.536 line one
#6 0.536 line two
#6 ERROR: executor failed running [/bin/sh -c echo line one; echo line two >&2; exit 3]: exit code: 3
------
 > [3/3] RUN echo line one; echo line two >&2; exit 3:
#6 0.536 line two
------
executor failed running [/bin/sh -c echo line one; echo line two >&2; exit 3]: exit code: 3
"""  # noqa: E501

HEREDOC = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:3d18f6978167fd4695eb5436197b23ff07dda9b056d6eae5d1ee49ae168ddcf6
#1 transferring dockerfile: 122B 0.1s done
#1 DONE 0.1s
failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 4: unknown instruction: /BIN/BUSYBOX
"""  # noqa: E501

SYNTAX = """\
#3 resolve image config for docker.io/docker/dockerfile:1.4
#3 sha256:4c6393aa7d63350bb37611567d30ae32494404c0b27cf79a51e51112ce252eca
#3 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1.4": dial tcp: lookup registry-1.docker.io: no such host
------
 > resolve image config for docker.io/docker/dockerfile:1.4:
------
failed to solve with frontend dockerfile.v0: failed to solve with frontend gateway.v0: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1.4": dial tcp: lookup registry-1.docker.io: no such host
"""  # noqa: E501

MISSING_BASE = """\
#3 [internal] load metadata for docker.io/library/app-base:1
#3 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/library/app-base/manifests/1": dial tcp: no such host
------
 > [internal] load metadata for docker.io/library/app-base:1:
------
failed to solve with frontend dockerfile.v0: failed to create LLB definition: failed to do request: Head "https://registry-1.docker.io/v2/library/app-base/manifests/1": dial tcp: no such host
"""  # noqa: E501

HEREDOC_DOCKERFILE = (
    "FROM scratch\nCOPY busybox /bin/busybox\nRUN <<EOT\n/bin/busybox echo hi\nEOT\n"
)


def failure(output: str, dockerfile: str | None = None) -> str:
    progress = BuildProgress()
    for line in output.splitlines():
        progress.feed(line)
    return progress.failure("app:1", dockerfile)


def test_a_failed_run_names_its_step_the_error_and_its_last_output_once() -> None:
    assert failure(FAILED_RUN) == (
        "build of app:1 failed (BuildKit) at step [3/3] RUN echo line one; echo line two >&2; "
        "exit 3: executor failed running [/bin/sh -c echo line one; echo line two >&2; exit 3]: "
        "exit code: 3\n"
        "last output of that step:\n"
        "  line one\n"
        "  line two"
    )


def test_a_step_keeps_its_last_twenty_lines() -> None:
    lines = "".join(f"#6 0.{index:03d} out {index}\n" for index in range(30))
    message = failure(f"#6 [2/2] RUN loop\n{lines}#6 ERROR: exit code: 1\nexit code: 1\n")
    assert "  out 9\n" not in message and "  out 10\n" in message and message.endswith("out 29")


def test_a_heredoc_the_frontend_cannot_parse_says_so() -> None:
    message = failure(HEREDOC, HEREDOC_DOCKERFILE)
    assert message.startswith(
        "build of app:1 failed (BuildKit): failed to solve with frontend dockerfile.v0: "
        "failed to create LLB definition: dockerfile parse error line 4"
    )
    assert "Dockerfile line 3 (`RUN <<EOT`) is a heredoc" in message
    assert "cannot be fetched offline" in message and "one RUN line joined with &&" in message
    # A parse error without a heredoc is left as the builder said it.
    assert "heredoc" not in failure(HEREDOC, "FROM scratch\nBOGUS x\n")


def test_a_flag_the_frontend_does_not_know_says_so() -> None:
    error = (
        "failed to solve with frontend dockerfile.v0: failed to create LLB definition: "
        "dockerfile parse error line 4: Unknown flag: link"
    )
    advice = explain_failure(error, "FROM scratch\n\n\nCOPY --link a /a\n")
    assert advice.startswith("Dockerfile line 4 uses --link, which this engine's built-in")
    assert "leave the flag out" in advice


def test_a_syntax_line_that_cannot_be_fetched_says_so() -> None:
    dockerfile = "# syntax=docker/dockerfile:1.4\nFROM scratch\n"
    message = failure(SYNTAX, dockerfile)
    assert "at step resolve image config for docker.io/docker/dockerfile:1.4" in message
    assert "`# syntax=docker/dockerfile:1.4` line asks BuildKit to fetch" in message
    assert "remove the line" in message


def test_a_missing_base_image_says_to_build_or_load_it() -> None:
    assert "the base image docker.io/library/app-base:1 is not in Docker" in failure(
        MISSING_BASE, "FROM app-base:1\n"
    )


def test_dockerfile_readers() -> None:
    assert heredoc_line(HEREDOC_DOCKERFILE) == (3, "RUN <<EOT")
    assert heredoc_line("COPY <<-'EOF' /etc/x\n") == (1, "COPY <<-'EOF' /etc/x")
    assert heredoc_line("RUN echo 1 <<2\n") is None
    assert syntax_directive("\n# syntax = docker/dockerfile:1\nFROM x\n") == "docker/dockerfile:1"
    assert syntax_directive("# a comment\n#syntax=x/y\n") == "x/y"
    assert syntax_directive("FROM x\n# syntax=late\n") is None
    assert explain_failure("whatever", None) == ""


def test_the_command_carries_labels_args_target_and_secrets() -> None:
    request = BuildRequest(
        context_dir="/src/app",
        dockerfile="docker/Dockerfile",
        tag="app:1",
        labels={},
        args={"B": "2", "A": "x y"},
        target="final",
        secrets=(BuildSecret("npmrc", "/run/dockform/secrets/npmrc"),),
    )
    assert build_command("/usr/bin/docker", request, {"z": "1", "io.x": "a=b"}, "/tmp/i") == [
        "/usr/bin/docker",
        "build",
        "--progress=plain",
        "--iidfile",
        "/tmp/i",
        "-f",
        "/src/app/docker/Dockerfile",
        "-t",
        "app:1",
        "--label",
        "io.x=a=b",
        "--label",
        "z=1",
        "--build-arg",
        "A=x y",
        "--build-arg",
        "B=2",
        "--target",
        "final",
        "--secret",
        "id=npmrc,src=/run/dockform/secrets/npmrc",
        "/src/app",
    ]


def test_the_environment_points_the_cli_at_the_drivers_engine() -> None:
    env = build_environment({"PATH": "/bin", "DOCKER_CONTEXT": "other"}, "http://127.0.0.1:2375")
    assert env["DOCKER_BUILDKIT"] == "1" and env["DOCKER_HOST"] == "tcp://127.0.0.1:2375"
    assert "DOCKER_CONTEXT" not in env and env["PATH"] == "/bin"
    assert cli_host("unix:///run/docker.sock") == "unix:///run/docker.sock"
    assert cli_host("https://engine:2376") == "tcp://engine:2376"
    assert cli_host(None) is None


def fake_cli(directory: Path, version: str, buildx: bool) -> str:
    path = directory / f"docker-{version}"
    path.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then echo "Docker version {version}, build abc"; exit 0; fi\n'
        f'if [ "$1" = "buildx" ]; then {"echo buildx v0.12; exit 0" if buildx else "exit 1"}; fi\n'
        "exit 2\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_which_clis_build_with_buildkit(tmp_path: Path) -> None:
    assert cli_version("Docker version 20.10.24+dfsg1, build 297e128") == (20, 10)
    assert probe_cli(fake_cli(tmp_path, "20.10.24+dfsg1", buildx=False)) == ""
    assert probe_cli(fake_cli(tmp_path, "28.2.2", buildx=True)) == ""
    without = fake_cli(tmp_path, "28.2.1", buildx=False)
    assert probe_cli(without).endswith("is docker 28.2, whose builds need the buildx plugin")
    assert "is docker 17.3" in probe_cli(fake_cli(tmp_path, "17.03.0", buildx=False))
    assert "does not run" in probe_cli(str(tmp_path / "absent")) or "No such file" in probe_cli(
        str(tmp_path / "absent")
    )
    # The configured CLI alone is tried.
    chosen = find_cli({CLI_ENV: without, "PATH": os.environ.get("PATH", "")})
    assert chosen.path is None and chosen.reason.startswith("no docker CLI with BuildKit: ")
    assert find_cli({CLI_ENV: fake_cli(tmp_path, "20.10.5", buildx=False)}).path is not None


def test_the_result_says_which_builder() -> None:
    assert BuildResult("sha256:1", BUILDKIT).describe() == "with BuildKit"
    fallback = BuildResult("sha256:1", CLASSIC_BUILDER, "BuildKit unavailable: no CLI")
    assert fallback.describe() == "with the classic builder (BuildKit unavailable: no CLI)"


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "build.sh"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return [str(path)]


def test_run_build_streams_and_fails_with_the_step(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ok = script(tmp_path, "echo '#1 [1/1] RUN true'; echo '#1 DONE 0.1s'\n")
    with caplog.at_level("DEBUG", logger="dockform.runtime.build"):
        run_build(ok, dict(os.environ), str(tmp_path), 30, "app:1", None)
    assert "app:1: #1 [1/1] RUN true" in caplog.text

    failing = script(tmp_path, f"cat <<'OUT'\n{FAILED_RUN}OUT\nexit 1\n")
    with pytest.raises(ImageBuildFailed) as error:
        run_build(failing, dict(os.environ), str(tmp_path), 30, "app:1", None)
    assert str(error.value) == failure(FAILED_RUN)


def test_a_silent_build_is_stopped(tmp_path: Path) -> None:
    silent = script(tmp_path, "echo '#1 [1/1] RUN sleep'; exec sleep 30\n")
    with pytest.raises(ImageBuildFailed, match="printed nothing for 1 s and was stopped"):
        run_build(silent, dict(os.environ), str(tmp_path), 1, "app:1", None)


def test_no_cache_asks_every_step_again() -> None:
    request = BuildRequest("/src", "Dockerfile", "app:1", {}, no_cache=True)
    command = build_command("/usr/bin/docker", request, {}, "/tmp/i")
    assert command[-2:] == ["--no-cache", "/src"]
    plain = build_command(
        "/usr/bin/docker", BuildRequest("/src", "Dockerfile", "a:1", {}), {}, "/i"
    )
    assert "--no-cache" not in plain


def test_build_secrets_need_buildkit(tmp_path: Path) -> None:
    runtime = DockerRuntime(base_url="unix:///nonexistent.sock", buildkit=False)
    request = BuildRequest(
        str(tmp_path), "Dockerfile", "app:1", {}, secrets=(BuildSecret("npmrc", "/s/npmrc"),)
    )
    with pytest.raises(ImageBuildFailed) as refused:
        runtime.build_image(request)  # refused before any engine call
    assert str(refused.value) == (
        "build of app:1: build secrets (the Image's spec.build.secrets) need BuildKit, which "
        "this daemon cannot use (BuildKit unavailable: DOCKFORM_BUILDKIT=0); remove "
        "spec.build.secrets or give the daemon a BuildKit-capable engine and docker CLI"
    )
