"""The grammar of a Container's Engine settings: capabilities, ulimits, sysctls, addresses.

`manifests.models` validates `ContainerSpec` fields with these checks, so a bad value is refused
at load time with a message naming what is wrong and what is allowed, instead of at container
create time with the Engine's words. `manifests.host_settings` reads the same tables to find
settings that reach the host. Pure: nothing here reads the machine it runs on.
"""

from __future__ import annotations

import ipaddress
import re

# Linux capabilities, as capabilities(7) names them (without the CAP_ prefix), up to 6.x.
LINUX_CAPABILITIES = frozenset(
    {
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
    }
)
ALL_CAPABILITIES = "ALL"

# The resources setrlimit(2) knows, by the names Docker's --ulimit takes.
ULIMIT_NAMES = frozenset(
    {
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    }
)

HOSTNAME_PATTERN = (
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
SIGNAL_PATTERN = r"^((SIG)?[A-Z][A-Z0-9+-]*|[0-9]{1,2})$"
PLATFORM_PATTERN = r"^[a-z0-9_]+(/[a-z0-9_.]+){0,2}$"
LOG_DRIVER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"
_SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(\.[A-Za-z0-9_*-]+)+$")
_DEVICE_PERMISSIONS = re.compile(r"^[rwm]{1,3}$")
# Sysctls the kernel keeps per IPC or network namespace: a container may set them for itself.
_NAMESPACED_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem")
_NAMESPACED_SYSCTL_PREFIXES = ("kernel.shm", "fs.mqueue.", "net.")
# Docker's own name for the host's gateway address in --add-host (Engine 20.10+).
HOST_GATEWAY = "host-gateway"
# securityOpt forms that switch a confinement off, with what each one switches off.
UNCONFINED_SECURITY_OPTS = {
    "seccomp=unconfined": "the seccomp system-call filter",
    "apparmor=unconfined": "the AppArmor profile",
    "label=disable": "SELinux labelling",
    "label:disable": "SELinux labelling",
    "systempaths=unconfined": "the masking of /proc and /sys paths",
}
_SECURITY_OPT = re.compile(
    r"^(no-new-privileges(:(true|false))?|(seccomp|apparmor)[=:].+|label[=:].+"
    r"|systempaths=unconfined|(mask|unmask)=/.*)$"
)


def capability(name: str) -> str:
    """`cap_net_admin` / `CAP_NET_ADMIN` / `NET_ADMIN` -> `NET_ADMIN`; ValueError if unknown."""
    normal = name.strip().upper().removeprefix("CAP_")
    if normal != ALL_CAPABILITIES and normal not in LINUX_CAPABILITIES:
        raise ValueError(
            f"unknown capability {name!r}: use a Linux capability name such as NET_ADMIN or "
            f"CHOWN (capabilities(7), with or without CAP_), or ALL"
        )
    return normal


def check_ulimit_name(name: str) -> str:
    if name not in ULIMIT_NAMES:
        raise ValueError(f"unknown ulimit {name!r}: use one of {', '.join(sorted(ULIMIT_NAMES))}")
    return name


def check_sysctl_name(name: str) -> str:
    if not _SYSCTL_NAME.match(name):
        raise ValueError(
            f"sysctl name {name!r} must be dotted lowercase words such as "
            "net.ipv4.ip_unprivileged_port_start"
        )
    return name


def namespaced_sysctl(name: str) -> bool:
    """Whether the kernel keeps `name` per container (IPC or network namespace), so setting
    it changes nothing on the host."""
    return name in _NAMESPACED_SYSCTLS or name.startswith(_NAMESPACED_SYSCTL_PREFIXES)


def check_ip(address: str, version: int | None = None) -> str:
    """`address` when it is an IP address (of `version` when given), else ValueError."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{address!r} is not an IP address") from None
    if version is not None and parsed.version != version:
        raise ValueError(f"{address!r} is not an IPv{version} address")
    return address


def check_extra_host(entry: str) -> str:
    """`db.local:10.0.0.5`, `v6:::1` or `gateway:host-gateway`; ValueError naming the entry."""
    host, separator, address = entry.partition(":")
    if not separator or not host or not re.match(HOSTNAME_PATTERN, host):
        raise ValueError(f"extra host {entry!r} must look like hostname:ip (db.local:10.0.0.5)")
    if address != HOST_GATEWAY:
        try:
            check_ip(address)
        except ValueError:
            raise ValueError(
                f"extra host {entry!r}: {address!r} is not an IP address or {HOST_GATEWAY}"
            ) from None
    return entry


def check_security_opt(option: str) -> str:
    if not _SECURITY_OPT.match(option):
        raise ValueError(
            f"securityOpt {option!r} must be one of no-new-privileges[:true|false], "
            "seccomp=PROFILE, apparmor=PROFILE, label=..., systempaths=unconfined"
        )
    return option


def parse_device(text: str) -> tuple[str, str, str]:
    """`/dev/ttyUSB0[:/dev/ttyUSB0[:rwm]]` -> (host, container, permissions)."""
    parts = text.split(":")
    if len(parts) > 3 or not all(part.startswith("/") for part in parts[:2]):
        raise ValueError(
            f"device {text!r} must look like /dev/HOST[:/dev/CONTAINER[:rwm]] (absolute paths)"
        )
    host = parts[0]
    container = parts[1] if len(parts) > 1 else host
    permissions = parts[2] if len(parts) > 2 else "rwm"
    check_device_permissions(permissions)
    return host, container, permissions


def check_device_permissions(permissions: str) -> str:
    if not _DEVICE_PERMISSIONS.match(permissions) or len(set(permissions)) != len(permissions):
        raise ValueError(f"device permissions {permissions!r} must be letters of rwm, each once")
    return permissions
