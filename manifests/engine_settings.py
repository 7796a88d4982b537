"""The grammar of a Container's Engine settings: capabilities, ulimits, sysctls, addresses.

`manifests.models` validates `ContainerSpec` fields with these checks, so a bad value is refused
at load time with a message naming what is wrong and what is allowed, instead of at container
create time with the Engine's words. `manifests.host_settings` reads the same tables to find
settings that reach the host. Pure: nothing here reads the machine it runs on.

Each grammar is also a pattern (or an enum) that `manifests.models` puts into the JSON Schema,
so the published schema refuses what the checks here refuse: the checks match the same patterns
(`re.fullmatch`, so Python's `$` before a final newline plays no part). The patterns use nothing
that reads differently in ECMA 262 (JSON Schema), Python `re` and Rust `regex` (pydantic): no
`\\s`, `\\w`, `\\d` or `.`, no lookaround; only explicit ASCII classes.
"""

from __future__ import annotations

import ipaddress
import re
from itertools import permutations

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

_HOST = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
HOSTNAME_PATTERN = f"^{_HOST}$"
SIGNAL_PATTERN = r"^((SIG)?[A-Z][A-Z0-9+-]*|[0-9]{1,2})$"
PLATFORM_PATTERN = r"^[a-z0-9_]+(/[a-z0-9_.]+){0,2}$"
LOG_DRIVER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"
SYSCTL_NAME_PATTERN = r"^[a-z0-9_]+(\.[A-Za-z0-9_*-]+)+$"
# Each of r, w and m at most once, in any order.
_PERMISSIONS = "|".join(
    sorted(
        {"".join(p) for n in (1, 2, 3) for p in permutations("rwm", n)},
        key=lambda text: (len(text), text),
    )
)
DEVICE_PERMISSIONS_PATTERN = f"^({_PERMISSIONS})$"
# /dev/HOST[:/dev/CONTAINER[:rwm]]: the paths absolute, without `:` (or NUL).
DEVICE_PATTERN = f"^/[^:\\x00]*(:/[^:\\x00]*(:({_PERMISSIONS}))?)?$"


def _either_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


# What `capability` takes: a name of LINUX_CAPABILITIES or ALL in any case, with or without
# CAP_, with blanks around it.
CAPABILITY_PATTERN = (
    "^[ \\t]*(" + _either_case("CAP_") + ")?("
    + "|".join(_either_case(name) for name in sorted([ALL_CAPABILITIES, *LINUX_CAPABILITIES]))
    + ")[ \\t]*$"
)  # fmt: skip

# IP addresses as `ipaddress.ip_address` reads them: dotted quads without leading zeros;
# IPv6 with at most one `::` (which may stand for a single group), an IPv4 address in the
# last 32 bits, and a zone (`%eth0`) of anything but `%` and `/` (and NUL).
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = f"{_OCTET}(\\.{_OCTET}){{3}}"
_HEX = "[0-9A-Fa-f]{1,4}"


def _ipv6() -> str:
    def groups(count: int) -> str:  # `count` groups joined by `:`
        return "" if count == 0 else f"{_HEX}(:{_HEX}){{{count - 1}}}"

    forms = [f"({_HEX}:){{7}}{_HEX}", f"({_HEX}:){{6}}{_IPV4}"]
    for left in range(8):  # `::` with `left` groups before it
        tail = f"({_HEX}(:{_HEX}){{0,{6 - left}}})?" if left < 7 else ""
        forms.append(f"{groups(left)}::{tail}")
        if left <= 5:
            forms.append(f"{groups(left)}::({_HEX}:){{0,{5 - left}}}{_IPV4}")
    return "(" + "|".join(forms) + ")(%[^%/\\x00]+)?"


_IPV6 = _ipv6()
IPV4_PATTERN = f"^{_IPV4}$"
IPV6_PATTERN = f"^{_IPV6}$"
IP_PATTERN = f"^({_IPV4}|{_IPV6})$"
# Docker's own name for the host's gateway address in --add-host (Engine 20.10+).
HOST_GATEWAY = "host-gateway"
EXTRA_HOST_PATTERN = f"^{_HOST}:({_IPV4}|{_IPV6}|{HOST_GATEWAY})$"
# Sysctls the kernel keeps per IPC or network namespace: a container may set them for itself.
_NAMESPACED_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem")
_NAMESPACED_SYSCTL_PREFIXES = ("kernel.shm", "fs.mqueue.", "net.")
# securityOpt forms that switch a confinement off, with what each one switches off.
UNCONFINED_SECURITY_OPTS = {
    "seccomp=unconfined": "the seccomp system-call filter",
    "apparmor=unconfined": "the AppArmor profile",
    "label=disable": "SELinux labelling",
    "label:disable": "SELinux labelling",
    "systempaths=unconfined": "the masking of /proc and /sys paths",
}
SECURITY_OPT_PATTERN = (
    r"^(no-new-privileges(:(true|false))?|(seccomp|apparmor)[=:][^\n\x00]+|label[=:][^\n\x00]+"
    r"|systempaths=unconfined|(mask|unmask)=/[^\n\x00]*)$"
)


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def capability(name: str) -> str:
    """`cap_net_admin` / `CAP_NET_ADMIN` / `NET_ADMIN` -> `NET_ADMIN`; ValueError if unknown."""
    if not _matches(CAPABILITY_PATTERN, name):
        raise ValueError(
            f"unknown capability {name!r}: use a Linux capability name such as NET_ADMIN or "
            f"CHOWN (capabilities(7), with or without CAP_), or ALL"
        )
    return name.strip(" \t").upper().removeprefix("CAP_")


def check_ulimit_name(name: str) -> str:
    if name not in ULIMIT_NAMES:
        raise ValueError(f"unknown ulimit {name!r}: use one of {', '.join(sorted(ULIMIT_NAMES))}")
    return name


def check_sysctl_name(name: str) -> str:
    if not _matches(SYSCTL_NAME_PATTERN, name):
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
    if not _matches(IP_PATTERN, address):
        raise ValueError(f"{address!r} is not an IP address")
    parsed = ipaddress.ip_address(address)  # the pattern admits exactly what this reads
    if version is not None and parsed.version != version:
        raise ValueError(f"{address!r} is not an IPv{version} address")
    return address


def check_extra_host(entry: str) -> str:
    """`db.local:10.0.0.5`, `v6:::1` or `gateway:host-gateway`; ValueError naming the entry."""
    if _matches(EXTRA_HOST_PATTERN, entry):
        return entry
    host, separator, address = entry.partition(":")
    if not separator or not _matches(HOSTNAME_PATTERN, host):
        raise ValueError(f"extra host {entry!r} must look like hostname:ip (db.local:10.0.0.5)")
    raise ValueError(f"extra host {entry!r}: {address!r} is not an IP address or {HOST_GATEWAY}")


def check_security_opt(option: str) -> str:
    if not _matches(SECURITY_OPT_PATTERN, option):
        raise ValueError(
            f"securityOpt {option!r} must be one of no-new-privileges[:true|false], "
            "seccomp=PROFILE, apparmor=PROFILE, label=..., systempaths=unconfined"
        )
    return option


def check_device(text: str) -> str:
    """`text` when it is a device of the form `parse_device` reads; ValueError else."""
    parse_device(text)
    return text


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
    if not _matches(DEVICE_PATTERN, text):  # what is left: a NUL
        raise ValueError(f"device {text!r} must not contain a NUL character (\\0)")
    return host, container, permissions


def check_device_permissions(permissions: str) -> str:
    if not _matches(DEVICE_PERMISSIONS_PATTERN, permissions):
        raise ValueError(f"device permissions {permissions!r} must be letters of rwm, each once")
    return permissions
