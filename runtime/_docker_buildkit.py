"""BuildKit builds through the docker CLI: which CLI can do them, the command, and its output.

Used only by `runtime.docker_driver`. The Engine builds with BuildKit only for a client that
serves it a session (file sync of the context, secrets) over `/session`, which docker-py
cannot; the docker CLI can. So a BuildKit build runs `docker build --progress=plain` with
`DOCKER_BUILDKIT=1` against the same engine, and this module:

- finds a CLI that builds with BuildKit (`find_cli`): `DOCKFORM_DOCKER_CLI` when set, else
  `/usr/bin/docker` (Debian's docker.io) and every `docker` on PATH, in that order; a CLI
  before 23.0 has BuildKit built in, a later one needs its buildx plugin (`docker buildx
  version` answers). None found: the driver falls back to the classic builder and says why.
- spells the command (`build_command`): the request's Dockerfile, tag, labels, args, target
  and `--secret id=...,src=...` for build secrets, `--iidfile` for the image id;
- runs it (`run_build`), streaming every output line to the log `dockform.runtime.build` as
  it comes and stopping a build silent for longer than the build timeout;
- reads the plain progress output (`BuildProgress`): the steps, each step's output, the step
  that failed and the builder's final error, turned into one `ImageBuildFailed` message that
  names the failing step and its last lines; failures that have a known cause the user can
  act on (a heredoc or flag the engine's built-in Dockerfile frontend does not parse, a
  `# syntax=` frontend that cannot be fetched offline, a base image neither present nor
  fetchable) say so (`explain_failure`).

Build secrets (`BuildRequest.secrets`, `--secret id=...,src=...`) go through the same command;
the executor fills them from an Image's `build.secrets` with files that exist for the build alone
(`controller.container_files`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dockform.runtime.errors import ImageBuildFailed, RuntimeUnavailable
from dockform.runtime.types import BUILDKIT, BuildRequest

log = logging.getLogger("dockform.runtime.build")

CLI_ENV = "DOCKFORM_DOCKER_CLI"
DEBIAN_CLI = "/usr/bin/docker"
STEP_TAIL_LINES = 20
# docker 23.0 moved `docker build` onto the buildx plugin; before it BuildKit is built in.
_BUILDX_FROM_MAJOR = 23
_PROBE_TIMEOUT_S = 10.0

_VERSION = re.compile(r"Docker version (\d+)\.(\d+)")
# Plain progress: `#5 [2/3] RUN make`, `#5 0.536 output`, `#5 DONE 0.5s`, `#5 ERROR: ...`.
_VERTEX = re.compile(r"^#(\d+) (.*)$")
_TIMED_OUTPUT = re.compile(r"^\d+\.\d+ ?(.*)$")
_NOT_A_TITLE = re.compile(r"^(sha256:[0-9a-f]+|DONE\b.*|CACHED$|ERROR\b.*|CANCELED\b.*|\.\.\.)")
_HEREDOC = re.compile(r"^\s*(RUN|COPY|ADD)\b.*<<-?\s*[\"']?[A-Za-z_][A-Za-z0-9_]*", re.IGNORECASE)
_UNKNOWN_FLAG = re.compile(r"parse error line (\d+): Unknown flag: (\S+)")
_BASE_METADATA = re.compile(r"^\[internal\] load metadata for (\S+)")
_SYNTAX = re.compile(r"^#\s*syntax\s*=\s*(\S+)", re.IGNORECASE)


# --- which CLI


@dataclass(frozen=True)
class CliProbe:
    """A docker CLI that builds with BuildKit (`path`), or why none does (`reason`)."""

    path: str | None
    reason: str = ""


def cli_version(version_text: str) -> tuple[int, int] | None:
    """`Docker version 20.10.24+dfsg1, build 297e128` -> (20, 10)."""
    match = _VERSION.search(version_text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def candidate_clis(environ: Mapping[str, str]) -> list[str]:
    """The CLIs to try, in order: the configured one alone, else Debian's and those on PATH."""
    configured = environ.get(CLI_ENV, "").strip()
    if configured:
        return [configured]
    found = [DEBIAN_CLI]
    for directory in environ.get("PATH", "").split(os.pathsep):
        if directory:
            found.append(os.path.join(directory, "docker"))
    real = [path for path in found if os.path.isfile(path) and os.access(path, os.X_OK)]
    return list(dict.fromkeys(real)) or [shutil.which("docker") or DEBIAN_CLI]


def _run_quietly(command: Sequence[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
            env={**os.environ, "DOCKER_CLI_HINTS": "false"},
        )
    except (OSError, subprocess.SubprocessError) as error:
        return -1, str(error)
    return done.returncode, (done.stdout + done.stderr).strip()


def probe_cli(path: str) -> str:
    """Why the CLI at `path` cannot build with BuildKit, or "" when it can."""
    status, text = _run_quietly([path, "--version"])
    if status != 0:
        return f"{path}: {text or 'does not run'}"
    version = cli_version(text)
    if version is None:
        return f"{path}: not a docker CLI ({text[:80]})"
    if version[0] < _BUILDX_FROM_MAJOR:
        return "" if version >= (18, 9) else f"{path} is docker {version[0]}.{version[1]}"
    status, text = _run_quietly([path, "buildx", "version"])
    if status != 0:
        return f"{path} is docker {version[0]}.{version[1]}, whose builds need the buildx plugin"
    return ""


def find_cli(environ: Mapping[str, str]) -> CliProbe:
    """The first candidate CLI that builds with BuildKit, or every reason none does."""
    reasons = []
    for path in candidate_clis(environ):
        why = probe_cli(path)
        if not why:
            return CliProbe(path)
        reasons.append(why)
    return CliProbe(None, "no docker CLI with BuildKit: " + "; ".join(reasons))


def cli_host(base_url: str | None) -> str | None:
    """The driver's engine address as the CLI's DOCKER_HOST (None: the CLI's own default,
    which reads the same DOCKER_HOST environment as docker-py)."""
    if not base_url:
        return None
    for scheme in ("http://", "https://"):
        if base_url.startswith(scheme):
            return "tcp://" + base_url.removeprefix(scheme)
    return base_url


# --- the command


def build_command(
    cli: str, request: BuildRequest, labels: Mapping[str, str], iidfile: str
) -> list[str]:
    """`docker build` for `request` (argv: nothing goes through a shell)."""
    command = [cli, "build", "--progress=plain", "--iidfile", iidfile]
    command += ["-f", os.path.join(request.context_dir, request.dockerfile), "-t", request.tag]
    for key, value in sorted(labels.items()):
        command += ["--label", f"{key}={value}"]
    for key, value in sorted(request.args.items()):
        command += ["--build-arg", f"{key}={value}"]
    if request.target:
        command += ["--target", request.target]
    for secret in request.secrets:
        command += ["--secret", f"id={secret.id},src={secret.src}"]
    if request.no_cache:
        command.append("--no-cache")
    command.append(request.context_dir)
    return command


def build_environment(environ: Mapping[str, str], base_url: str | None) -> dict[str, str]:
    env = {**environ, "DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain"}
    env["DOCKER_CLI_HINTS"] = "false"
    host = cli_host(base_url)
    if host is not None:
        env["DOCKER_HOST"] = host
        env.pop("DOCKER_CONTEXT", None)
    return env


# --- the output


@dataclass
class _Step:
    title: str = ""
    output: deque[str] = field(default_factory=lambda: deque(maxlen=STEP_TAIL_LINES))
    error: str = ""


class BuildProgress:
    """Plain progress output, read line by line: steps, their output, what failed."""

    def __init__(self) -> None:
        self._steps: dict[int, _Step] = {}
        self._failed: int | None = None
        self._trailer: deque[str] = deque(maxlen=STEP_TAIL_LINES)

    def feed(self, line: str) -> None:
        line = line.rstrip()
        match = _VERTEX.match(line)
        if match is None:
            if line.strip() and line.strip() != "------" and not line.startswith(" > "):
                self._trailer.append(line.strip())
            return
        step = self._steps.setdefault(int(match.group(1)), _Step())
        text = match.group(2)
        timed = _TIMED_OUTPUT.match(text)
        if timed is not None:
            if not step.error:  # a summary box may repeat a failed step's lines
                step.output.append(timed.group(1))
        elif text.startswith("ERROR"):
            step.error = text.removeprefix("ERROR").lstrip(": ").strip()
            self._failed = int(match.group(1))
        elif not step.title and not _NOT_A_TITLE.match(text):
            step.title = text

    def failure(self, tag: str, dockerfile_text: str | None) -> str:
        """The message of a failed build: the failing step, the builder's error, the step's
        last output lines, and what to do when the cause is known."""
        final = self._trailer[-1] if self._trailer else ""
        step = self._steps.get(self._failed) if self._failed is not None else None
        error = final or (step.error if step else "") or "the build failed"
        where = f" at step {step.title}" if step is not None and step.title else ""
        lines = [f"build of {tag} failed ({BUILDKIT}){where}: {error}"]
        advice = explain_failure(error, dockerfile_text, step.title if step else "")
        if advice:
            lines.append(advice)
        if step is not None and step.output:
            lines.append("last output of that step:")
            lines += [f"  {line}" for line in step.output]
        elif step is None and len(self._trailer) > 1:
            lines += [f"  {line}" for line in list(self._trailer)[:-1]]
        return "\n".join(lines)


def heredoc_line(dockerfile_text: str) -> tuple[int, str] | None:
    """The first instruction line that opens a heredoc (`RUN <<EOT`), 1-based, or None."""
    for number, line in enumerate(dockerfile_text.splitlines(), start=1):
        if _HEREDOC.match(line):
            return number, line.strip()
    return None


def syntax_directive(dockerfile_text: str) -> str | None:
    """The frontend image a leading `# syntax=` directive names, or None."""
    for line in dockerfile_text.splitlines():
        if not line.strip():
            continue
        match = _SYNTAX.match(line.strip())
        if match is not None:
            return match.group(1)
        if not line.lstrip().startswith("#"):
            return None
    return None


def explain_failure(error: str, dockerfile_text: str | None, step_title: str = "") -> str:
    """What a build failure means and what to do, when the cause is one users can act on."""
    base = _BASE_METADATA.match(step_title)
    if base is not None and ("failed to do request" in error or "pull access" in error):
        return (
            f"the base image {base.group(1)} is not in Docker and no registry gives it: build "
            "or load it first (an Image of its own), or make the registry reachable"
        )
    if dockerfile_text is None:
        return ""
    syntax = syntax_directive(dockerfile_text)
    if syntax is not None and ("gateway" in error or "resolve image config" in error):
        return (
            f"the Dockerfile's `# syntax={syntax}` line asks BuildKit to fetch that frontend "
            "image, which cannot be fetched here (no registry answers): remove the line to "
            "build with the engine's built-in Dockerfile frontend (it has RUN --mount), or "
            "make the registry reachable"
        )
    flag = _UNKNOWN_FLAG.search(error)
    if flag is not None:
        return (
            f"Dockerfile line {flag.group(1)} uses --{flag.group(2)}, which this engine's "
            "built-in Dockerfile frontend does not know (Docker 20.10's has the Dockerfile "
            "syntax 1.2: RUN --mount and COPY --chmod, not COPY --link, RUN --network or ADD "
            "--checksum), and a newer frontend cannot be fetched offline: leave the flag out"
        )
    heredoc = heredoc_line(dockerfile_text)
    if heredoc is not None and "parse error" in error:
        number, text = heredoc
        return (
            f"Dockerfile line {number} (`{text[:60]}`) is a heredoc, which this engine's "
            "built-in Dockerfile frontend does not parse (Docker 20.10's has the Dockerfile "
            "syntax 1.2: RUN --mount, no heredocs, which came with 1.4), and a newer frontend "
            "cannot be fetched offline: put the commands on one RUN line joined with &&, or "
            "COPY a script and RUN it"
        )
    return ""


# --- running it


def run_build(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    silence_timeout_s: float,
    tag: str,
    dockerfile_text: str | None,
) -> None:
    """Run `command`, streaming its output to the log; ImageBuildFailed when it fails (the
    failing step, its output), RuntimeUnavailable when the CLI cannot run or reach the engine.
    A build that prints nothing for `silence_timeout_s` is stopped."""
    progress = BuildProgress()
    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as error:
        raise RuntimeUnavailable(f"build image {tag}: cannot run {command[0]}: {error}") from error
    last_output = [time.monotonic()]
    silent = threading.Event()
    finished = threading.Event()

    def watchdog() -> None:
        while not finished.wait(1.0):
            if time.monotonic() - last_output[0] > silence_timeout_s:
                silent.set()
                process.kill()
                return

    watcher = threading.Thread(target=watchdog, name="dockform-build-watchdog", daemon=True)
    watcher.start()
    try:
        for line in _lines(process.stdout):
            last_output[0] = time.monotonic()
            log.debug("%s: %s", tag, line)
            progress.feed(line)
        status = process.wait()
    finally:
        finished.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    if silent.is_set():
        raise ImageBuildFailed(
            f"build of {tag} ({BUILDKIT}) printed nothing for {silence_timeout_s:.0f} s and "
            "was stopped\n" + progress.failure(tag, dockerfile_text)
        )
    if status != 0:
        message = progress.failure(tag, dockerfile_text)
        if "Cannot connect to the Docker daemon" in message or "connection refused" in message:
            raise RuntimeUnavailable(message)
        raise ImageBuildFailed(message)


def _lines(stream: Iterable[str] | None) -> Iterable[str]:
    if stream is None:
        return
    for line in stream:
        yield line.rstrip("\n")
