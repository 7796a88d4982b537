"""Manifest models for `apiVersion: dockform/v1`.

This is the vocabulary every other layer speaks: the loader (`manifests.loader`) turns YAML into
these models, the store keeps their `spec` as JSON, and reconcilers read it back with the spec
models (`ContainerSpec.model_validate`). Field names are camelCase in YAML (aliases) and
snake_case in Python. Every model forbids unknown fields, so a typo is an error that names the
field instead of being ignored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from dockform.manifests import engine_settings as engine
from dockform.manifests.errors import SemanticReason
from dockform.manifests.kinds import Kind
from dockform.manifests.labels import check_label_keys
from dockform.manifests.namespaces import DEFAULT_NAMESPACE
from dockform.manifests.namespaces import NAME_MAX_LENGTH as NAME_MAX_LENGTH  # re-exported
from dockform.manifests.namespaces import NAME_PATTERN as NAME_PATTERN  # re-exported
from dockform.manifests.units import DURATION_PATTERN, MEMORY_PATTERN

API_VERSION = "dockform/v1"
MAX_STRING = 16 * 1024
MAX_ITEMS = 256

# Every string of a manifest may reach Docker or the OS (env, command, labels, paths, git
# arguments), where a NUL character ends the string early or fails the call. YAML can carry one
# (`"\0"`, `!!binary`), so every string type here refuses it with a pattern, which also puts the
# rule into the JSON Schema (the loader words the error as NUL_MESSAGE). A mapping key's pattern
# comes out of pydantic as patternProperties; `manifests.schema` states it as propertyNames.
NUL_MESSAGE = "must not contain a NUL character (\\0): Docker and the OS cut strings there"
NO_NUL_PATTERN = r"^[^\x00]*$"
# Whitespace as any regex engine reads `\s` (Python's, ECMA's and Rust's differ), spelled out.
_BLANKS = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NO_SPACE_NO_NUL_PATTERN = f"^[^{_BLANKS}\\x00]+$"
ENV_NAME_PATTERN = r"^[^=\x00]+$"


def _schema(**keywords: Any) -> Any:
    """`Field` adding JSON Schema keywords that a validator here checks with clearer words."""
    return Field(json_schema_extra=keywords)


Name = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=NAME_MAX_LENGTH)]
ShortText = Annotated[str, Field(max_length=MAX_STRING, pattern=NO_NUL_PATTERN)]
MapKey = Annotated[str, Field(max_length=MAX_STRING, pattern=NO_NUL_PATTERN)]
Labels = Annotated[dict[MapKey, ShortText], Field(max_length=MAX_ITEMS)]
Duration = Annotated[str, Field(pattern=DURATION_PATTERN, max_length=32)]
MemorySize = Annotated[str, Field(pattern=MEMORY_PATTERN)]
AbsolutePath = Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^/")]
HostName = Annotated[str, Field(pattern=engine.HOSTNAME_PATTERN, max_length=253)]


class Model(BaseModel):
    """Base for every manifest object: camelCase aliases, unknown fields forbidden."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        # pydantic takes `true` for 1 in a number field; the JSON Schema (and so the API's
        # document) says integer or number, which true is not.
        if not isinstance(data, dict):
            return data
        for key in _numeric_keys(cls):
            if isinstance(data.get(key), bool):
                raise ValueError(f"{key} must be a number, not true or false")
        return data

    def dump(self) -> dict[str, Any]:
        """The object as YAML/JSON would spell it: camelCase keys, unset optionals left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


@functools.cache
def _numeric_keys(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys (aliases) of `model`'s fields that take a number and not a bool: read from
    the annotations once per model, not at every validation (a large apply validates
    thousands of objects)."""
    keys = []
    for name, field in model.model_fields.items():
        types = [
            get_args(kind)[0] if get_origin(kind) is Annotated else kind
            for kind in get_args(field.annotation) or (field.annotation,)
        ]
        if bool not in types and any(kind in (int, float) for kind in types):
            keys.append(field.alias or name)
    return tuple(keys)


class Metadata(Model):
    name: Name
    # Objects are keyed by (kind, namespace, name); see manifests.namespaces.
    namespace: Name = DEFAULT_NAMESPACE
    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)
    # Optimistic concurrency: when set, apply refuses (409) unless the stored object is at
    # exactly this version. Never part of the spec or its hash.
    resource_version: Annotated[int, Field(ge=0)] | None = None

    _labels_ok = field_validator("labels")(check_label_keys)


# --- Image -------------------------------------------------------------------------------------


# What `docker build --secret id=ID,src=...` and `RUN --mount=type=secret,id=ID` take as an id
# (the CLI splits its argument on `,` and `=`).
BUILD_SECRET_ID_PATTERN = r"^[A-Za-z0-9_.-]+$"


class BuildSecretRef(Model):
    """A Secret of the Image's namespace that the build may read with `RUN
    --mount=type=secret,id=ID` (BuildKit only), never part of the image."""

    name: Name = Field(description="A Secret of the Image's namespace.")
    id: Annotated[str, Field(pattern=BUILD_SECRET_ID_PATTERN, max_length=255)] | None = Field(
        default=None, description="The id the Dockerfile mounts it by (default: the name)."
    )

    def build_id(self) -> str:
        return self.id or self.name


class ImageBuild(Model):
    context: ShortText = "."
    dockerfile: ShortText = "Dockerfile"
    args: Labels = Field(default_factory=dict)
    target: ShortText | None = None
    secrets: Annotated[list[BuildSecretRef], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list,
        description="Secrets the build reads with RUN --mount=type=secret (needs BuildKit).",
    )

    def repeated_secret_ids(self) -> list[str]:
        """Ids two build secrets share (the Image then fails, naming them: no JSON Schema
        can state it, as an id defaults to the name)."""
        ids = [secret.build_id() for secret in self.secrets]
        return sorted({build_id for build_id in ids if ids.count(build_id) > 1})


class ImagePull(Model):
    policy: Literal["IfNotPresent", "Always"] = "IfNotPresent"


class ImageLoad(Model):
    path: ShortText


class ImageSpec(Model):
    ref: Annotated[str, Field(min_length=1, max_length=255, pattern=NO_SPACE_NO_NUL_PATTERN)]
    build: ImageBuild | None = None
    pull: ImagePull | None = None
    load: ImageLoad | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageSpec:
        chosen = [key for key in ("build", "pull", "load") if getattr(self, key) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "an Image needs exactly one source of build, pull or load"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        return self


# --- Network -----------------------------------------------------------------------------------


class NetworkSpec(Model):
    driver: Literal["bridge"] = "bridge"
    internal: bool = False
    subnet: Annotated[str, Field(max_length=64, pattern=NO_NUL_PATTERN)] | None = None
    gateway: Annotated[str, Field(max_length=64, pattern=NO_NUL_PATTERN)] | None = None
    labels: Labels = Field(default_factory=dict)

    _labels_ok = field_validator("labels")(check_label_keys)


# --- Volume ------------------------------------------------------------------------------------


class VolumeSpec(Model):
    driver: Annotated[str, Field(max_length=255, pattern=NO_NUL_PATTERN)] = "local"
    driver_opts: Labels = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    reclaim_policy: Literal["Retain", "Delete"] = "Retain"

    _labels_ok = field_validator("labels")(check_label_keys)


# --- Container ---------------------------------------------------------------------------------


class PortMapping(Model):
    container_port: Annotated[int, Field(ge=1, le=65535)]
    host_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    # DESIGN spells it hostIP (as Kubernetes does); the alias generator would say hostIp.
    host_ip: Annotated[str, Field(max_length=64, pattern=NO_NUL_PATTERN, alias="hostIP")] = (
        "127.0.0.1"
    )
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"


BindPropagation = Literal["rprivate", "private", "rshared", "shared", "rslave", "slave"]
# What only a hostPath mount takes; on a volume or tmpfs mount each is an error.
_BIND_ONLY = (("selinux", "selinux"), ("propagation", "propagation"))
# A relative hostPath resolves against the manifest's directory; `~` would be the daemon's
# home, not the writer's, so it is refused rather than read as a directory named `~`.
HOST_PATH_PATTERN = r"^[^~\x00][^\x00]*$"


class TmpfsMount(Model):
    """A tmpfs mount (the Engine's TmpfsOptions): `size` like `64Mi`, `mode` octal text."""

    size: MemorySize | None = None
    mode: Annotated[str, Field(pattern=r"^[0-7]{3,4}$")] | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _octal_text(cls, mode: Any) -> Any:
        if isinstance(mode, int) and not isinstance(mode, bool):
            raise ValueError(
                f'tmpfs mode must be octal text such as "1777" (got the number {mode}; '
                "YAML reads 1777 as decimal and 01777 as octal: put it in quotes)"
            )
        if isinstance(mode, str) and not re.fullmatch(r"[0-7]{3,4}", mode):
            raise ValueError(f'tmpfs mode {mode!r} must be 3 or 4 octal digits, like "1777"')
        return mode


class VolumeMount(Model):
    volume: Name | None = None
    host_path: (
        Annotated[str, Field(min_length=1, max_length=4096, pattern=HOST_PATH_PATTERN)] | None
    ) = None
    tmpfs: TmpfsMount | None = None
    mount_path: Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^/[^\x00]*$")]
    read_only: bool = False
    # hostPath only: create a missing source directory (as Compose does), SELinux relabel
    # (`z` shared, `Z` private), and the bind's mount propagation.
    create_host_path: bool = False
    selinux: Literal["z", "Z"] | None = None
    propagation: BindPropagation | None = None

    @field_validator("host_path", mode="before")
    @classmethod
    def _no_tilde(cls, host_path: Any) -> Any:
        if isinstance(host_path, str) and host_path.startswith("~"):
            raise ValueError(
                f"hostPath {host_path!r}: ~ is not expanded (it would be the daemon's home); "
                "write an absolute path or one relative to the manifest's directory"
            )
        return host_path

    @model_validator(mode="after")
    def _exactly_one_source(self) -> VolumeMount:
        sources = [self.volume, self.host_path, self.tmpfs]
        if sum(source is not None for source in sources) != 1:
            raise ValueError("a volume mount needs exactly one of volume, hostPath or tmpfs")
        if self.host_path is None:
            given = ["createHostPath"] if self.create_host_path else []
            given += [key for attribute, key in _BIND_ONLY if getattr(self, attribute) is not None]
            if given:
                raise ValueError(f"{', '.join(given)} applies only to a hostPath mount")
        if (self.create_host_path or self.selinux) and ":" in (self.host_path or ""):
            # Both go through the Engine's bind syntax (`src:dst:opts`), which splits on ':'.
            raise ValueError(
                f"hostPath {self.host_path!r} contains ':', which createHostPath and selinux "
                "cannot take (the Engine's bind syntax splits on it)"
            )
        if (self.create_host_path or self.selinux) and ":" in self.mount_path:
            raise ValueError(
                f"mountPath {self.mount_path!r} contains ':', which createHostPath and selinux "
                "cannot take (the Engine's bind syntax splits on it)"
            )
        return self


class Healthcheck(Model):
    command: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_ITEMS)]
    interval: Duration = "30s"
    timeout: Duration = "30s"
    retries: Annotated[int, Field(ge=1, le=1000)] = 3
    start_period: Duration = "0s"


MAX_REPLICAS = 1000


class UpdatePolicy(Model):
    """How a replicated Container rolls out a new spec: `parallelism` replicas at a time,
    each batch waited on until it is ready (running, and healthy when it has a healthcheck)
    and has stayed so for `monitor`, then `delay` before the next. `stop-first` removes the
    old replica before its successor starts; `start-first` starts the successor beside it
    (renamed `NAME-i.old`) and removes the old one once the new one is ready. A replica of
    the new spec that fails within the rollout (exits, restarts, turns unhealthy) stops it:
    `pause` leaves the rest on the old spec until the spec changes again, `rollback`
    applies the previous revision (pinned, as `dockform rollback` does)."""

    parallelism: Annotated[int, Field(ge=1, le=MAX_REPLICAS)] = 1
    order: Literal["stop-first", "start-first"] = "stop-first"
    delay: Duration = "0s"
    monitor: Duration = "5s"
    failure_action: Literal["pause", "rollback"] = "pause"


class PlacementPreference(Model):
    spread: ShortText


class Placement(Model):
    """Where Swarm may run the replicas (`node.labels.zone==a`, ...); one host has one node,
    so the Engine driver ignores it (with a warning in the status)."""

    constraints: Annotated[list[ShortText], Field(max_length=64)] = Field(default_factory=list)
    preferences: Annotated[list[PlacementPreference], Field(max_length=16)] = Field(
        default_factory=list
    )


DependencyKind = Literal["Container", "Job"]
# What each kind of dependency can wait for, the first being the default.
DEPENDENCY_CONDITIONS: dict[str, tuple[str, ...]] = {
    Kind.CONTAINER: ("Started", "Healthy"),
    Kind.JOB: ("Completed",),
}


class Dependency(Model):
    """An object a Container or Job waits for: a Container `Started` (it has run for its
    current generation) or `Healthy` (healthy now), a Job `Completed` (it succeeded for its
    current generation)."""

    name: Name
    kind: DependencyKind = "Container"
    condition: Literal["Started", "Healthy", "Completed"] = "Started"

    @model_validator(mode="before")
    @classmethod
    def _condition_of_the_kind(cls, data: Any) -> Any:
        # The default condition follows the kind: a Job's is Completed.
        if isinstance(data, dict) and "condition" not in data and data.get("kind") == Kind.JOB:
            return {**data, "condition": "Completed"}
        return data

    @model_validator(mode="after")
    def _condition_fits_the_kind(self) -> Dependency:
        allowed = DEPENDENCY_CONDITIONS[self.kind]
        if self.condition not in allowed:
            raise ValueError(
                f"condition {self.condition} does not apply to a {self.kind}: "
                f"use {' or '.join(allowed)}"
            )
        return self

    @model_serializer(mode="wrap")
    def _default_kind_left_out(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # `kind: Container` is the default: left out, a stored dependsOn reads as it did
        # before kinds were added, so re-applying it changes nothing.
        dumped: dict[str, Any] = handler(self)
        if dumped.get("kind") == Kind.CONTAINER:
            del dumped["kind"]
        return dumped


class Resources(Model):
    memory: MemorySize | None = None
    cpus: Annotated[float, Field(gt=0, le=1024)] | None = None


RestartPolicy = Literal["Always", "OnFailure", "Never", "UnlessStopped"]


class NetworkAttachment(Model):
    """One network as an object: per-network aliases and static addresses."""

    name: Name
    aliases: Annotated[list[HostName], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    ipv4_address: (
        Annotated[str, Field(max_length=64), _schema(pattern=engine.IPV4_PATTERN)] | None
    ) = None
    ipv6_address: (
        Annotated[str, Field(max_length=64), _schema(pattern=engine.IPV6_PATTERN)] | None
    ) = None

    @field_validator("ipv4_address")
    @classmethod
    def _ipv4(cls, address: str | None) -> str | None:
        return None if address is None else engine.check_ip(address, 4)

    @field_validator("ipv6_address")
    @classmethod
    def _ipv6(cls, address: str | None) -> str | None:
        return None if address is None else engine.check_ip(address, 6)


class Ulimit(Model):
    # -1 is "unlimited", as Docker's --ulimit takes it. That soft is not above hard is a rule
    # no JSON Schema can state: ContainerSpec checks it (one error, with its reason).
    soft: Annotated[int, Field(ge=-1)]
    hard: Annotated[int, Field(ge=-1)]


ULIMIT_ABOVE_HARD: SemanticReason = "UlimitSoftAboveHard"


class DeviceMapping(Model):
    host_path: AbsolutePath
    container_path: AbsolutePath | None = None  # default: the host path
    permissions: Annotated[
        str, Field(max_length=3), _schema(pattern=engine.DEVICE_PERMISSIONS_PATTERN)
    ] = "rwm"

    _permissions_ok = field_validator("permissions")(engine.check_device_permissions)


class GpuRequest(Model):
    """An Engine device request: `count` GPUs (or `all`) or the ones named by `deviceIds`."""

    count: Annotated[int, Field(ge=1, le=1024)] | Literal["all"] | None = None
    device_ids: Annotated[list[ShortText], Field(max_length=MAX_ITEMS)] | None = None
    capabilities: Annotated[list[ShortText], Field(min_length=1, max_length=32)] = Field(
        default_factory=lambda: ["gpu"]
    )
    driver: Annotated[str, Field(max_length=255)] | None = None
    options: Labels = Field(default_factory=dict)

    @model_validator(mode="after")
    def _count_or_ids(self) -> GpuRequest:
        if self.count is not None and self.device_ids is not None:
            raise ValueError("a gpus request takes count or deviceIds, not both")
        return self


class Logging(Model):
    driver: Annotated[str, Field(pattern=engine.LOG_DRIVER_PATTERN, max_length=255)]
    options: Labels = Field(default_factory=dict)


Capabilities = Annotated[
    list[Annotated[str, Field(max_length=64), _schema(pattern=engine.CAPABILITY_PATTERN)]],
    Field(max_length=64),
]
EnvName = Annotated[MapKey, _schema(pattern=ENV_NAME_PATTERN)]
UlimitName = Annotated[str, _schema(enum=sorted(engine.ULIMIT_NAMES))]
SysctlName = Annotated[str, _schema(pattern=engine.SYSCTL_NAME_PATTERN)]
# -1 is "unlimited"; a validator says "below -1" for less.
UlimitValue = Annotated[int, _schema(minimum=-1)]


# --- Secret and Config (their content, and how a container mounts them) -----------------------

# One value each, as Compose's: at most this many bytes (Swarm's limit is 500 KB).
MAX_CONTENT = 512 * 1024
SECRETS_DIR = "/run/secrets"
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # a Secret's `env`: a variable of the daemon
SHA256_PATTERN = r"^[0-9a-f]{64}$"
# What a Secret's value reads as everywhere but in the container: `<redacted sha256:...>`.
REDACTED_PATTERN = r"^<redacted sha256:[0-9a-f]{64}>$"

Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN)]
ContentText = Annotated[str, Field(max_length=MAX_CONTENT, pattern=NO_NUL_PATTERN)]
VariableName = Annotated[str, Field(pattern=VARIABLE_PATTERN, max_length=255)]
SealedText = Annotated[str, Field(max_length=2 * MAX_CONTENT, pattern=r"^[A-Za-z0-9_=:-]+$")]
Base64Text = Annotated[str, Field(max_length=2 * MAX_CONTENT, pattern=r"^[A-Za-z0-9+/=]*$")]
# A mount target: an absolute path, or a file name (Compose's short form).
MountTarget = Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[^\x00]+$")]


def redacted(sha256: str) -> str:
    return f"<redacted sha256:{sha256}>"


def _file_mode(mode: int | str) -> int:
    """0400 (an int, YAML 1.1 octal) or "0400" / "400" (octal digits as text) -> int."""
    if isinstance(mode, str):
        if not re.fullmatch(r"0?[0-7]{3}", mode):
            raise ValueError(f'mode {mode!r} must be octal digits such as "0400"')
        return int(mode, 8)
    return mode


FileMode = Annotated[
    Annotated[int, Field(ge=0, le=0o777)] | Annotated[str, Field(pattern=r"^0?[0-7]{3}$")],
    AfterValidator(_file_mode),
]


class ContentSpec(Model):
    """What a Secret and a Config share: one value, from a literal or a file, and what the
    daemon records at apply (`sha256` of the content; never written by hand)."""

    value: ContentText | None = None
    # Relative to the manifest's directory; checked by the host-access policy like hostPath.
    file: ShortText | None = None
    sha256: Sha256 | None = None

    def _sources(self) -> list[str]:
        return [key for key in ("value", "file", "env") if getattr(self, key, None) is not None]

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ContentSpec:
        chosen = self._sources()
        if len(chosen) != 1:
            what = "value, file or env" if "env" in type(self).model_fields else "value or file"
            raise ValueError(
                f"a {type(self).__name__.removesuffix('Spec')} needs exactly one of {what}"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        return self


class SecretSpec(ContentSpec):
    # A variable of the daemon's environment, read at apply.
    env: VariableName | None = None
    # The content encrypted with the daemon's key (set at apply; `value` then reads
    # `<redacted sha256:...>`). Decrypted only by the controller, into the container.
    sealed: SealedText | None = None


class ConfigSpec(ContentSpec):
    # A file's content, base64 (set at apply).
    data: Base64Text | None = None


class SecretMount(Model):
    name: Name
    target: MountTarget | None = None  # default /run/secrets/NAME; a bare name goes there too
    mode: FileMode = 0o444
    uid: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    gid: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0

    def target_path(self) -> str:
        target = self.target or self.name
        return target if target.startswith("/") else f"{SECRETS_DIR}/{target}"


class ConfigMount(SecretMount):
    def target_path(self) -> str:
        target = self.target or self.name  # default /NAME, as Compose
        return target if target.startswith("/") else f"/{target}"


class EnvFromSecret(Model):
    """`env: {DB_PASSWORD: {secret: db-password}}`: the variable holds the Secret's value."""

    secret: Name


# An env value is text, or a mapping naming a Secret: chosen by the input's shape, so a bad
# value gets one error (the loader drops these tags from field paths, see CHOICE_TAGS).
_TEXT_TAG, _SECRET_TAG = "<text>", "<secret>"
CHOICE_TAGS = frozenset({_TEXT_TAG, _SECRET_TAG})


def _env_value_shape(value: Any) -> str:
    return _SECRET_TAG if isinstance(value, dict | EnvFromSecret) else _TEXT_TAG


EnvValue = Annotated[
    Annotated[ShortText, Tag(_TEXT_TAG)] | Annotated[EnvFromSecret, Tag(_SECRET_TAG)],
    Discriminator(_env_value_shape),
]


def _each(check: Callable[[str], str]) -> Callable[[list[str]], list[str]]:
    """A list validator applying `check` (which may normalise) to every item."""

    def validate(items: list[str]) -> list[str]:
        return [check(item) for item in items]

    return validate


class ContainerSpec(Model):
    image: Annotated[str, Field(min_length=1, max_length=255, pattern=NO_SPACE_NO_NUL_PATTERN)]
    command: Annotated[list[ShortText], Field(max_length=MAX_ITEMS)] | None = None
    entrypoint: Annotated[list[ShortText], Field(max_length=MAX_ITEMS)] | None = None
    env: Annotated[dict[EnvName, EnvValue], Field(max_length=1024)] = Field(default_factory=dict)
    working_dir: ShortText | None = None
    user: Annotated[str, Field(max_length=255, pattern=NO_NUL_PATTERN)] | None = None
    ports: Annotated[list[PortMapping], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    networks: Annotated[list[Name | NetworkAttachment], Field(max_length=64)] = Field(
        default_factory=list
    )
    volumes: Annotated[list[VolumeMount], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    restart_policy: RestartPolicy = "Always"
    healthcheck: Healthcheck | None = None
    depends_on: Annotated[list[Dependency], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list
    )
    resources: Resources = Field(default_factory=Resources)
    stop_grace_period: Duration = "10s"
    labels: Labels = Field(default_factory=dict)
    # Host-level powers. The daemon refuses them unless started with --allow-host-access.
    privileged: bool = False
    host_network: bool = False
    host_pid: bool = Field(default=False, alias="hostPID")
    host_ipc: bool = Field(default=False, alias="hostIPC")
    # Engine settings (HostConfig / Config); each is left to the Engine's default when unset.
    hostname: Annotated[str, Field(pattern=engine.HOSTNAME_PATTERN, max_length=64)] | None = None
    domainname: HostName | None = None
    cap_add: Capabilities = Field(default_factory=list)
    cap_drop: Capabilities = Field(default_factory=list)
    ulimits: Annotated[dict[UlimitName, Ulimit | UlimitValue], Field(max_length=32)] = Field(
        default_factory=dict
    )
    shm_size: MemorySize | None = None
    tmpfs: (
        Annotated[dict[AbsolutePath, ShortText], Field(max_length=MAX_ITEMS)]
        | Annotated[list[AbsolutePath], Field(max_length=MAX_ITEMS)]
    ) = Field(default_factory=dict)
    read_only: bool = False
    devices: Annotated[
        list[Annotated[ShortText, _schema(pattern=engine.DEVICE_PATTERN)] | DeviceMapping],
        Field(max_length=MAX_ITEMS),
    ] = Field(default_factory=list)
    gpus: Literal["all"] | Annotated[int, Field(ge=1, le=1024)] | GpuRequest | None = None
    init: bool | None = None
    stop_signal: Annotated[str, Field(pattern=engine.SIGNAL_PATTERN, max_length=32)] | None = None
    extra_hosts: Annotated[
        list[Annotated[ShortText, _schema(pattern=engine.EXTRA_HOST_PATTERN)]],
        Field(max_length=MAX_ITEMS),
    ] = Field(default_factory=list)
    dns: Annotated[
        list[Annotated[str, Field(max_length=64), _schema(pattern=engine.IP_PATTERN)]],
        Field(max_length=16),
    ] = Field(default_factory=list)
    dns_search: Annotated[list[HostName], Field(max_length=16)] = Field(default_factory=list)
    dns_options: Annotated[
        list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(:[0-9]+)?$", max_length=64)]],
        Field(max_length=16),
    ] = Field(default_factory=list)
    sysctls: Annotated[dict[SysctlName, ShortText | int], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=dict
    )
    security_opt: Annotated[
        list[Annotated[ShortText, _schema(pattern=engine.SECURITY_OPT_PATTERN)]],
        Field(max_length=32),
    ] = Field(default_factory=list)
    pids_limit: Annotated[int, Field(ge=-1)] | None = None
    group_add: Annotated[
        list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", max_length=64)]],
        Field(max_length=64),
    ] = Field(default_factory=list)
    logging: Logging | None = None
    oom_score_adj: Annotated[int, Field(ge=-1000, le=1000)] | None = None
    platform: Annotated[str, Field(pattern=engine.PLATFORM_PATTERN, max_length=64)] | None = None
    # Health: whether dockform restarts an unhealthy container (after its startPeriod).
    restart_on_unhealthy: bool = True
    # Secrets and Configs mounted as files (read-only; made by the daemon).
    secrets: Annotated[list[SecretMount], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    configs: Annotated[list[ConfigMount], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    # Replicas: unset runs one container named after the Container (as before); N runs
    # NAME-1 .. NAME-N, each repaired on its own, all reachable by NAME on their networks.
    replicas: Annotated[int, Field(ge=0, le=MAX_REPLICAS)] | None = None
    update: UpdatePolicy = Field(default_factory=UpdatePolicy)
    placement: Placement | None = None

    _labels_ok = field_validator("labels")(check_label_keys)
    _capabilities = field_validator("cap_add", "cap_drop")(_each(engine.capability))
    _extra_hosts = field_validator("extra_hosts")(_each(engine.check_extra_host))
    _dns_servers = field_validator("dns")(_each(engine.check_ip))
    _security_opts = field_validator("security_opt")(_each(engine.check_security_opt))

    @field_validator("networks")
    @classmethod
    def _plain_names(cls, networks: list[str | NetworkAttachment]) -> list[str | NetworkAttachment]:
        # `{name: app}` says no more than `app`: one spelling, so both hash the same.
        return [
            entry.name
            if isinstance(entry, NetworkAttachment) and entry.model_fields_set <= {"name"}
            else entry
            for entry in networks
        ]

    @field_validator("ulimits")
    @classmethod
    def _ulimit_names(cls, ulimits: dict[str, Ulimit | int]) -> dict[str, Ulimit | int]:
        for name, limit in ulimits.items():
            engine.check_ulimit_name(name)
            if isinstance(limit, int) and limit < -1:
                raise ValueError(f"ulimit {name}: {limit} is below -1 (unlimited)")
        for name, limit in ulimits.items():
            if isinstance(limit, Ulimit) and limit.hard != -1 and not -1 < limit.soft <= limit.hard:
                raise PydanticCustomError(
                    ULIMIT_ABOVE_HARD,
                    "ulimit {name}: soft {soft} is above hard {hard}",
                    {"name": name, "soft": limit.soft, "hard": limit.hard},
                )
        return ulimits

    @field_validator("devices")
    @classmethod
    def _device_texts(cls, devices: list[str | DeviceMapping]) -> list[str | DeviceMapping]:
        for device in devices:
            if isinstance(device, str):
                engine.parse_device(device)
        return devices

    @field_validator("sysctls")
    @classmethod
    def _sysctl_names(cls, sysctls: dict[str, str | int]) -> dict[str, str | int]:
        for name in sysctls:
            engine.check_sysctl_name(name)
        return sysctls

    @model_validator(mode="after")
    def _no_attachments_with_host_network(self) -> ContainerSpec:
        if self.host_network and any(not isinstance(n, str) for n in self.networks):
            raise ValueError("network aliases and addresses do not apply with hostNetwork")
        return self

    def network_attachments(self) -> list[NetworkAttachment]:
        """Every network as an attachment object, in order (plain names have no extras)."""
        return [
            NetworkAttachment(name=entry) if isinstance(entry, str) else entry
            for entry in self.networks
        ]

    def network_names(self) -> list[str]:
        return [attachment.name for attachment in self.network_attachments()]

    def secret_names(self) -> list[str]:
        """Every Secret this container uses (mounted or as env), in order, without repeats."""
        names = [mount.name for mount in self.secrets]
        names += [value.secret for value in self.env.values() if isinstance(value, EnvFromSecret)]
        return list(dict.fromkeys(names))

    def config_names(self) -> list[str]:
        return list(dict.fromkeys(mount.name for mount in self.configs))

    def repeated_targets(self) -> list[str]:
        """Targets that two of its secrets or configs mount at. Not refused here: no JSON
        Schema can state it (a bare name and a path can mean one target), so the schema
        would promise what the loader refuses; the controller waits on it instead."""
        targets = [mount.target_path() for mount in (*self.secrets, *self.configs)]
        return sorted({target for target in targets if targets.count(target) > 1})

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str | EnvFromSecret]) -> dict[str, str | EnvFromSecret]:
        for key in env:
            if not re.fullmatch(ENV_NAME_PATTERN, key):
                raise ValueError(f"env name {key!r} must be non-empty and contain no '='")
        return env


# --- Job --------------------------------------------------------------------------------------

# A Job's container runs once per generation: its retries are `backoffLimit`, never Docker's
# restart policy, and it has no unhealthy restarts.
_NOT_FOR_JOBS = {
    "restartPolicy": "a Job runs its container once per generation; set backoffLimit for "
    "retries after a failure",
    "restartOnUnhealthy": "a Job's container is never restarted for its health",
}


def _job_schema(schema: dict[str, Any]) -> None:
    properties = schema.get("properties", {})
    for key in _NOT_FOR_JOBS:
        properties.pop(key, None)


class JobSpec(ContainerSpec):
    """A Container's fields, run to completion once per generation: `backoffLimit` retries
    after a failure (exponential backoff between attempts), `ttlAfterFinished` removes the
    finished container (the Job and its result stay)."""

    model_config = ConfigDict(json_schema_extra=_job_schema)

    restart_policy: Literal["Never"] = Field(default="Never", exclude=True)
    restart_on_unhealthy: Literal[False] = Field(default=False, exclude=True)
    backoff_limit: Annotated[int, Field(ge=0, le=100)] = 6
    ttl_after_finished: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_restart_policy(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for key, why in _NOT_FOR_JOBS.items():
            if key in data or _snake(key) in data:
                raise ValueError(f"{key} does not apply to a Job: {why}")
        return data


def _snake(camel: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in camel)


# --- GitSource ---------------------------------------------------------------------------------


class SecretRef(Model):
    """A Secret of the referring object's own namespace (a Secret holds one value)."""

    name: Name


class GitSourceWebhook(Model):
    """The shared secret that `POST /v1/gitsources/{name}/webhook` checks a forge's call
    against: a Secret of the GitSource's namespace, or a file on the daemon's host (relative
    to the manifest, under the host-access policy like any host path). Read at each call."""

    secret_ref: SecretRef | None = Field(
        default=None, description="A Secret of the GitSource's namespace holding the secret."
    )
    secret_file: (
        Annotated[str, Field(min_length=1, max_length=4096, pattern=NO_NUL_PATTERN)] | None
    ) = Field(
        default=None,
        description="A file on the daemon's host holding the secret (trailing newline "
        "ignored); relative to the manifest.",
    )

    @model_validator(mode="after")
    def _exactly_one_source(self) -> GitSourceWebhook:
        chosen = [key for key in ("secret_ref", "secret_file") if getattr(self, key) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "a webhook needs exactly one of secretRef or secretFile"
                + (f" (got {', '.join(to_camel(key) for key in chosen)})" if chosen else "")
            )
        return self


class GitSourceSpec(Model):
    url: Annotated[str, Field(min_length=1, max_length=4096, pattern=NO_NUL_PATTERN)]
    branch: Annotated[str, Field(min_length=1, max_length=255, pattern=NO_NUL_PATTERN)] = "main"
    path: ShortText = "."
    interval: Duration = "60s"
    suspend: bool = False
    prune: bool = True
    # What `path` holds: dockform manifests, or a compose project (a compose.yaml and its
    # files); `auto` decides by the file names there.
    format: Literal["auto", "manifests", "compose"] = "auto"
    # Without it the webhook route refuses every call (403): no secret, no webhook.
    webhook: GitSourceWebhook | None = Field(
        default=None,
        description="Accept forge webhooks (GitHub, Gitea, GitLab) at POST "
        "/v1/gitsources/{name}/webhook, signed with this secret.",
    )


# --- Documents ---------------------------------------------------------------------------------


class _Document(Model):
    api_version: Literal["dockform/v1"]
    metadata: Metadata


class Image(_Document):
    kind: Literal["Image"]
    spec: ImageSpec


class Network(_Document):
    kind: Literal["Network"]
    spec: NetworkSpec = Field(default_factory=NetworkSpec)


class Volume(_Document):
    kind: Literal["Volume"]
    spec: VolumeSpec = Field(default_factory=VolumeSpec)


class Container(_Document):
    kind: Literal["Container"]
    spec: ContainerSpec


class GitSource(_Document):
    kind: Literal["GitSource"]
    spec: GitSourceSpec


class Secret(_Document):
    kind: Literal["Secret"]
    spec: SecretSpec


class Config(_Document):
    kind: Literal["Config"]
    spec: ConfigSpec


class Job(_Document):
    kind: Literal["Job"]
    spec: JobSpec


Manifest = Image | Network | Volume | Container | GitSource | Secret | Config | Job
AnyManifest = Annotated[Manifest, Field(discriminator="kind")]

DocumentModel = (
    type[Image]
    | type[Network]
    | type[Volume]
    | type[Container]
    | type[GitSource]
    | type[Secret]
    | type[Config]
    | type[Job]
)

# The one table from kind to model. Keyed by `Kind`, typed by `str` so that kinds read from the
# store or the wire look up without conversion.
KIND_MODELS: dict[str, DocumentModel] = {
    Kind.IMAGE: Image,
    Kind.NETWORK: Network,
    Kind.VOLUME: Volume,
    Kind.CONTAINER: Container,
    Kind.GIT_SOURCE: GitSource,
    Kind.SECRET: Secret,
    Kind.CONFIG: Config,
    Kind.JOB: Job,
}


def _spec_model(document: DocumentModel) -> type[Model]:
    spec = document.model_fields["spec"].annotation
    if not (isinstance(spec, type) and issubclass(spec, Model)):
        raise TypeError(f"{document.__name__}.spec must be a model")
    return spec


SPEC_MODELS: dict[str, type[Model]] = {
    kind: _spec_model(document) for kind, document in KIND_MODELS.items()
}
