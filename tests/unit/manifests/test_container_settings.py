"""Container Engine settings in manifests: validation with clear errors, the spec hash (only
set fields count, so an upgrade recreates nothing) and the host-access policy."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dockform.manifests import engine_settings as engine
from dockform.manifests.hashing import hashed_spec, spec_hash
from dockform.manifests.loader import load_text
from dockform.manifests.models import ContainerSpec
from dockform.manifests.policy import host_access_issues

# A spec using the fields that existed before the Engine settings, and its hash as the
# release before them computed it: the upgrade must not change it (no container recreated).
OLD_SPEC: dict[str, Any] = {
    "image": "web:1",
    "command": ["httpd"],
    "env": {"A": "1"},
    "ports": [{"containerPort": 80}],
    "networks": ["front", "back"],
    "volumes": [{"volume": "data", "mountPath": "/data"}],
    "healthcheck": {"command": ["true"]},
    "resources": {"memory": "64Mi"},
    "labels": {"a": "b"},
}
OLD_HASH = "a3a0f5a195f919937641935fe3cc3ecdced237bfdb023cbcee04d75059c4147f"


def spec(**fields: Any) -> ContainerSpec:
    return ContainerSpec.model_validate({"image": "web:1", **fields})


def error_of(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        spec(**fields)
    return str(caught.value)


def test_an_old_spec_hashes_as_it_did_before_the_new_fields() -> None:
    assert spec_hash("Container", OLD_SPEC) == OLD_HASH
    # The stored form (every default written out) hashes the same too.
    stored = ContainerSpec.model_validate(OLD_SPEC).dump()
    assert "restartOnUnhealthy" in stored
    assert spec_hash("Container", stored) == OLD_HASH


def test_new_fields_written_at_their_defaults_change_no_hash() -> None:
    defaults = {
        "capAdd": [],
        "capDrop": [],
        "ulimits": {},
        "tmpfs": {},
        "readOnly": False,
        "devices": [],
        "extraHosts": [],
        "dns": [],
        "dnsSearch": [],
        "dnsOptions": [],
        "sysctls": {},
        "securityOpt": [],
        "groupAdd": [],
        "restartOnUnhealthy": True,
        "networks": [{"name": "front"}, "back"],
    }
    assert spec_hash("Container", {**OLD_SPEC, **defaults}) == OLD_HASH


@pytest.mark.parametrize(
    "field",
    [
        {"hostname": "db"},
        {"capAdd": ["CHOWN"]},
        {"ulimits": {"nofile": 1024}},
        {"shmSize": "256Mi"},
        {"tmpfs": ["/run"]},
        {"readOnly": True},
        {"init": False},
        {"stopSignal": "SIGQUIT"},
        {"pidsLimit": 100},
        {"logging": {"driver": "json-file"}},
        {"oomScoreAdj": 0},
        {"networks": [{"name": "front", "aliases": ["db"]}, "back"]},
        {"restartOnUnhealthy": False},
    ],
)
def test_each_set_field_is_in_the_hash(field: dict[str, Any]) -> None:
    assert spec_hash("Container", {**OLD_SPEC, **field}) != OLD_HASH
    assert set(field) <= set(hashed_spec("Container", {**OLD_SPEC, **field}))


def test_capabilities_are_normalised_and_unknown_ones_refused() -> None:
    assert spec(capAdd=["cap_net_bind_service", "CHOWN"]).cap_add == ["NET_BIND_SERVICE", "CHOWN"]
    assert spec(capDrop=["all"]).cap_drop == ["ALL"]
    message = error_of(capAdd=["NET_BIND"])
    assert "capAdd" in message and "unknown capability 'NET_BIND'" in message


@pytest.mark.parametrize(
    ("ulimits", "words"),
    [
        ({"nofiles": 10}, "unknown ulimit 'nofiles'"),
        ({"nofile": {"soft": 10}}, "hard"),
        ({"nofile": {"soft": 20, "hard": 10}}, "soft 20 is above hard 10"),
        ({"nofile": -5}, "below -1"),
        ({"nofile": "lots"}, "nofile"),
    ],
)
def test_malformed_ulimits_are_refused(ulimits: dict[str, Any], words: str) -> None:
    assert words in error_of(ulimits=ulimits)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"sysctls": {"Net.Core": "1"}}, "sysctl name 'Net.Core'"),
        ({"sysctls": {"somaxconn": "1"}}, "sysctl name 'somaxconn'"),
        ({"dns": ["8.8.8"]}, "'8.8.8' is not an IP address"),
        ({"networks": [{"name": "a", "ipv4Address": "10.0.0.300"}]}, "not an IP address"),
        ({"networks": [{"name": "a", "ipv4Address": "fd00::5"}]}, "not an IPv4 address"),
        ({"networks": [{"name": "a", "ipv6Address": "10.0.0.5"}]}, "not an IPv6 address"),
        ({"extraHosts": ["db.local"]}, "must look like hostname:ip"),
        ({"extraHosts": ["db.local:somewhere"]}, "'somewhere' is not an IP address"),
        ({"devices": ["dev/ttyUSB0"]}, "absolute paths"),
        ({"devices": ["/dev/ttyUSB0:/dev/ttyUSB0:rwx"]}, "letters of rwm"),
        ({"securityOpt": ["no-new-privs"]}, "securityOpt 'no-new-privs'"),
        ({"gpus": {"count": 1, "deviceIds": ["0"]}}, "count or deviceIds, not both"),
        ({"gpus": 0}, "gpus"),
        ({"shmSize": "64 megs"}, "shmSize"),
        ({"hostname": "web_1"}, "hostname"),
        ({"stopSignal": "sigterm"}, "stopSignal"),
        ({"oomScoreAdj": 1001}, "oomScoreAdj"),
        ({"tmpfs": ["run"]}, "tmpfs"),
        ({"logging": {"options": {"max-size": "1m"}}}, "driver"),
        ({"hostNetwork": True, "networks": [{"name": "a", "aliases": ["x"]}]}, "hostNetwork"),
    ],
)
def test_bad_values_get_clear_errors(fields: dict[str, Any], words: str) -> None:
    assert words in error_of(**fields)


def test_good_values_load() -> None:
    loaded = spec(
        extraHosts=["db.local:10.0.0.5", "v6:fd00::1", "gw:host-gateway"],
        devices=["/dev/ttyUSB0", "/dev/a:/dev/b:r", {"hostPath": "/dev/c"}],
        gpus={"count": "all", "capabilities": ["gpu", "compute"]},
        sysctls={"net.ipv4.ip_unprivileged_port_start": 0, "kernel.shmmax": "1024"},
        securityOpt=["no-new-privileges", "seccomp=unconfined"],
        tmpfs={"/run": "size=64m,mode=1777"},
        networks=["a", {"name": "b", "aliases": ["db"], "ipv6Address": "fd00::5"}],
        ulimits={"nofile": {"soft": 1024, "hard": 4096}, "core": -1},
        groupAdd=["audio", "1000"],
        dnsOptions=["ndots:2", "edns0"],
        platform="linux/arm64/v8",
    )
    assert loaded.network_names() == ["a", "b"]
    assert spec(networks=[{"name": "a"}]).networks == ["a"]


def issues_of(spec_yaml: str) -> list[tuple[str, str]]:
    text = (
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\n"
        f"spec:\n  image: busybox\n{spec_yaml}"
    )
    found = host_access_issues(load_text(text, "web.yaml"), {"web.yaml": text})
    return [(issue.path, issue.message) for issue in found]


def test_host_level_settings_are_refused_naming_each_field() -> None:
    found = issues_of(
        "  capAdd: [CHOWN, SYS_ADMIN, net_admin, NET_BIND_SERVICE, ALL]\n"
        "  devices: [/dev/fuse]\n"
        "  gpus: all\n"
        "  securityOpt: [no-new-privileges, seccomp=unconfined, apparmor=unconfined, "
        "label=disable]\n"
        "  sysctls: {net.core.somaxconn: 1024, kernel.shmmax: 1, kernel.domainname: x, "
        "vm.swappiness: 10}\n"
    )
    paths = [path for path, _ in found]
    assert paths == [
        "spec.capAdd[1]",
        "spec.capAdd[2]",
        "spec.capAdd[4]",
        "spec.devices[0]",
        "spec.gpus",
        "spec.securityOpt[1]",
        "spec.securityOpt[2]",
        "spec.securityOpt[3]",
        "spec.sysctls.kernel.domainname",
        "spec.sysctls.vm.swappiness",
    ]
    messages = dict(found)
    assert "SYS_ADMIN" in messages["spec.capAdd[1]"]
    assert "--allow-host-access" in messages["spec.capAdd[1]"]
    assert "seccomp" in messages["spec.securityOpt[1]"]
    assert "not namespaced" in messages["spec.sysctls.vm.swappiness"]


def test_container_scoped_settings_are_not_host_access() -> None:
    assert (
        issues_of(
            "  capAdd: [CHOWN, NET_BIND_SERVICE]\n  capDrop: [ALL]\n"
            "  securityOpt: [no-new-privileges]\n"
            "  sysctls: {net.ipv4.ip_unprivileged_port_start: 0, kernel.msgmax: 1, "
            "fs.mqueue.queues_max: 1}\n"
        )
        == []
    )


def test_net_sysctls_with_host_network_are_the_hosts() -> None:
    found = issues_of("  hostNetwork: true\n  sysctls: {net.core.somaxconn: 1024}\n")
    assert [path for path, _ in found] == ["spec.hostNetwork", "spec.sysctls.net.core.somaxconn"]


def _reads_as_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(
    st.one_of(
        st.ip_addresses().map(str),
        st.text(alphabet="0123456789abcdefABCDEF:.%/x", max_size=45),
        st.from_regex(engine.IP_PATTERN, fullmatch=True),
    )
)
def test_the_ip_pattern_admits_exactly_what_ipaddress_reads(text: str) -> None:
    # The schema states IP addresses (dns, extraHosts, ipv4Address...) with this pattern.
    assert (re.fullmatch(engine.IP_PATTERN, text) is not None) == _reads_as_ip(text), text
