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
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dockform import __version__
from dockform.api.app import create_app
from dockform.api.client import default_home
from dockform.api.deps import AppState
from dockform.api.server import load_or_create_token, parse_listen, serve
from dockform.controller.context import ReconcileContext
from dockform.controller.manager import Manager
from dockform.controller.reconcile_id import ReconcileIdFilter
from dockform.controller.reconcilers import REGISTRATIONS
from dockform.manifests.policy import host_access_issues
from dockform.runtime.docker_driver import DockerRuntime
from dockform.settings import Settings
from dockform.sources.directory import DirectorySync
from dockform.sources.files import ManifestCheck
from dockform.sources.git import GitSync
from dockform.sources.watch import DirectoryWatcher
from dockform.store.apply import Applier
from dockform.store.db import default_url
from dockform.store.migrate import upgrade_to_head
from dockform.store.repository import Store

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
    # Let Containers ask for privileged mode, host namespaces and dangerous host mounts.
    allow_host_access: bool = False
    watch: list[str] = field(default_factory=list)  # directories whose files are sources
    rescan_s: float = 30.0


def build_settings(options: DaemonOptions) -> Settings:
    """The one settings object, validated (ValueError naming the field) before anything runs."""
    registered = {registration.kind: registration.limits for registration in REGISTRATIONS}
    container = {"workers": options.workers, "timeout_s": registered["Container"].timeout_s}
    try:
        return Settings.model_validate(
            {
                "controller": {"resync_s": options.resync_s, "kinds": {"Container": container}},
                "sources": {"rescan_s": options.rescan_s},
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


def run_daemon(options: DaemonOptions) -> None:
    logging.basicConfig(
        level=os.environ.get("DOCKFORM_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s%(reconcile)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(ReconcileIdFilter())
    settings = build_settings(options)
    home = Path(options.home) if options.home else default_home()
    os.umask(0o077)
    home.mkdir(parents=True, exist_ok=True)
    tcp = parse_listen(options.listen) if options.listen else None
    roots = watch_roots(options.watch)
    store_url = options.store_url or default_url(str(home))
    upgrade_to_head(store_url)
    store = Store.open(store_url, migrate=False)
    # Both sources refuse host access like the API does, unless the daemon allows it.
    check: ManifestCheck | None = None if options.allow_host_access else host_access_issues
    if not INSTANCE_PATTERN.match(options.instance):
        raise ValueError(f"--instance {options.instance!r} must be a DNS label ([a-z0-9-], <= 63)")
    runtime = DockerRuntime(
        base_url=options.docker_host,
        extra_labels={**options.extra_labels, INSTANCE_LABEL: options.instance},
    )
    if not runtime.ping():
        log.warning("Docker Engine does not answer yet; the controller keeps retrying")
    # The GitSync needs the Applier, which tells the manager, which needs the GitSync (in the
    # context): the manager's method is bound late, through the lambda.
    applier = Applier(store, on_change=lambda keys: manager.desired_changed(keys))
    context = ReconcileContext(
        store=store,
        runtime=runtime,
        settings=settings.controller,
        git=GitSync(
            applier,
            home / "git",
            check=check,
            fetch_timeout_s=settings.sources.git_fetch_timeout_s,
        ),
    )
    manager = Manager(context)
    manager.start()
    watcher = (
        DirectoryWatcher(
            DirectorySync(applier, roots, check=check),
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
    token = load_or_create_token(home / "token") if tcp else None
    if options.allow_host_access:
        log.warning("--allow-host-access: Containers may get privileged mode and host access")
    app = create_app(
        AppState(
            store=store,
            applier=applier,
            controller=manager,
            version=__version__,
            allow_host_access=options.allow_host_access,
        )
    )
    socket_path = home / "dockform.sock"

    def ready() -> None:
        where = f"unix://{socket_path}" + (f" and tcp://{tcp[0]}:{tcp[1]}" if tcp else "")
        log.info("dockform %s serving on %s (store %s)", __version__, where, store_url)

    try:
        serve(app, socket_path, tcp=tcp, token=token, on_ready=ready)
    finally:
        log.info("stopping: containers keep running")
        if watcher is not None:
            watcher.stop()
        manager.stop()
