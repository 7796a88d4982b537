"""Many threads on one store: no "database is locked", no lost writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from dockform.manifests.loader import LoadedManifest
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.repository import Store
from dockform.store.types import ResourceStatus
from tests.changes import Changes

MakeManifest = Callable[..., LoadedManifest]
THREADS = 8
ROUNDS = 15


def test_eight_threads_write_at_once_without_locking_errors(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([manifest("Network", "shared")]))
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        start.wait()
        for round_ in range(ROUNDS):
            name = f"vol-{index}-{round_}"
            applier.apply(ApplyRequest([manifest("Volume", name)], source=f"git:w{index}"))
            store.write_status("Volume", name, ResourceStatus(phase="Ready", observed={"r": 1}))
            store.write_status("Network", "shared", ResourceStatus(observed={"by": index}))
            store.record_event("Volume", name, "Normal", "Created", f"round {round_}")
            store.record_event("Network", "shared", "Normal", "Touched", f"by {index}")
            store.list(labels={"missing": "x"})
            store.upsert_source(f"git:w{index}", revision=str(round_))

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker, index) for index in range(THREADS)]:
            future.result()

    volumes = store.list("Volume")
    assert len(volumes) == THREADS * ROUNDS
    assert all(volume.status.phase == "Ready" for volume in volumes)
    assert len(store.list_events("Volume", limit=1000)) == THREADS * ROUNDS
    assert {record.revision for record in store.list_sources() if record.type == "git"} == {
        str(ROUNDS - 1)
    }
    assert len([key for key in changes if key[0] == "Volume"]) == THREADS * ROUNDS


def test_concurrent_applies_of_the_same_object_create_it_once(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    start = threading.Barrier(THREADS)

    def worker(_: int) -> str:
        start.wait()
        return applier.apply(ApplyRequest([manifest("Network", "net")]))[0].action

    with ThreadPoolExecutor(THREADS) as pool:
        actions = sorted(pool.map(worker, range(THREADS)))

    assert actions == ["created"] + ["unchanged"] * (THREADS - 1)
    stored = store.get("Network", "net")
    assert stored is not None and stored.resource_version == 1


def test_an_in_memory_store_serves_several_threads(manifest: MakeManifest) -> None:
    store = Store.open("sqlite://")
    applier = Applier(store, on_change=lambda keys: None)
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(
                pool.map(
                    lambda index: applier.apply(ApplyRequest([manifest("Volume", f"v-{index}")])),
                    range(THREADS * 4),
                )
            )
        assert len(store.keys()) == THREADS * 4
    finally:
        store.close()
