"""`_docker_convert.host_config_settings`: a request's Engine settings as docker-py's
`create_host_config` arguments, checked on the HostConfig JSON docker-py builds from them."""

from __future__ import annotations

import docker.types

from dockform.runtime._docker_convert import host_config_settings
from dockform.runtime.types import ContainerCreate, DeviceMapping, DeviceRequest, Ulimit


def host_config(request: ContainerCreate) -> dict[str, object]:
    return dict(docker.types.HostConfig(version="1.41", **host_config_settings(request)))


def test_every_setting_reaches_its_host_config_field() -> None:
    request = ContainerCreate(
        name="web",
        image="app:1",
        labels={},
        cap_add=("CHOWN",),
        cap_drop=("NET_RAW",),
        ulimits=(Ulimit("nofile", 1024, 2048),),
        shm_size_bytes=1024,
        tmpfs={"/run": "size=1m"},
        read_only=True,
        devices=(DeviceMapping("/dev/fuse", "/dev/fuse", "rwm"),),
        device_requests=(DeviceRequest(count=-1, capabilities=(("gpu",),)),),
        init=True,
        extra_hosts=("db:10.0.0.5",),
        dns=("10.0.0.2",),
        dns_search=("example.internal",),
        dns_options=("ndots:2",),
        sysctls={"net.ipv4.ip_unprivileged_port_start": "0"},
        security_opt=("no-new-privileges",),
        pids_limit=100,
        group_add=("audio",),
        log_driver="json-file",
        log_options={"max-size": "1m"},
        oom_score_adj=-100,
    )
    config = host_config(request)
    assert config["CapAdd"] == ["CHOWN"] and config["CapDrop"] == ["NET_RAW"]
    assert config["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert config["ShmSize"] == 1024
    assert config["Tmpfs"] == {"/run": "size=1m"}
    assert config["ReadonlyRootfs"] is True
    assert config["Devices"] == [
        {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}
    ]
    assert config["DeviceRequests"] == [
        {"Driver": "", "Count": -1, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}}
    ]
    assert config["Init"] is True
    assert config["ExtraHosts"] == ["db:10.0.0.5"]
    assert config["Dns"] == ["10.0.0.2"]
    assert config["DnsSearch"] == ["example.internal"]
    assert config["DnsOptions"] == ["ndots:2"]
    assert config["Sysctls"] == {"net.ipv4.ip_unprivileged_port_start": "0"}
    assert config["SecurityOpt"] == ["no-new-privileges"]
    assert config["PidsLimit"] == 100
    assert config["GroupAdd"] == ["audio"]
    assert config["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert config["OomScoreAdj"] == -100


def test_a_request_without_settings_adds_nothing() -> None:
    assert host_config_settings(ContainerCreate(name="web", image="app:1", labels={})) == {}
