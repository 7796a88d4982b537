"""Issue 12 item 1 on the real dockerd: a Container with the new Engine settings is created
with each one in the Engine's own field (checked with the docker SDK), and host-level settings
are refused by a daemon that does not allow host access, naming each field."""

from __future__ import annotations

import secrets

import docker
import pytest

from dockform.api.client import ClientError
from tests.integration.engine.conftest import Daemon

pytestmark = pytest.mark.integration


def settings_yaml(p: str, image: str, subnet: str, address: str) -> str:
    return f"""
apiVersion: dockform/v1
kind: Network
metadata: {{name: {p}-net}}
spec: {{subnet: {subnet}}}
---
apiVersion: dockform/v1
kind: Container
metadata: {{name: {p}-box}}
spec:
  image: {image}
  command: ["sleep", "600"]
  hostname: box
  domainname: example.internal
  capAdd: [NET_BIND_SERVICE]
  capDrop: [MKNOD]
  ulimits: {{nofile: {{soft: 1024, hard: 2048}}, core: 0}}
  shmSize: 128Mi
  tmpfs: {{/run: "size=1m"}}
  readOnly: true
  init: true
  stopSignal: SIGQUIT
  extraHosts: ["db.local:10.1.2.3"]
  dns: [10.1.2.53]
  dnsSearch: [example.internal]
  dnsOptions: ["ndots:2"]
  sysctls: {{net.ipv4.ip_unprivileged_port_start: 80}}
  securityOpt: [no-new-privileges]
  pidsLimit: 64
  groupAdd: ["1234"]
  logging: {{driver: json-file, options: {{max-size: 1m}}}}
  oomScoreAdj: 100
  networks:
    - {{name: {p}-net, aliases: [box-alias], ipv4Address: {address}}}
  stopGracePeriod: 1s
"""


def test_engine_settings_reach_the_engines_fields(
    daemon: Daemon, unique: str, docker_client: docker.DockerClient, busybox_image: str
) -> None:
    second, third = 150 + secrets.randbelow(50), secrets.randbelow(256)
    subnet, address = f"10.{second}.{third}.0/24", f"10.{second}.{third}.42"
    daemon.client.apply(settings_yaml(unique, busybox_image, subnet, address))
    daemon.wait_phase("Container", f"{unique}-box", "Running", timeout_s=60)

    attrs = docker_client.api.inspect_container(f"{unique}-box")
    config, host = attrs["Config"], attrs["HostConfig"]
    assert (config["Hostname"], config["Domainname"]) == ("box", "example.internal")
    assert config["StopSignal"] == "SIGQUIT"
    assert host["CapAdd"] == ["NET_BIND_SERVICE"] and host["CapDrop"] == ["MKNOD"]
    assert sorted(host["Ulimits"], key=lambda limit: limit["Name"]) == [
        {"Name": "core", "Soft": 0, "Hard": 0},
        {"Name": "nofile", "Soft": 1024, "Hard": 2048},
    ]
    assert host["ShmSize"] == 128 * 1024**2
    assert host["Tmpfs"] == {"/run": "size=1m"}
    assert host["ReadonlyRootfs"] is True
    assert host["Init"] is True
    assert host["ExtraHosts"] == ["db.local:10.1.2.3"]
    assert host["Dns"] == ["10.1.2.53"]
    assert host["DnsSearch"] == ["example.internal"]
    assert host["DnsOptions"] == ["ndots:2"]
    assert host["Sysctls"] == {"net.ipv4.ip_unprivileged_port_start": "80"}
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["PidsLimit"] == 64
    assert host["GroupAdd"] == ["1234"]
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert host["OomScoreAdj"] == 100
    endpoint = attrs["NetworkSettings"]["Networks"][f"{unique}-net"]
    assert "box-alias" in endpoint["Aliases"] and f"{unique}-box" in endpoint["Aliases"]
    assert endpoint["IPAMConfig"]["IPv4Address"] == address
    assert endpoint["IPAddress"] == address

    # The settings act inside the container too.
    container = docker_client.containers.get(f"{unique}-box")
    _, output = container.exec_run(
        [
            "sh",
            "-c",
            "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; hostname; "
            "grep db.local /etc/hosts; touch /ro 2>&1; ulimit -n",
        ]
    )
    lines = output.decode().splitlines()
    assert lines[0] == "80" and lines[1] == "box"
    assert "10.1.2.3" in lines[2] and "db.local" in lines[2]
    assert "Read-only file system" in lines[3]
    assert lines[4] == "1024"

    status = daemon.resource("Container", f"{unique}-box")
    assert status is not None
    assert status["status"]["observed"]["addresses"] == {f"{unique}-net": address}

    daemon.client.delete("containers", f"{unique}-box")
    daemon.wait_gone("Container", f"{unique}-box")
    daemon.client.delete("networks", f"{unique}-net")
    daemon.wait_gone("Network", f"{unique}-net")


def test_host_level_settings_are_refused_without_host_access(
    daemon: Daemon, unique: str, busybox_image: str
) -> None:
    manifest = f"""apiVersion: dockform/v1
kind: Container
metadata: {{name: {unique}-host}}
spec:
  image: {busybox_image}
  capAdd: [CHOWN, SYS_ADMIN]
  devices: [/dev/fuse]
  gpus: all
  securityOpt: [seccomp=unconfined]
  sysctls: {{net.core.somaxconn: 1024, kernel.domainname: x}}
"""
    with pytest.raises(ClientError) as refused:
        daemon.client.apply(manifest)
    assert refused.value.status == 403
    assert [issue["path"] for issue in refused.value.issues] == [
        "spec.capAdd[1]",
        "spec.devices[0]",
        "spec.gpus",
        "spec.securityOpt[0]",
        "spec.sysctls.kernel.domainname",
    ]
    assert "--allow-host-access" in refused.value.message
    assert daemon.resource("Container", f"{unique}-host") is None
