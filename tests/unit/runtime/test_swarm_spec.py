"""The Swarm driver's pure parts: ContainerCreate -> ServiceSpec, and service + tasks ->
ContainerInfo, without a swarm."""

from __future__ import annotations

import pytest

from dockform.runtime._swarm_convert import content_ids, service_info, service_state
from dockform.runtime._swarm_spec import REPLICAS_LABEL, ContentRef, content_name, service_spec
from dockform.runtime.errors import InvalidRequest
from dockform.runtime.types import (
    ContainerCreate,
    HealthcheckConfig,
    Mount,
    NetworkEndpoint,
    PortBinding,
)


def request(**fields: object) -> ContainerCreate:
    return ContainerCreate(name="web", image="app:1", labels={"a": "b"}, **fields)  # type: ignore[arg-type]


def test_a_container_becomes_a_replicated_service_created_with_no_replica() -> None:
    spec = service_spec(
        request(
            command=("serve",),
            entrypoint=("/bin/app",),
            env={"B": "2", "A": "1"},
            working_dir="/srv",
            user="1000",
            restart_policy="on-failure",
            nano_cpus=500_000_000,
            memory_bytes=64,
            networks=("back",),
            network_aliases=("web",),
            network_endpoints=(NetworkEndpoint("back", aliases=("api",)),),
            mounts=(
                Mount(target="/data", source="vol", type="volume"),
                Mount(target="/tmp", source="", type="tmpfs", tmpfs_size_bytes=1024),
            ),
            healthcheck=HealthcheckConfig(("CMD", "true"), 1, 2, 3, 4),
            replicas=3,
        ),
        {"a": "b", "dockform.test": "1"},
        "registry:5000/app:1",
    )
    task = spec["TaskTemplate"]
    container = task["ContainerSpec"]
    assert spec["Name"] == "web"
    assert spec["Mode"] == {"Replicated": {"Replicas": 0}}
    assert spec["Labels"] == {"a": "b", "dockform.test": "1", REPLICAS_LABEL: "3"}
    assert container["Labels"] == {"a": "b", "dockform.test": "1"}
    assert container["Image"] == "registry:5000/app:1"
    assert container["Command"] == ["/bin/app"] and container["Args"] == ["serve"]
    assert container["Env"] == ["A=1", "B=2"]
    assert (container["Dir"], container["User"]) == ("/srv", "1000")
    assert container["Healthcheck"] == {
        "Test": ["CMD", "true"],
        "Interval": 1,
        "Timeout": 2,
        "Retries": 3,
        "StartPeriod": 4,
    }
    assert container["Mounts"] == [
        {"Type": "volume", "Target": "/data", "ReadOnly": False, "Source": "vol"},
        {"Type": "tmpfs", "Target": "/tmp", "ReadOnly": False, "TmpfsOptions": {"SizeBytes": 1024}},
    ]
    assert task["RestartPolicy"]["Condition"] == "on-failure"
    assert task["Resources"] == {"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 64}}
    assert task["Networks"] == [{"Target": "back", "Aliases": ["web", "api"]}]
    assert spec["EndpointSpec"] == {"Mode": "dnsrr", "Ports": []}


@pytest.mark.parametrize(
    ("policy", "condition"),
    [("no", "none"), ("always", "any"), ("unless-stopped", "any"), ("on-failure", "on-failure")],
)
def test_restart_policies_become_swarm_conditions(policy: str, condition: str) -> None:
    spec = service_spec(request(restart_policy=policy), {}, "app:1")
    assert spec["TaskTemplate"]["RestartPolicy"]["Condition"] == condition


def test_ports_on_an_address_are_host_mode_and_on_every_address_ingress() -> None:
    spec = service_spec(
        request(
            ports=(
                PortBinding(80, "tcp", "127.0.0.1", 8080),
                PortBinding(53, "udp", "0.0.0.0", None),
            )
        ),
        {},
        "app:1",
    )
    assert spec["EndpointSpec"] == {
        "Mode": "vip",
        "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "host", "PublishedPort": 8080},
            {"Protocol": "udp", "TargetPort": 53, "PublishMode": "ingress"},
        ],
    }


def test_settings_a_service_cannot_carry_are_refused_by_name() -> None:
    with pytest.raises(InvalidRequest, match="privileged, hostPID"):
        service_spec(request(privileged=True, host_pid=True), {}, "app:1")


def _service(replicas: int) -> dict[str, object]:
    return {
        "ID": "s1",
        "Spec": {
            "Name": "web",
            "Labels": {"a": "b"},
            "Mode": {"Replicated": {"Replicas": replicas}},
            "TaskTemplate": {"ContainerSpec": {"Image": "app:1@sha256:abc"}},
        },
    }


def _task(state: str, desired: str, created: str, exit_code: int = 0, err: str = "") -> dict:  # type: ignore[type-arg]
    return {
        "CreatedAt": created,
        "NodeID": "n1",
        "DesiredState": desired,
        "Status": {
            "State": state,
            "Err": err,
            "Timestamp": created,
            "ContainerStatus": {"ContainerID": f"c-{created}", "ExitCode": exit_code},
        },
    }


def test_service_states_from_tasks() -> None:
    assert service_state(_service(0), []) == "created"
    assert service_state(_service(1), [_task("running", "running", "1")]) == "running"
    assert service_state(_service(0), [_task("shutdown", "shutdown", "1")]) == "exited"
    assert service_state(_service(1), [_task("preparing", "running", "1")]) == "starting"
    crashing = [_task("failed", "shutdown", "1", 2), _task("pending", "running", "2")]
    assert service_state(_service(1), crashing) == "restarting"
    finished = [_task("complete", "shutdown", "1")]
    assert service_state(_service(1), finished) == "exited"


def test_service_info_lists_tasks_newest_first_with_errors() -> None:
    tasks = [
        _task("failed", "shutdown", "2026-01-01T00:00:01", 3, "task: non-zero exit (3)"),
        _task("complete", "shutdown", "2026-01-01T00:00:00"),
    ]
    info = service_info(_service(1), tasks, {}, {"n1": "node-a"}, None)
    assert info.state == "exited" and info.exit_code == 3
    assert info.image_id == "app:1"
    assert [(task.node, task.state, task.error) for task in info.tasks] == [
        ("node-a", "failed", "task: non-zero exit (3)"),
        ("node-a", "complete", None),
    ]


def test_a_task_of_a_lost_node_is_listed_first() -> None:
    # Shut down by Swarm, still running as far as it knows: its node went down.
    lost = {**_task("running", "shutdown", "2026-01-01T00:00:00"), "NodeID": "n3"}
    tasks = [
        lost,
        *(_task("running", "running", f"2026-01-01T00:00:0{i}") for i in (3, 4, 5)),
        _task("shutdown", "shutdown", "2026-01-01T00:00:02"),
    ]
    info = service_info(_service(3), tasks, {}, {"n1": "node-1", "n3": "node-3"}, None)
    assert [(task.node, task.state, task.desired_state) for task in info.tasks][:2] == [
        ("node-3", "running", "shutdown"),
        ("node-1", "running", "running"),
    ]
    assert info.state == "running" and info.running_replicas == 3


def test_a_job_is_a_replicated_job_that_starts_at_creation() -> None:
    spec = service_spec(request(restart_policy="no"), {}, "app:1", job=True)
    assert spec["Mode"] == {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}
    job = {**_service(0), "Spec": {**_service(0)["Spec"], "Mode": spec["Mode"]}}  # type: ignore[dict-item]
    assert service_state(job, []) == "starting"
    assert service_state(job, [_task("running", "complete", "1")]) == "running"
    assert service_state(job, [_task("complete", "complete", "1")]) == "exited"


def test_secret_and_config_files_become_swarm_secrets_and_configs_not_binds() -> None:
    files = (
        Mount(target="/run/pw", source="/dev/shm/x/0-pw", type="bind", content="secret"),
        Mount(target="/etc/app.conf", source="/h/1-conf", type="bind", content="config"),
        Mount(target="/data", source="vol", type="volume"),
    )
    refs = (
        ContentRef("secret", "s1", "web.0-pw.aaaa", "/run/pw", 0, 0, 0o400),
        ContentRef("config", "c1", "web.1-conf.bbbb", "/etc/app.conf", 1000, 1000, 0o444),
    )
    container = service_spec(request(mounts=files), {}, "app:1", contents=refs)["TaskTemplate"][
        "ContainerSpec"
    ]
    assert [mount["Target"] for mount in container["Mounts"]] == ["/data"]
    assert container["Secrets"] == [
        {
            "File": {"Name": "/run/pw", "UID": "0", "GID": "0", "Mode": 0o400},
            "SecretID": "s1",
            "SecretName": "web.0-pw.aaaa",
        }
    ]
    assert container["Configs"][0]["ConfigID"] == "c1"
    assert container["Configs"][0]["File"]["UID"] == "1000"
    # The spec and the previous spec (a rollback's) both keep theirs.
    service = {
        "Spec": {"TaskTemplate": {"ContainerSpec": container}},
        "PreviousSpec": {"TaskTemplate": {"ContainerSpec": {"Secrets": [{"SecretID": "s0"}]}}},
    }
    assert content_ids(service) == {"s1", "c1", "s0"}
    assert content_ids({"Spec": {}}) == set()


def test_content_names_carry_the_digest_and_fit_swarm() -> None:
    digest = "0123456789abcdef" * 4
    assert content_name("shop_web", "/dev/shm/d/0-db-password", digest) == (
        "shop_web.0-db-password.0123456789ab"
    )
    long = content_name("n" * 80, "/x/0-key", digest)
    assert len(long) == 64 and long.endswith(".0123456789ab") and long[0] == "n"
    assert content_name("web", "/x/0-a b", digest) == "web.0-a-b.0123456789ab"


def test_a_named_volume_carries_its_driver_and_options_to_other_nodes() -> None:
    from dockform.runtime.types import VolumeInfo

    data = VolumeInfo(
        name="shop_data",
        labels={"io.dockform.managed": "true"},
        driver="local",
        driver_opts={"type": "tmpfs", "device": "tmpfs"},
        mountpoint=None,
    )
    mounts = (
        Mount(target="/data", source="shop_data", type="volume"),
        Mount(target="/cache", source="other", type="volume"),
    )
    spec = service_spec(request(mounts=mounts), {}, "app:1", volumes={"shop_data": data})
    made = spec["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert made[0]["VolumeOptions"] == {
        "Labels": {"io.dockform.managed": "true"},
        "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs", "device": "tmpfs"}},
    }
    assert "VolumeOptions" not in made[1]  # not on the manager: Swarm's defaults
