"""Issue 12 item 3 on the real dockerd: Jobs run to completion once per generation, fail after
backoffLimit retries, re-run on a changed spec and never on a daemon restart, lose their
container to ttlAfterFinished and keep their result; Containers wait for them with
`dependsOn: {kind: Job}`, and `dependsOn: Started` holds for a container that ran and exited."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.engine.conftest import (
    Daemon,
    EventRecorder,
    start_daemon,
    teardown_daemon,
)

pytestmark = pytest.mark.integration


def job_yaml(name: str, image: str, command: str, **extra: Any) -> str:
    lines = [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(
        [
            "apiVersion: dockform/v1",
            "kind: Job",
            f"metadata: {{name: {name}}}",
            "spec:",
            f"  image: {image}",
            f"  command: [sh, -c, {command!r}]",
            "  stopGracePeriod: 1s",
            *lines,
        ]
    )


def container_yaml(name: str, image: str, *depends: str, **extra: Any) -> str:
    lines = [f"  {key}: {value}" for key, value in extra.items()]
    if depends:
        lines.append(f"  dependsOn: [{', '.join(depends)}]")
    return "\n".join(
        [
            "apiVersion: dockform/v1",
            "kind: Container",
            f"metadata: {{name: {name}}}",
            "spec:",
            f"  image: {image}",
            "  stopGracePeriod: 1s",
            *lines,
        ]
    )


def docs(*documents: str) -> str:
    return "\n---\n".join(documents) + "\n"


def observed(item: dict[str, Any]) -> dict[str, Any]:
    return dict(item["status"]["observed"])


def moment(text: str) -> datetime:
    # The engine writes nanoseconds; Python reads microseconds.
    head, _, rest = text.partition(".")
    fraction = "".join(ch for ch in rest if ch.isdigit())[:6]
    return datetime.fromisoformat(f"{head}.{fraction or '0'}+00:00")


def events_of(daemon: Daemon, kind: str, name: str) -> list[dict[str, Any]]:
    return daemon.client.events(kind=kind, name=name, limit=100)


def present(docker_client: docker.DockerClient, name: str) -> bool:
    """Whether Docker has a container of this exact name (a list, no inspect: no race)."""
    return bool(docker_client.api.containers(all=True, filters={"name": f"^/{name}$"}))


def wait_reason(daemon: Daemon, kind: str, name: str, reason: str) -> dict[str, Any]:
    return daemon.wait_for(
        f"{kind}/{name} reason {reason}",
        lambda: (
            (item := daemon.resource(kind, name)) and item["status"]["reason"] == reason and item
        ),
    )


def delete_all(daemon: Daemon, *targets: tuple[str, str]) -> None:
    for kinds, name in targets:
        daemon.client.delete(kinds, name)
    for kinds, name in targets:
        daemon.wait_gone(kinds, name)


@pytest.fixture()
def own_daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A daemon of this test alone on SQLite (the test restarts it)."""
    running = start_daemon(tmp_path / "home")
    yield running
    teardown_daemon(running)


def test_a_job_succeeds_and_its_dependent_starts_after_it(
    daemon: Daemon, unique: str, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    job, web = f"{unique}-init", f"{unique}-web"
    daemon.client.apply(
        docs(
            job_yaml(job, busybox_image, "echo preparing; sleep 2; echo schema ready"),
            container_yaml(
                web, busybox_image, f"{{name: {job}, kind: Job}}", command="[sleep, '600']"
            ),
        )
    )
    waiting = wait_reason(daemon, "Container", web, "Waiting")
    assert waiting["status"]["phase"] == "Pending"
    assert f"Job/{job} to complete" in waiting["status"]["message"]

    done = daemon.wait_phase("Job", job, "Succeeded", ready=True)
    facts = observed(done)
    assert facts["exitCode"] == 0 and facts["attempts"] == 1 and facts["result"] == "Succeeded"
    assert facts["outputTail"] == ["preparing", "schema ready"]
    assert facts["completedGeneration"] == 1 and facts["completedImageId"].startswith("sha256:")
    assert facts["startedAt"] and facts["finishedAt"]

    daemon.wait_phase("Container", web, "Running")
    created = docker_client.api.inspect_container(web)["Created"]
    assert moment(created) >= moment(facts["finishedAt"])

    reasons = [event["reason"] for event in events_of(daemon, "Job", job)]
    assert "Completed" in reasons
    described = daemon.cli("describe", f"job/{job}")
    assert described.returncode == 0, described.stderr
    assert "schema ready" in described.stdout and "Succeeded" in described.stdout
    listed = daemon.cli("get", "jobs")
    assert job in listed.stdout and "Succeeded" in listed.stdout
    logs = daemon.cli("logs", f"job/{job}")
    assert logs.returncode == 0 and "schema ready" in logs.stdout, logs.stderr

    delete_all(daemon, ("containers", web), ("jobs", job))
    assert not present(docker_client, job)


def test_a_failing_job_fails_after_backoff_limit_retries(
    daemon: Daemon, unique: str, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    job = f"{unique}-bad"
    daemon.client.apply(
        docs(job_yaml(job, busybox_image, "echo cannot reach db; exit 3", backoffLimit=2))
    )
    retrying = daemon.wait_for(
        "a BackOff status",
        lambda: (
            (item := daemon.resource("Job", job)) and item["status"]["reason"] == "BackOff" and item
        ),
        timeout_s=60,
    )
    assert retrying["status"]["phase"] == "Running" and retrying["status"]["nextRetryAt"]
    # 10 s after the first attempt, 20 s after the second.
    failed = daemon.wait_phase("Job", job, "Failed", timeout_s=120)
    facts = observed(failed)
    assert facts["attempts"] == 3 and facts["exitCode"] == 3 and facts["result"] == "Failed"
    assert facts["outputTail"] == ["cannot reach db"]
    assert failed["status"]["reason"] == "BackoffLimitExceeded"
    assert "attempt 3 of 3 exited with code 3" in failed["status"]["message"]

    found = events_of(daemon, "Job", job)
    backoffs = [event for event in found if event["reason"] == "BackOff"]
    assert len(backoffs) == 2
    assert all("last output: cannot reach db" in event["message"] for event in backoffs)
    final = [event for event in found if event["reason"] == "BackoffLimitExceeded"]
    assert len(final) == 1 and "exited with code 3" in final[0]["message"]
    described = daemon.cli("describe", f"job/{job}")
    assert "cannot reach db" in described.stdout and "BackoffLimitExceeded" in described.stdout

    # Failed stays Failed: a resync does not run it again.
    container_id = facts["containerId"]
    time.sleep(6)
    assert observed(daemon.resource("Job", job) or {})["containerId"] == container_id
    delete_all(daemon, ("jobs", job))
    assert not present(docker_client, job)


def test_a_changed_spec_reruns_and_a_daemon_restart_does_not(
    own_daemon: Daemon,
    unique: str,
    busybox_image: str,
    docker_client: docker.DockerClient,
    tmp_path: Path,
) -> None:
    job = f"{unique}-once"
    daemon = own_daemon
    daemon.client.apply(docs(job_yaml(job, busybox_image, "echo run one")))
    first = observed(daemon.wait_phase("Job", job, "Succeeded"))

    daemon.stop()
    recorder = EventRecorder(docker_client, daemon)
    restarted = start_daemon(daemon.home)
    try:
        time.sleep(7)  # the start-up pass and a resync (every 5 s)
        again = observed(restarted.wait_phase("Job", job, "Succeeded"))
        assert again["containerId"] == first["containerId"]
        assert again["finishedAt"] == first["finishedAt"]
        assert recorder.collect() == []

        restarted.client.apply(docs(job_yaml(job, busybox_image, "echo run two")))
        rerun = restarted.wait_for(
            "the second run",
            lambda: (
                (item := restarted.resource("Job", job))
                and observed(item).get("completedGeneration") == 2
                and item
            ),
        )
        facts = observed(rerun)
        assert rerun["status"]["phase"] == "Succeeded"
        assert facts["containerId"] != first["containerId"]
        assert facts["outputTail"] == ["run two"] and facts["attempts"] == 1
    finally:
        daemon.process = restarted.process  # the fixture tears the live one down
        daemon.client.close()
        daemon.client = restarted.client


def test_ttl_removes_the_container_and_the_job_and_its_dependent_stay(
    daemon: Daemon, unique: str, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    job, web = f"{unique}-seed", f"{unique}-app"
    dependency = f"{{name: {job}, kind: Job, condition: Completed}}"
    daemon.client.apply(
        docs(
            job_yaml(job, busybox_image, "echo seeded", ttlAfterFinished="2s"),
            container_yaml(web, busybox_image, dependency, command="[sleep, '600']"),
        )
    )
    daemon.wait_phase("Job", job, "Succeeded")
    daemon.wait_phase("Container", web, "Running")
    daemon.wait_for(
        "the job's container removed",
        lambda: not present(docker_client, job),
        timeout_s=30,
    )
    kept = daemon.wait_for(
        "the job to say its container went",
        lambda: (
            (item := daemon.resource("Job", job))
            and observed(item).get("containerRemoved")
            and item
        ),
    )
    assert kept["status"]["phase"] == "Succeeded"
    assert observed(kept)["outputTail"] == ["seeded"]
    assert "Removed" in [event["reason"] for event in events_of(daemon, "Job", job)]
    web_id = docker_client.api.inspect_container(web)["Id"]

    # A changed dependent is made again: it depends on the recorded success.
    daemon.client.apply(
        docs(
            job_yaml(job, busybox_image, "echo seeded", ttlAfterFinished="2s"),
            container_yaml(
                web, busybox_image, dependency, command="[sleep, '600']", env="{V: '2'}"
            ),
        )
    )
    daemon.wait_for(
        "the dependent replaced",
        lambda: (
            (item := daemon.resource("Container", web))
            and item["status"]["phase"] == "Running"
            and item["status"]["observedGeneration"] == 2
            and observed(item)["containerId"] != web_id
        ),
    )
    logs = daemon.cli("logs", f"job/{job}")
    assert logs.returncode != 0 and "outputTail" in logs.stderr
    time.sleep(6)  # a resync later: the job did not run again
    assert not present(docker_client, job)
    delete_all(daemon, ("containers", web), ("jobs", job))


def test_a_job_that_never_exits_stays_running_and_its_dependent_waits(
    daemon: Daemon, unique: str, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    job, web = f"{unique}-forever", f"{unique}-after"
    daemon.client.apply(
        docs(
            job_yaml(job, busybox_image, "echo started; sleep 600"),
            container_yaml(
                web, busybox_image, f"{{name: {job}, kind: Job}}", command="[sleep, '600']"
            ),
        )
    )
    running = daemon.wait_phase("Job", job, "Running")
    assert "attempt 1 of 7 running" in running["status"]["message"]
    time.sleep(6)
    still = daemon.resource("Job", job) or {}
    assert still["status"]["phase"] == "Running"
    waiting = daemon.resource("Container", web) or {}
    assert waiting["status"]["phase"] == "Pending" and waiting["status"]["reason"] == "Waiting"
    assert f"Job/{job} to complete (Running: attempt 1 of 7 running" in waiting["status"]["message"]
    assert not present(docker_client, web)

    # Deleting the Job removes its container.
    delete_all(daemon, ("jobs", job))
    assert not present(docker_client, job)
    delete_all(daemon, ("containers", web))


def test_started_holds_for_a_container_that_ran_and_exited(
    daemon: Daemon, unique: str, busybox_image: str
) -> None:
    """Before issue 12, a dependent created after such a container exited waited forever."""
    seed, late = f"{unique}-oneshot", f"{unique}-late"
    daemon.client.apply(
        docs(
            container_yaml(
                seed, busybox_image, command="[sh, -c, 'sleep 1']", restartPolicy="Never"
            )
        )
    )
    daemon.wait_phase("Container", seed, "Succeeded")
    daemon.client.apply(
        docs(container_yaml(late, busybox_image, f"{{name: {seed}}}", command="[sleep, '600']"))
    )
    daemon.wait_phase("Container", late, "Running")
    delete_all(daemon, ("containers", late), ("containers", seed))


def test_healthy_waits_for_a_healthy_container_now(
    daemon: Daemon, unique: str, busybox_image: str
) -> None:
    db, app = f"{unique}-db", f"{unique}-api"
    check = "{command: [CMD-SHELL, 'test -f /ready'], interval: 1s, retries: 1, startPeriod: 20s}"
    daemon.client.apply(
        docs(
            container_yaml(
                db,
                busybox_image,
                command="[sh, -c, 'sleep 4; touch /ready; sleep 600']",
                healthcheck=check,
            ),
            container_yaml(
                app, busybox_image, f"{{name: {db}, condition: Healthy}}", command="[sleep, '600']"
            ),
        )
    )
    waiting = wait_reason(daemon, "Container", app, "Waiting")
    assert f"Container/{db} to be Healthy" in waiting["status"]["message"]
    daemon.wait_phase("Container", db, "Running", ready=True, timeout_s=60)
    daemon.wait_phase("Container", app, "Running")
    delete_all(daemon, ("containers", app), ("containers", db))


def test_an_orphaned_job_container_is_garbage_collected(
    own_daemon: Daemon, unique: str, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    """The Job's row removed behind the daemon's back (a manual store edit): its container,
    which no Job owns, goes at the next resync; another Job's stays."""
    daemon = own_daemon
    gone, kept = f"{unique}-gone", f"{unique}-kept"
    daemon.client.apply(
        docs(
            job_yaml(gone, busybox_image, "sleep 600"),
            job_yaml(kept, busybox_image, "sleep 600"),
        )
    )
    daemon.wait_phase("Job", gone, "Running")
    daemon.wait_phase("Job", kept, "Running")
    daemon.stop()
    with sqlite3.connect(daemon.home / "dockform.db") as db:
        db.execute("DELETE FROM resources WHERE name = ?", (gone,))
    restarted = start_daemon(daemon.home)
    daemon.client.close()
    daemon.process, daemon.client = restarted.process, restarted.client
    daemon.wait_for("the orphan collected", lambda: not present(docker_client, gone), 30)
    assert present(docker_client, kept)
    collected = [
        event
        for event in daemon.client.events(kind="Job", name=gone)
        if event["reason"] == "GarbageCollected"
    ]
    assert collected
