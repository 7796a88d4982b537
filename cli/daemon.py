"""`dockform daemon`: the composition root, the one module that wires every layer together.

Order at start: state directory (0700) and umask, migrations (alembic upgrade head), store,
Docker runtime, reconcilers and controller, the one `Applier` (every write of desired state,
told to the controller), sources, then the API listeners. SIGTERM stops the
listeners, then the sources and the controller; containers keep running.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from dockform import __version__
from dockform.api.app import create_app
from dockform.api.client import default_home
from dockform.api.deps import AppState
from dockform.api.server import Tls, parse_listen, serve, warn_if_clear_text
from dockform.api.token import BearerToken
from dockform.cli.heap import settle_heap
from dockform.cli.instance_lock import InstanceLock, engine_address
from dockform.controller.container_files import ContainerFiles, default_secrets_root
from dockform.controller.context import ReconcileContext
from dockform.controller.expectations import Expectations
from dockform.controller.facade import Controller
from dockform.controller.leadership import LeaderElector, Leadership
from dockform.controller.manager import Manager
from dockform.controller.reconcile_id import ReconcileIdFilter
from dockform.controller.reconcilers import REGISTRATIONS
from dockform.controller.webhook_secret import WebhookSecrets
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.host_paths import forbidden_reason, resolve_host_path
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.policy import host_access_issues
from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.errors import RuntimeFailure
from dockform.settings import HostAccessSettings, Settings
from dockform.sources.directory import DirectorySync
from dockform.sources.files import ManifestCheck
from dockform.sources.git import GitSync
from dockform.sources.watch import DirectoryWatcher
from dockform.store.apply import Applier
from dockform.store.changes import ChangeFeed
from dockform.store.db import default_url, is_shared_url, sqlite_files
from dockform.store.leases import LeaseFence, Leases
from dockform.store.migrate import upgrade_to_head
from dockform.store.repository import Store
from dockform.store.sealing import Sealer
from dockform.store.vault import KEY_FILE, Vault

log = logging.getLogger("dockform.daemon")
INSTANCE_LABEL = "io.dockform.instance"
INSTANCE_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass
class DaemonOptions:
    home: str | None = None
    store_url: str | None = None
    listen: str | None = None
    workers: int = 8  # the engine is the bottleneck: as many calls in flight as the floor uses
    resync_s: float = 60.0
    extra_labels: dict[str, str] = field(default_factory=dict)
    # Several daemons may share one engine (tests, benchmarks next to a real one): each sees
    # only objects stamped with its own instance, so none garbage-collects another's.
    instance: str = "default"
    docker_host: str | None = None
    # Let manifests ask for privileged mode, host namespaces and host paths anywhere.
    allow_host_access: bool = False
    # --host-path-root: host directories every manifest may name, besides its source's own.
    host_path_roots: list[str] = field(default_factory=list)
    watch: list[str] = field(default_factory=list)  # directories whose files are sources
    rescan_s: float = 30.0
    tls_cert: str | None = None  # PEM files: the TCP listener serves HTTPS with both
    tls_key: str | None = None
    # engine | swarm | auto (swarm when the engine is a Swarm manager), and with Swarm the
    # registry (host:port) built images are pushed to.
    engine: str = "engine"
    registry: str | None = None


def build_settings(options: DaemonOptions, source_roots: list[str] | None = None) -> Settings:
    """The one settings object, validated (ValueError naming the field) before anything runs.

    `source_roots` are the directories the daemon's sources read from (watched directories,
    the git cache), for the controller's host-access re-check.
    """
    registered = {registration.kind: registration.limits for registration in REGISTRATIONS}
    container = {"workers": options.workers, "timeout_s": registered["Container"].timeout_s}
    try:
        return Settings.model_validate(
            {
                "controller": {"resync_s": options.resync_s, "kinds": {"Container": container}},
                "sources": {"rescan_s": options.rescan_s},
                "host_access": {
                    "allow_host_access": options.allow_host_access,
                    "roots": host_path_roots(options.host_path_roots),
                    "source_roots": source_roots or [],
                },
            }
        )
    except ValidationError as error:
        raise ValueError(f"invalid daemon settings: {error}") from error


def watch_roots(directories: list[str]) -> list[str]:
    """The --watch directories as absolute paths; ValueError for a missing or nested one."""
    roots = [os.path.abspath(directory) for directory in directories]
    for root in roots:
        if not os.path.isdir(root):
            raise ValueError(f"--watch {root}: not a directory")
    for root in roots:
        for other in roots:
            if root != other and other.startswith(root.rstrip(os.sep) + os.sep):
                raise ValueError(f"--watch {other} is inside --watch {root}: give one of them")
    return list(dict.fromkeys(roots))


def host_path_roots(directories: list[str]) -> list[str]:
    """The --host-path-root directories as absolute paths; ValueError for a missing one or
    one that holds what no root may allow (`/`, `/var`, `/run`...)."""
    roots = [os.path.abspath(directory) for directory in directories]
    for root in roots:
        if not os.path.isdir(root):
            raise ValueError(f"--host-path-root {root}: not a directory")
        forbidden = forbidden_reason(resolve_host_path(root))
        if forbidden is not None:
            raise ValueError(f"--host-path-root {root}: {forbidden}; give a directory below it")
    return list(dict.fromkeys(roots))


def source_check(host_access: HostAccessSettings) -> ManifestCheck | None:
    """What the sources ask of every manifest: the host-access policy with the daemon's roots
    and the source's own directories; None when the daemon allows host access."""
    if host_access.allow_host_access:
        return None
    daemon_roots = list(host_access.roots)

    def check(
        loaded: Sequence[LoadedManifest], texts: Mapping[str, str], roots: Sequence[str]
    ) -> list[ManifestIssue]:
        return host_access_issues(loaded, texts, [*roots, *daemon_roots])

    return check


def run_daemon(options: DaemonOptions) -> None:
    logging.basicConfig(
        level=os.environ.get("DOCKFORM_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s%(reconcile)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(ReconcileIdFilter())
    home = Path(options.home) if options.home else default_home()
    roots = watch_roots(options.watch)
    settings = build_settings(options, [*roots, str(home.absolute() / "git")])
    if not INSTANCE_PATTERN.match(options.instance):
        raise ValueError(f"--instance {options.instance!r} must be a DNS label ([a-z0-9-], <= 63)")
    os.umask(0o077)
    home.mkdir(parents=True, exist_ok=True)
    tcp = parse_listen(options.listen) if options.listen else None
    tls = tls_files(options, tcp)
    store_url = options.store_url or default_url(str(home))
    make_private(home, sqlite_files(store_url))
    token = BearerToken.load_or_create(home / "token") if tcp else None
    # Secrets are sealed at apply and opened by the controller with this key (0600).
    vault = Vault.load_or_create(home / KEY_FILE)
    if tcp is not None:
        warn_if_clear_text(tcp[0], tls)
    # Before the store or the engine is touched: a second daemon of this instance must not act.
    # Daemons on a shared store (PostgreSQL) share the lock and elect a leader by its lease.
    lock = InstanceLock.acquire(
        options.instance,
        engine_address(options.docker_host),
        {"pid": os.getpid(), "home": str(home.absolute()), "socket": str(home / "dockform.sock")},
        shared=is_shared_url(store_url),
    )
    upgrade_to_head(store_url)
    store = Store.open(store_url, migrate=False)
    # Both sources refuse host access like the API does, unless the daemon allows it.
    check = source_check(settings.host_access)
    runtime, engine = make_runtime(options, settings)
    files = ContainerFiles(vault, default_secrets_root(options.instance), home / "configs")
    controller = start_controller(
        store, runtime, settings, options.instance, home, check, vault=vault, files=files
    )
    applier = Applier(store, on_change=controller.desired_changed, sealer=Sealer(vault))
    watcher = (
        DirectoryWatcher(
            DirectorySync(
                applier,
                roots,
                check=check,
                settle_s=settings.sources.settle_s,
                content_root=home / "content",
            ),
            debounce_s=settings.sources.debounce_s,
            rescan_s=settings.sources.rescan_s,
            write_grace_s=settings.sources.write_grace_s,
            retry=settings.sources.file_retry,
        )
        if roots
        else None
    )
    if watcher is not None:
        watcher.start()
    if options.allow_host_access:
        log.warning("--allow-host-access: manifests may get privileged mode and host access")
    app = create_app(
        AppState(
            store=store,
            applier=applier,
            controller=controller,
            version=__version__,
            engine=engine,
            allow_host_access=options.allow_host_access,
            host_path_roots=list(settings.host_access.roots),
            token=token,
            webhook_secrets=WebhookSecrets(store, vault, settings.host_access),
        )
    )
    socket_path = home / "dockform.sock"
    settle_heap()

    def ready() -> None:
        scheme = "https" if tls else "http"
        where = f"unix://{socket_path}" + (f" and {scheme}://{tcp[0]}:{tcp[1]}" if tcp else "")
        log.info("dockform %s serving on %s (store %s)", __version__, where, store_url)
        if tcp:
            log.info(
                "dashboard: %s://%s:%s/ (log in with the token in %s)",
                scheme,
                tcp[0],
                tcp[1],
                home / "token",
            )

    try:
        serve(app, socket_path, tcp=tcp, token=token, tls=tls, on_ready=ready)
    finally:
        log.info("stopping: containers keep running")
        if watcher is not None:
            watcher.stop()
        controller.stop()
        lock.release()


def make_runtime(options: DaemonOptions, settings: Settings) -> tuple[DockerRuntime, str]:
    """The driver `--engine` asks for, and its name (engine | swarm). ValueError for Swarm on
    an engine that is no manager (saying what to run), or a --registry without Swarm."""
    if options.engine not in ("engine", "swarm", "auto"):
        raise ValueError(f"--engine {options.engine!r}: choose engine, swarm or auto")
    kwargs: dict[str, Any] = {
        "base_url": options.docker_host,
        "timeout": settings.engine.call_timeout_s,
        "build_timeout": settings.engine.build_timeout_s,
        "pull_timeout": settings.engine.pull_timeout_s,
        "extra_labels": {**options.extra_labels, INSTANCE_LABEL: options.instance},
    }
    if options.engine == "engine":
        if options.registry:
            raise ValueError("--registry is for --engine swarm (or auto on a Swarm manager)")
        runtime = DockerRuntime(**kwargs)
        if not runtime.ping():
            log.warning("Docker Engine does not answer yet; the controller keeps retrying")
        return runtime, "engine"
    # Imported here: the Engine daemon has no use for the Swarm driver.
    from dockform.runtime.swarm_driver import SwarmRuntime

    swarm = SwarmRuntime(registry=options.registry, **kwargs)
    try:
        refusal = swarm.swarm_refusal()
    except RuntimeFailure as error:
        raise ValueError(
            f"--engine {options.engine}: cannot ask the Docker Engine whether it is a Swarm "
            f"manager ({error}); start it, or run with --engine engine"
        ) from error
    if not refusal:
        log.info("engine: Docker Swarm (services on this manager)")
        return swarm, "swarm"
    if options.engine == "swarm":
        raise ValueError(f"--engine swarm: {refusal}")
    swarm.close()
    if options.registry:
        raise ValueError(f"--registry needs a Swarm manager; --engine auto found: {refusal}")
    log.info("engine: Docker Engine (--engine auto: %s)", refusal)
    return DockerRuntime(**kwargs), "engine"


class RunningController(Controller, Protocol):
    def stop(self) -> None: ...


def start_controller(
    store: Store,
    runtime: DockerRuntime,
    settings: Settings,
    instance: str,
    home: Path,
    check: ManifestCheck | None,
    vault: Vault | None = None,
    files: ContainerFiles | None = None,
) -> RunningController:
    """The controller of this daemon, started: a Manager of its own on a store of its own; on a
    shared store, a Leadership that runs one only while this daemon holds the lease."""

    def context(on: Store, leading: Callable[[], bool] | None) -> ReconcileContext:
        # GitSources apply what they fetch through the controller's own (fenced) store.
        git_applier = Applier(
            on, on_change=lambda keys: running.desired_changed(keys), sealer=Sealer(vault)
        )
        return ReconcileContext(
            store=on,
            runtime=runtime,
            settings=settings.controller,
            expectations=Expectations(ttl_s=settings.controller.expectations_ttl_s),
            host_access=settings.host_access,
            git=GitSync(
                git_applier,
                home / "git",
                check=check,
                fetch_timeout_s=settings.sources.git_fetch_timeout_s,
            ),
            leading=leading,
            vault=vault,
            files=files,
        )

    running: RunningController
    if not store.shared:
        running = Manager(context(store, None))
        running.start()
        return running
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    fence = LeaseFence(f"controller/{instance}", holder)
    fenced = store.fenced(fence)
    leadership = Leadership(
        lambda on_lead, on_follow: LeaderElector(
            Leases(store), fence, on_lead=on_lead, on_follow=on_follow
        ),
        make_manager=lambda: Manager(context(fenced, leadership.leading)),
        idle=Manager(context(store, lambda: False)),
        feed=ChangeFeed(store, holder),
    )
    running = leadership
    log.info("shared store: daemon %s elects a leader by lease %s", holder, fence.name)
    leadership.start()
    return running


# --- credentials and transport: the state directory's modes, the TLS files


def tls_files(options: DaemonOptions, tcp: tuple[str, int] | None) -> Tls | None:
    """The TCP listener's certificate and key, checked; ValueError for one alone or a bad one."""
    if options.tls_cert is None and options.tls_key is None:
        return None
    if options.tls_cert is None or options.tls_key is None:
        given = "--tls-cert" if options.tls_cert else "--tls-key"
        raise ValueError(f"{given} needs its pair: give both --tls-cert FILE and --tls-key FILE")
    if tcp is None:
        raise ValueError("--tls-cert and --tls-key are for the TCP listener: add --listen")
    tls = Tls(Path(options.tls_cert).resolve(), Path(options.tls_key).resolve())
    tls.check()
    return tls


def make_private(home: Path, store_files: list[Path]) -> None:
    """Take group and other access away from the home (0700), its token and the store (0600).

    They hold the token and every manifest (with its environment). A path that is not ours to
    change is refused rather than used; a shared directory (sticky, like /tmp) is never a home.
    """
    home_mode = stat.S_IMODE(home.stat().st_mode)
    if home_mode & stat.S_ISVTX or home_mode & stat.S_IWOTH:
        raise ValueError(
            f"--home {home} is a shared directory (mode {home_mode:o}): give a directory of its "
            "own, e.g. ~/.dockform"
        )
    _private(home, 0o700)
    for path in [home / "token", *store_files]:
        if path.exists():
            _private(path, 0o600)


def _private(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if not current & 0o077:
        return
    try:
        os.chmod(path, mode)
    except PermissionError as error:
        raise ValueError(
            f"{path} is open to other users (mode {current:o}) and not ours to change: "
            f"chmod {mode:o} {path}, as its owner"
        ) from error
    log.warning("%s was open to other users (mode %o): changed to %o", path, current, mode)
