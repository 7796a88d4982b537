"""Host-access policy for a Container's Engine settings: capabilities, devices, GPUs,
security options and sysctls that reach past the container to the host.

`manifests.policy.host_access_issues` calls `engine_setting_issues` for each Container and
reports what it finds as it reports `privileged`: refused unless the daemon allows host access,
naming each field. Each check is its own function returning `(field path, why)` pairs. Pure.
"""

from __future__ import annotations

from dockform.manifests.engine_settings import (
    ALL_CAPABILITIES,
    UNCONFINED_SECURITY_OPTS,
    namespaced_sysctl,
)
from dockform.manifests.models import ContainerSpec

Finding = tuple[str, str]

# Capabilities outside Docker's default set that let a container act on the host itself.
HOST_CAPABILITIES: dict[str, str] = {
    ALL_CAPABILITIES: "every capability, as good as privileged",
    "SYS_ADMIN": "mounts, namespaces and most of the kernel's administration",
    "NET_ADMIN": "the network configuration (interfaces, routes, firewall)",
    "SYS_PTRACE": "tracing and reading the memory of processes",
    "SYS_MODULE": "loading kernel modules",
    "SYS_RAWIO": "raw I/O ports and devices",
    "SYS_TIME": "the host's clock",
    "SYS_BOOT": "rebooting the host",
    "SYS_RESOURCE": "overriding the kernel's resource limits",
    "DAC_READ_SEARCH": "reading any file by handle, escaping the container's filesystem",
    "MAC_ADMIN": "the mandatory access control (AppArmor, SELinux) configuration",
    "MAC_OVERRIDE": "bypassing mandatory access control",
    "SYSLOG": "the kernel log and its settings",
    "BPF": "loading BPF programs into the kernel",
    "PERFMON": "performance monitoring of the whole system",
    "LINUX_IMMUTABLE": "changing immutable files",
    "WAKE_ALARM": "waking the host from suspend",
    "BLOCK_SUSPEND": "keeping the host from suspending",
}


def capability_issues(spec: ContainerSpec) -> list[Finding]:
    return [
        (
            f"spec.capAdd[{index}]",
            f"capability {name} gives the container {HOST_CAPABILITIES[name]}",
        )
        for index, name in enumerate(spec.cap_add)
        if name in HOST_CAPABILITIES
    ]


def device_issues(spec: ContainerSpec) -> list[Finding]:
    found = [
        (f"spec.devices[{index}]", "a device gives the container direct access to host hardware")
        for index in range(len(spec.devices))
    ]
    if spec.gpus is not None:
        found.append(("spec.gpus", "GPUs are host devices the container gets direct access to"))
    return found


def security_opt_issues(spec: ContainerSpec) -> list[Finding]:
    return [
        (f"spec.securityOpt[{index}]", f"{option} switches off {UNCONFINED_SECURITY_OPTS[option]}")
        for index, option in enumerate(spec.security_opt)
        if option in UNCONFINED_SECURITY_OPTS
    ]


def sysctl_issues(spec: ContainerSpec) -> list[Finding]:
    found = [
        (f"spec.sysctls.{name}", f"sysctl {name} is not namespaced: it would change the host's")
        for name in spec.sysctls
        if not namespaced_sysctl(name)
    ]
    if spec.host_network:
        # With the host's network namespace even net.* sysctls are the host's own.
        found += [
            (f"spec.sysctls.{name}", f"sysctl {name} with hostNetwork changes the host's network")
            for name in spec.sysctls
            if name.startswith("net.")
        ]
    return found


def engine_setting_issues(spec: ContainerSpec) -> list[Finding]:
    """Every Engine setting of `spec` that reaches the host, as (field path, why)."""
    return [
        *capability_issues(spec),
        *device_issues(spec),
        *security_opt_issues(spec),
        *sysctl_issues(spec),
    ]
