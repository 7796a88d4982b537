"""`dockform daemon`: the composition root, the one module that wires every layer together.

Order at start: state directory (0700) and umask, migrations (alembic upgrade head), store,
Docker runtime, reconcilers and controller, sources, then the API listeners. SIGTERM stops the
listeners, then the sources and the controller; containers keep running.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from api.app import create_app
from api.client import default_home
from api.deps import AppState
from api.server import load_or_create_token, parse_listen, serve
from controller.manager import Manager
from controller.reconcilers.base import ReconcileContext, Reconciler
from controller.reconcilers.container import ContainerReconciler
from controller.reconcilers.image import ImageReconciler
from runtime.docker_driver import DockerRuntime
from store.db import default_url
from store.migrate import upgrade_to_head
from store.repository import Store

log = logging.getLogger("dockform.daemon")
VERSION = "0.1.0"


@dataclass
class DaemonOptions:
    home: str | None = None
    store_url: str | None = None
    listen: str | None = None
    workers: int = 4
    resync_s: float = 60.0
    extra_labels: dict[str, str] = field(default_factory=dict)
    docker_host: str | None = None


def build_reconcilers(context: ReconcileContext) -> dict[str, Reconciler]:
    reconcilers: list[Reconciler] = [ImageReconciler(context), ContainerReconciler(context)]
    return {reconciler.kind: reconciler for reconciler in reconcilers}


def run_daemon(options: DaemonOptions) -> None:
    logging.basicConfig(
        level=os.environ.get("DOCKFORM_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    home = Path(options.home) if options.home else default_home()
    os.umask(0o077)
    home.mkdir(parents=True, exist_ok=True)
    tcp = parse_listen(options.listen) if options.listen else None
    store_url = options.store_url or default_url(str(home))
    upgrade_to_head(store_url)
    store = Store.open(store_url, migrate=False)
    runtime = DockerRuntime(base_url=options.docker_host, extra_labels=options.extra_labels)
    if not runtime.ping():
        log.warning("Docker Engine does not answer yet; the controller keeps retrying")
    manager = Manager(
        store,
        runtime,
        build_reconcilers(ReconcileContext(store=store, runtime=runtime)),
        workers=options.workers,
        resync_interval_s=options.resync_s,
    )
    manager.start()
    token = load_or_create_token(home / "token") if tcp else None
    app = create_app(AppState(store=store, controller=manager, version=VERSION))
    socket_path = home / "dockform.sock"

    def ready() -> None:
        where = f"unix://{socket_path}" + (f" and tcp://{tcp[0]}:{tcp[1]}" if tcp else "")
        log.info("dockform %s serving on %s (store %s)", VERSION, where, store_url)

    try:
        serve(app, socket_path, tcp=tcp, token=token, on_ready=ready)
    finally:
        log.info("stopping: containers keep running")
        manager.stop()
