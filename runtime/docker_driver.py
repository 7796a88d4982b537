"""`DockerRuntime`: the `Runtime` interface on the Docker Engine API (docker-py's APIClient).

This is the only module that talks to dockerd. Each method is one Engine call or a short
fixed sequence of them (create + connect networks; build + inspect), with every docker-py
and requests failure translated once, by `runtime._docker_errors`, into `runtime.errors`.
Image builds use BuildKit when the engine and a docker CLI offer it: the CLI serves the
build session docker-py cannot (`runtime._docker_buildkit`); otherwise the classic builder
(`POST /build`), and the result says which and why.
JSON shapes are read by `runtime._docker_convert`; progress and event streams are consumed
by `runtime._docker_streams`.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

import docker
import docker.auth
import docker.types
import docker.utils
from docker.utils.json_stream import json_stream

from dockform.runtime import _docker_buildkit as buildkit_cli
from dockform.runtime import _docker_convert as convert
from dockform.runtime._docker_errors import translate_errors
from dockform.runtime._docker_reader import UnixJsonReader, quoted
from dockform.runtime._docker_streams import (
    EVENT_TYPES,
    consume_build,
    consume_load,
    consume_pull,
    stream_events,
)
from dockform.runtime._docker_transport import (
    configured_headers,
    engine_url,
    raise_for_status,
    tune_unix_socket_client,
)
from dockform.runtime._image_cache import ImageCache
from dockform.runtime.errors import (
    ImageBuildFailed,
    InvalidRequest,
    NotConnected,
    ObjectNotFound,
    RemovalInProgress,
    RuntimeFailure,
    RuntimeUnavailable,
)
from dockform.runtime.refs import normalize_ref
from dockform.runtime.types import (
    BUILDKIT,
    CLASSIC_BUILDER,
    BuildRequest,
    BuildResult,
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    ImageInfo,
    NetworkCreate,
    NetworkInfo,
    RuntimeEvent,
    VolumeCreate,
    VolumeInfo,
)

# How long ping() waits for the engine; /_ping answers in milliseconds when dockerd is up.
PING_TIMEOUT_S = 3.0
# docker-py's and the docker CLI's engine when DOCKER_HOST is unset.
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
# `DOCKFORM_BUILDKIT=0` in the daemon's environment: build with the classic builder only.
BUILDKIT_ENV = "DOCKFORM_BUILDKIT"
_MAX_DOCKERFILE_BYTES = 1024 * 1024


def _read_text(path: str) -> str | None:
    """A small text file's content (a Dockerfile, an iidfile), or None when unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(_MAX_DOCKERFILE_BYTES).strip() or None
    except OSError:
        return None


_Driver = TypeVar("_Driver", bound="DockerRuntime")
_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


def _changes_images(
    method: Callable[Concatenate[_Driver, _Params], _Result],
) -> Callable[Concatenate[_Driver, _Params], _Result]:
    """A driver call that changes the engine's images: the image answers kept
    (`_image_cache`) are dropped before it and after it."""

    @functools.wraps(method)
    def changing(driver: _Driver, /, *args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
        driver._images.forget()
        try:
            return method(driver, *args, **kwargs)
        finally:
            driver._images.forget()

    return changing


class DockerRuntime:
    """The Docker Engine driver. Thread-safe: the controller's workers share one instance.

    `extra_labels` go on every container, image build, network and volume it creates (tests
    use them to find and sweep their objects), and every list is scoped to them, so a daemon
    started with `--label` sees (and garbage-collects) only objects it could have made: two
    daemons with different labels share one engine without fighting. `timeout` bounds each
    ordinary API call; builds and pulls get their own, longer read timeouts because a step may
    be silent a while.
    The client connects lazily, so a runtime can be made before dockerd answers.
    """

    replicates = False  # one container per request: replicas are the controller's

    def __init__(
        self,
        base_url: str | None = None,
        extra_labels: dict[str, str] | None = None,
        timeout: int = 60,
        *,
        build_timeout: int = 900,
        pull_timeout: int = 300,
        buildkit: bool | None = None,
    ) -> None:
        self._base_url = base_url
        self._extra_labels = dict(extra_labels or {})
        self._timeout = timeout
        self._build_timeout = build_timeout
        self._pull_timeout = pull_timeout
        self._client: Any = None
        self._reader: UnixJsonReader | None = None
        self._client_lock = threading.Lock()
        self._use_buildkit = (
            os.environ.get(BUILDKIT_ENV, "1") != "0" if buildkit is None else buildkit
        )
        self._cli_probe: buildkit_cli.CliProbe | None = None
        self._probe_lock = threading.Lock()
        self._images = ImageCache()

    # --- connection

    @property
    def _api(self) -> Any:
        return self._connected(self._timeout)

    def _connected(self, handshake_timeout: float) -> Any:
        with self._client_lock:
            if self._client is None:
                with translate_errors("connect to the Docker Engine"):
                    self._client = self._connect(handshake_timeout)
            return self._client

    def _client_kwargs(self) -> dict[str, Any]:
        return {"base_url": self._base_url} if self._base_url else docker.utils.kwargs_from_env()

    def _connect(self, handshake_timeout: float) -> Any:
        kwargs = self._client_kwargs()
        # "auto" asks the daemon which API version it speaks, so one client works against
        # old (API 1.41) and new (minimum 1.44) engines alike. That question is bounded by the
        # caller's timeout (ping's is short); every later call gets the ordinary one.
        client = docker.APIClient(version="auto", timeout=handshake_timeout, **kwargs)
        client.timeout = self._timeout
        socket_path = tune_unix_socket_client(client)
        if socket_path is not None:
            # Sent as docker-py's own calls send them: its User-Agent, the config's headers.
            headers = {"User-Agent": client.headers["User-Agent"], **configured_headers()}
            self._reader = UnixJsonReader(socket_path, client.api_version, self._timeout, headers)
        return client

    def _get_json(self, path: str, params: dict[str, str] | None, action: str) -> Any | None:
        """The Engine's JSON answer to a GET through the light reader (`_docker_reader`), or
        None when the client is not a unix socket's (the caller asks docker-py)."""
        self._api  # noqa: B018 - connects, which makes the reader of a unix socket
        reader = self._reader
        return None if reader is None else reader.get(path, params, action=action)

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _labels(self, labels: dict[str, str]) -> dict[str, str]:
        return {**labels, **self._extra_labels}

    def _scope(self, labels: dict[str, str] | None) -> dict[str, str] | None:
        if not self._extra_labels:
            return labels
        return {**(labels or {}), **self._extra_labels}

    # --- engine

    def ping(self) -> bool:
        """`GET /_ping`, bounded by PING_TIMEOUT_S (connecting included), so a watcher can ask
        often and learn quickly that the engine is down or hung."""
        try:
            with translate_errors("ping"):
                api = self._connected(PING_TIMEOUT_S)
                # docker-py's ping() takes no timeout: it would wait the ordinary 60 s.
                with api.get(f"{api.base_url}/_ping", timeout=PING_TIMEOUT_S) as response:
                    return bool(response.status_code == 200)
        except RuntimeFailure:
            return False

    def accepts_connections(self) -> bool:
        try:
            with translate_errors("ping on a new connection"):
                api = self._connected(PING_TIMEOUT_S)
                probe = docker.APIClient(
                    version=api.api_version, timeout=PING_TIMEOUT_S, **self._client_kwargs()
                )
                try:
                    with probe.get(f"{probe.base_url}/_ping", timeout=PING_TIMEOUT_S) as response:
                        return bool(response.status_code == 200)
                finally:
                    probe.close()
        except RuntimeFailure:
            return False

    def engine_version(self) -> str:
        with translate_errors("read the engine version"):
            return str(self._api.version()["Version"])

    # --- containers

    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerSummary]:
        filters = convert.label_filters(self._scope(labels))
        query = {"all": "1", "filters": docker.utils.convert_filters(filters)}
        with translate_errors("list containers"):
            summaries = self._get_json("/containers/json", query, "list containers")
            if summaries is None:
                summaries = self._api.containers(all=True, filters=filters)
        found = [convert.container_summary(summary) for summary in summaries]
        return sorted(found, key=lambda summary: (summary.name, summary.id))

    def inspect_container(self, name_or_id: str) -> ContainerInfo | None:
        action = f"inspect container {name_or_id}"
        try:
            with translate_errors(action):
                data = self._get_json(f"/containers/{quoted(name_or_id)}/json", None, action)
                if data is None:
                    data = self._api.inspect_container(name_or_id)
        except ObjectNotFound:
            return None
        return convert.container_info(data)

    def create_container(self, request: ContainerCreate) -> str:
        api = self._api
        with translate_errors(f"create container {request.name}"):
            networking_config = None
            if request.networks:
                first = request.endpoint(request.networks[0])
                endpoint = api.create_endpoint_config(
                    aliases=list(self._aliases(first.network, request)) or None,
                    ipv4_address=first.ipv4_address,
                    ipv6_address=first.ipv6_address,
                )
                networking_config = api.create_networking_config({first.network: endpoint})
            created = api.create_container(
                image=request.image,
                name=request.name,
                command=list(request.command) if request.command is not None else None,
                entrypoint=list(request.entrypoint) if request.entrypoint is not None else None,
                environment=[f"{key}={value}" for key, value in sorted(request.env.items())],
                working_dir=request.working_dir,
                user=request.user,
                labels=self._labels(request.labels),
                ports=[(port.container_port, port.protocol) for port in request.ports] or None,
                host_config=self._host_config(request),
                networking_config=networking_config,
                healthcheck=self._healthcheck(request),
                stop_timeout=request.stop_timeout_s,
                hostname=request.hostname,
                domainname=request.domainname,
                stop_signal=request.stop_signal,
                platform=request.platform,
                detach=True,
            )
        container_id = str(created["Id"])
        try:
            for network in request.networks[1:]:
                endpoint = request.endpoint(network)
                self.connect_network(
                    network,
                    container_id,
                    self._aliases(network, request),
                    ipv4_address=endpoint.ipv4_address,
                    ipv6_address=endpoint.ipv6_address,
                )
        except RuntimeFailure:
            # Half-attached containers would be mistaken for good ones by the next observe.
            self.remove_container(container_id)
            raise
        return container_id

    def _aliases(self, network: str, request: ContainerCreate) -> tuple[str, ...]:
        if network in convert.PREDEFINED_NETWORKS:
            return ()
        own = request.endpoint(network).aliases
        return tuple(dict.fromkeys((request.name, *request.network_aliases, *own)))

    def _host_config(self, request: ContainerCreate) -> Any:
        port_bindings: dict[str, list[tuple[str, ...] | tuple[str, int]]] = {}
        for port in request.ports:
            binding = (port.host_ip,) if port.host_port is None else (port.host_ip, port.host_port)
            port_bindings.setdefault(f"{port.container_port}/{port.protocol}", []).append(binding)
        binds, mounts = convert.mount_settings(request.mounts)
        return self._api.create_host_config(
            port_bindings=port_bindings or None,
            binds=binds or None,
            mounts=mounts or None,
            restart_policy={"Name": request.restart_policy},
            mem_limit=request.memory_bytes,
            nano_cpus=request.nano_cpus,
            network_mode="host"
            if request.host_network
            else (request.networks[0] if request.networks else None),
            privileged=request.privileged,
            pid_mode="host" if request.host_pid else None,
            ipc_mode="host" if request.host_ipc else None,
            **convert.host_config_settings(request),
        )

    @staticmethod
    def _healthcheck(request: ContainerCreate) -> dict[str, Any] | None:
        check = request.healthcheck
        if check is None:
            return None
        return {
            "test": list(check.test),
            "interval": check.interval_ns,
            "timeout": check.timeout_ns,
            "retries": check.retries,
            "start_period": check.start_period_ns,
        }

    def start_container(self, container_id: str) -> None:
        with translate_errors(f"start container {container_id}", starting=True):
            self._api.start(container_id)

    def stop_container(self, container_id: str, timeout_s: int) -> None:
        with translate_errors(f"stop container {container_id}"):
            self._api.stop(container_id, timeout=timeout_s)

    def restart_container(self, container_id: str, timeout_s: int) -> None:
        with translate_errors(f"restart container {container_id}", starting=True):
            self._api.restart(container_id, timeout=timeout_s)

    def update_container(self, container_id: str, request: ContainerCreate) -> None:
        raise InvalidRequest(
            f"update container {container_id}: the Engine driver replaces containers; "
            "only an engine that runs replicas (Swarm) updates one in place"
        )

    def scale_container(self, container_id: str, replicas: int) -> None:
        raise InvalidRequest(
            f"scale container {container_id}: the Engine driver runs one container per "
            "replica; only an engine that runs replicas (Swarm) scales one"
        )

    def rename_container(self, container_id: str, new_name: str) -> None:
        with translate_errors(f"rename container {container_id} to {new_name}"):
            self._api.rename(container_id, new_name)

    def remove_container(self, container_id: str) -> None:
        try:
            with translate_errors(f"remove container {container_id}"):
                self._api.remove_container(container_id, v=True, force=True)
        except (ObjectNotFound, RemovalInProgress):
            # Gone, or someone else is already removing it: the outcome we want is on its way.
            return

    def container_logs(self, container_id: str, tail: int | None, follow: bool) -> Iterator[bytes]:
        # Opened eagerly so a missing container fails here, not at the first next().
        with translate_errors(f"read logs of container {container_id}"):
            stream = self._api.logs(
                container_id,
                stdout=True,
                stderr=True,
                stream=True,
                follow=follow,
                tail="all" if tail is None else tail,
            )
        return self._iterate_logs(container_id, stream)

    @staticmethod
    def _iterate_logs(container_id: str, stream: Any) -> Iterator[bytes]:
        try:
            with translate_errors(f"read logs of container {container_id}"):
                for chunk in stream:
                    yield bytes(chunk)
        finally:
            # A follower that stops reading (client gone) must not leave the socket open.
            stream.close()

    # --- images

    def inspect_image(self, ref: str) -> ImageInfo | None:
        return self._images.inspect(ref, self._inspect_image)

    def _inspect_image(self, ref: str) -> ImageInfo | None:
        try:
            with translate_errors(f"inspect image {ref}"):
                data = self._api.inspect_image(ref)
        except ObjectNotFound:
            return None
        return convert.image_info(data)

    def list_images(self, labels: dict[str, str] | None = None) -> list[ImageInfo]:
        with translate_errors("list images"):
            summaries = self._api.images(filters=convert.label_filters(self._scope(labels)))
        images = [convert.image_info(summary) for summary in summaries]
        return sorted(images, key=lambda image: image.id)

    @_changes_images
    def build_image(self, request: BuildRequest) -> BuildResult:
        if not os.path.isdir(request.context_dir):
            raise ImageBuildFailed(f"build of {request.tag}: no directory {request.context_dir}")
        unavailable, cli = self._buildkit_choice()
        if cli is not None:
            return BuildResult(self._build_with_buildkit(request, cli), BUILDKIT)
        fallback = f"BuildKit unavailable: {unavailable}"
        if request.secrets:
            raise ImageBuildFailed(
                f"build of {request.tag}: build secrets (the Image's spec.build.secrets) need "
                f"BuildKit, which this daemon cannot use ({fallback}); remove "
                "spec.build.secrets or give the daemon a BuildKit-capable engine and docker CLI"
            )
        try:
            image_id = self._build_classic(request)
        except ImageBuildFailed as failure:
            raise ImageBuildFailed(
                f"{failure}\n(built with {CLASSIC_BUILDER}: {fallback})"
            ) from failure
        return BuildResult(image_id, CLASSIC_BUILDER, fallback)

    def _buildkit_choice(self) -> tuple[str, str | None]:
        """("", the CLI) when builds can use BuildKit, else (why not, None)."""
        if not self._use_buildkit:
            return f"{BUILDKIT_ENV}=0", None
        refusal = self._engine_buildkit_refusal()
        if refusal:
            return refusal, None
        # Its own lock: the probe runs the CLI (seconds at worst), and every engine call
        # takes the client's.
        with self._probe_lock:
            if self._cli_probe is None:
                self._cli_probe = buildkit_cli.find_cli(os.environ)
            probe = self._cli_probe
        return probe.reason, probe.path

    def _engine_buildkit_refusal(self) -> str:
        """Why the engine cannot build with BuildKit, or "" (API 1.39+, Linux, not switched
        off in its daemon.json `features`, which /_ping reports as Builder-Version 1)."""
        api = self._api
        with (
            translate_errors("ping"),
            api.get(f"{api.base_url}/_ping", timeout=PING_TIMEOUT_S) as response,
        ):
            headers = response.headers
        if headers.get("Builder-Version") == "1":
            return "the engine has BuildKit switched off (features.buildkit false)"
        if headers.get("OSType", "linux").lower() != "linux":
            return f"the engine runs on {headers.get('OSType')}"
        major, _, minor = str(api.api_version).partition(".")
        if (int(major or 0), int(minor or 0)) < (1, 39):
            return f"the engine speaks API {api.api_version}, before BuildKit (1.39)"
        return ""

    def _build_with_buildkit(self, request: BuildRequest, cli: str) -> str:
        dockerfile = os.path.join(request.context_dir, request.dockerfile)
        if not os.path.isfile(dockerfile):
            raise ImageBuildFailed(f"build of {request.tag}: no Dockerfile {dockerfile}")
        dockerfile_text = _read_text(dockerfile)
        host = self._base_url or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
        with tempfile.TemporaryDirectory(prefix="dockform-build-") as scratch:
            iidfile = os.path.join(scratch, "image-id")
            buildkit_cli.run_build(
                buildkit_cli.build_command(cli, request, self._labels(request.labels), iidfile),
                buildkit_cli.build_environment(os.environ, host),
                cwd=request.context_dir,
                silence_timeout_s=self._build_timeout,
                tag=request.tag,
                dockerfile_text=dockerfile_text,
            )
            announced_id = _read_text(iidfile)
        return self._built_id(request.tag, announced_id)

    def _build_classic(self, request: BuildRequest) -> str:
        try:
            with translate_errors(f"build image {request.tag}"):
                chunks = self._api.build(
                    path=request.context_dir,
                    dockerfile=request.dockerfile,
                    tag=request.tag,
                    buildargs=dict(request.args) or None,
                    target=request.target,
                    labels=self._labels(request.labels),
                    nocache=request.no_cache,
                    rm=True,
                    forcerm=True,
                    decode=True,
                    timeout=self._build_timeout,
                )
                announced_id = consume_build(chunks, request.tag)
        except (ImageBuildFailed, RuntimeUnavailable):
            raise
        except RuntimeFailure as failure:
            # The Engine refusing the build (no Dockerfile, bad target) is the build failing.
            raise ImageBuildFailed(str(failure)) from failure
        return self._built_id(request.tag, announced_id)

    def _built_id(self, tag: str, announced_id: str | None) -> str:
        built = self.inspect_image(tag)
        if built is None:
            raise ImageBuildFailed(
                f"build of {tag} ended (announced id {announced_id}) but the tag is missing"
            )
        return built.id

    @_changes_images
    def pull_image(self, ref: str) -> str:
        repository, tag = docker.utils.parse_repository_tag(ref)
        api = self._api
        with translate_errors(f"pull image {ref}"):
            registry, _ = docker.auth.resolve_repository_name(repository)
            headers = configured_headers()
            auth_header = docker.auth.get_config_header(api, registry)
            if auth_header:
                headers["X-Registry-Auth"] = auth_header
            # docker-py's pull() sends its request with no timeout at all; a registry that
            # never answers must not hang a reconcile worker forever, so the same request
            # (docker-py's auth header, URL and errors) is sent here with a read timeout.
            response = api.post(
                engine_url(api, "/images/create"),
                params={"fromImage": repository, "tag": tag or "latest"},
                headers=headers,
                stream=True,
                timeout=self._pull_timeout,
            )
            raise_for_status(response)
            with response:
                consume_pull(json_stream(response.iter_content(chunk_size=None)), ref)
        pulled = self.inspect_image(ref)
        if pulled is None:
            raise RuntimeFailure(f"pull {ref}: finished but the image is not there")
        return pulled.id

    @_changes_images
    def load_image(self, tarball_path: str, ref: str) -> str:
        try:
            tarball = open(tarball_path, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError as exc:
            raise ObjectNotFound(f"load image: cannot open {tarball_path}: {exc}") from exc
        with tarball, translate_errors(f"load image {tarball_path}"):
            loaded = consume_load(self._api.load_image(tarball), tarball_path)
        if loaded and normalize_ref(ref) not in map(normalize_ref, loaded):
            # Saved under another name (or none): the wanted ref names what it holds.
            self.tag_image(loaded[0], ref)
        image = self.inspect_image(ref)
        if image is None:
            raise RuntimeFailure(f"load {tarball_path}: finished but {ref} is not there")
        return image.id

    @_changes_images
    def tag_image(self, image_id: str, ref: str) -> None:
        repository, tag = docker.utils.parse_repository_tag(ref)
        with translate_errors(f"tag image {image_id} as {ref}"):
            tagged = self._api.tag(image_id, repository, tag or "latest", force=True)
        if not tagged:
            raise RuntimeFailure(f"tag image {image_id} as {ref}: the engine refused")

    @_changes_images
    def remove_image(self, ref: str) -> None:
        try:
            with translate_errors(f"remove image {ref}"):
                self._api.remove_image(ref, force=False, noprune=False)
        except ObjectNotFound:
            return

    # --- networks

    def list_networks(self, labels: dict[str, str] | None = None) -> list[NetworkInfo]:
        with translate_errors("list networks"):
            summaries = self._api.networks(filters=convert.label_filters(self._scope(labels)))
        found: list[NetworkInfo] = []
        for summary in summaries:
            # The list endpoint leaves Containers empty; only inspect fills it.
            info = self.inspect_network(str(summary["Id"]))
            if info is not None:
                found.append(info)
        return sorted(found, key=lambda info: (info.name, info.id))

    def inspect_network(self, name_or_id: str) -> NetworkInfo | None:
        try:
            with translate_errors(f"inspect network {name_or_id}"):
                data = self._api.inspect_network(name_or_id)
        except ObjectNotFound:
            return None
        return convert.network_info(data)

    def create_network(self, request: NetworkCreate) -> str:
        return self._create_network(request, request.driver)

    def _create_network(self, request: NetworkCreate, driver: str, **scoped: Any) -> str:
        """`request` as a network of `driver`; `scoped` are more of the Engine's create
        arguments (the Swarm driver's attachable, swarm-scoped overlay)."""
        ipam = None
        if request.subnet or request.gateway:
            pool = docker.types.IPAMPool(subnet=request.subnet, gateway=request.gateway)
            ipam = docker.types.IPAMConfig(pool_configs=[pool])
        with translate_errors(f"create network {request.name}"):
            created = self._api.create_network(
                request.name,
                driver=driver,
                ipam=ipam,
                check_duplicate=True,
                internal=request.internal,
                labels=self._labels(request.labels),
                **scoped,
            )
        return str(created["Id"])

    def remove_network(self, name_or_id: str) -> None:
        try:
            with translate_errors(f"remove network {name_or_id}"):
                self._api.remove_network(name_or_id)
        except ObjectNotFound:
            return

    def connect_network(
        self,
        network: str,
        container_id: str,
        aliases: tuple[str, ...],
        *,
        ipv4_address: str | None = None,
        ipv6_address: str | None = None,
    ) -> None:
        with translate_errors(f"connect container {container_id} to network {network}"):
            self._api.connect_container_to_network(
                container_id,
                network,
                aliases=list(aliases) or None,
                ipv4_address=ipv4_address,
                ipv6_address=ipv6_address,
            )

    def disconnect_network(self, network: str, container_id: str) -> None:
        try:
            with translate_errors(f"disconnect container {container_id} from network {network}"):
                self._api.disconnect_container_from_network(container_id, network)
        except NotConnected:
            return  # the state asked for

    # --- volumes

    def list_volumes(self, labels: dict[str, str] | None = None) -> list[VolumeInfo]:
        with translate_errors("list volumes"):
            answer = self._api.volumes(filters=convert.label_filters(self._scope(labels)))
        volumes = [convert.volume_info(data) for data in answer.get("Volumes") or []]
        return sorted(volumes, key=lambda volume: volume.name)

    def inspect_volume(self, name: str) -> VolumeInfo | None:
        try:
            with translate_errors(f"inspect volume {name}"):
                data = self._api.inspect_volume(name)
        except ObjectNotFound:
            return None
        return convert.volume_info(data)

    def create_volume(self, request: VolumeCreate) -> str:
        with translate_errors(f"create volume {request.name}"):
            created = self._api.create_volume(
                request.name,
                driver=request.driver,
                driver_opts=dict(request.driver_opts) or None,
                labels=self._labels(request.labels),
            )
        return str(created["Name"])

    def remove_volume(self, name: str) -> None:
        try:
            with translate_errors(f"remove volume {name}"):
                self._api.remove_volume(name, force=False)
        except ObjectNotFound:
            return

    # --- events

    def events(self, stop: threading.Event) -> Iterator[RuntimeEvent]:
        for event in self._engine_events(stop, EVENT_TYPES):
            # Scoped like the lists: container events carry the container's labels, so those
            # of objects this runtime could not have made are dropped here. Network and volume
            # events carry no labels and pass.
            if event.type == "container" and not self._in_scope(event.labels):
                continue
            yield event

    def _engine_events(
        self, stop: threading.Event, types: tuple[str, ...]
    ) -> Iterator[RuntimeEvent]:
        """The Engine's events of `types`; while they are read, image answers are kept
        (`_image_cache`), dropped at every image event."""
        self._images.stream_started()
        try:
            for event in stream_events(self._api, stop, types):
                if event.type == "image":
                    self._images.forget()
                yield event
        finally:
            self._images.stream_ended()

    def _in_scope(self, labels: dict[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in self._extra_labels.items())
