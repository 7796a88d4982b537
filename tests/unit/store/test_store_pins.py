"""store.pins through the Applier: rollback copies an earlier revision into a new generation
and pins it against the object's source; the source's same content leaves it alone, new
content ends the pin, and unpin brings the source's spec back. store.history says what each
revision changed and what made the object."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dockform.manifests.loader import LoadedManifest
from dockform.manifests.namespaces import key
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.errors import Conflict, NotFound
from dockform.store.history import explain, history
from dockform.store.repository import Store
from tests.changes import Changes

MakeManifest = Callable[..., LoadedManifest]


def _web(manifest: MakeManifest, greeting: str, namespace: str | None = None) -> LoadedManifest:
    spec = {"image": "busybox:test", "env": {"GREETING": greeting}}
    return manifest("Container", "web", spec, namespace=namespace)


def _greeting(store: Store, namespace: str = "default") -> str:
    stored = store.get("Container", "web", namespace)
    assert stored is not None
    return str(stored.spec["env"]["GREETING"])


def test_rollback_copies_the_revision_before_as_a_new_pinned_generation(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([_web(manifest, "one")], source="git:prod", revision="c1"))
    applier.apply(ApplyRequest([_web(manifest, "two")], source="git:prod", revision="c2"))
    changes.clear()

    rolled = applier.rollback("Container", "web")

    assert (rolled.generation, _greeting(store)) == (3, "one")
    assert rolled.pin is not None
    assert (rolled.pin.rolled_back_to, rolled.pin.source_generation) == (1, 2)
    assert rolled.pin.source_revision == "c2"
    assert changes == [key("Container", "web")]
    revisions = store.list_revisions("Container", "web")
    assert [(r.generation, r.source) for r in revisions] == [
        (1, "git:prod"),
        (2, "git:prod"),
        (3, "rollback:1"),
    ]
    shown = history(rolled, revisions, with_spec=False)
    assert [item.changed for item in shown.items] == [
        ["spec"],
        ["spec.env.GREETING"],
        ["spec.env.GREETING"],
    ]


def test_the_sources_same_content_keeps_the_pin_and_new_content_ends_it(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_web(manifest, "one")], source="git:prod", revision="c1"))
    applier.apply(ApplyRequest([_web(manifest, "two")], source="git:prod", revision="c2"))
    applier.rollback("Container", "web")

    again = applier.apply(ApplyRequest([_web(manifest, "two")], source="git:prod", revision="c2"))
    assert again[0].action == "unchanged" and _greeting(store) == "one"

    newer = applier.apply(ApplyRequest([_web(manifest, "two")], source="git:prod", revision="c3"))
    assert newer[0].action == "configured" and _greeting(store) == "two"
    stored = store.get("Container", "web")
    assert stored is not None and stored.pin is None and stored.generation == 4


def test_the_cli_source_reapplying_the_rolled_back_spec_keeps_the_pin(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_web(manifest, "one")]))
    applier.apply(ApplyRequest([_web(manifest, "two")]))
    applier.rollback("Container", "web", to=1)

    applier.apply(ApplyRequest([_web(manifest, "two")]))
    assert _greeting(store) == "one"
    applier.apply(ApplyRequest([_web(manifest, "three")]))
    assert _greeting(store) == "three"


def test_unpin_brings_the_sources_spec_back(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_web(manifest, "one", "shop")], source="dir:shop.yaml"))
    applier.apply(ApplyRequest([_web(manifest, "two", "shop")], source="dir:shop.yaml"))
    applier.rollback("Container", "web", "shop")
    applier.rollback("Container", "web", "shop", to=2)  # rolled forward again: still pinned
    assert _greeting(store, "shop") == "two"

    unpinned = applier.unpin("Container", "web", "shop")

    assert unpinned.pin is None and _greeting(store, "shop") == "two"
    with pytest.raises(Conflict, match="not pinned"):
        applier.unpin("Container", "web", "shop")


def test_rollback_refusals_name_what_to_do(applier: Applier, manifest: MakeManifest) -> None:
    with pytest.raises(NotFound):
        applier.rollback("Container", "web")
    applier.apply(ApplyRequest([_web(manifest, "one")]))
    with pytest.raises(NotFound, match="no earlier revision"):
        applier.rollback("Container", "web")
    with pytest.raises(NotFound, match="dockform history"):
        applier.rollback("Container", "web", to=7)
    with pytest.raises(Conflict, match="already runs"):
        applier.rollback("Container", "web", to=1)


def test_explain_names_what_made_the_running_container(
    applier: Applier, store: Store, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([_web(manifest, "one")]))
    applier.apply(ApplyRequest([_web(manifest, "two")]))
    resource = store.get("Container", "web")
    assert resource is not None
    running = resource.model_copy(
        update={
            "status": resource.status.model_copy(
                update={
                    "observed": {
                        "containerId": "c",
                        "madeFor": {
                            "generation": 2,
                            "imageId": "sha256:b",
                            "contents": ["Secret/db sha256:2"],
                        },
                        "madeBecause": {
                            "cause": "config hash changed",
                            "previous": {
                                "generation": 1,
                                "imageId": "sha256:a",
                                "contents": ["Secret/db sha256:1"],
                            },
                        },
                    }
                }
            )
        }
    )

    found = explain(running, store.list_revisions("Container", "web"))

    assert [(change.what, change.fields) for change in found.changes] == [
        ("spec", ["spec.env.GREETING"]),
        ("image", []),
        ("content", []),
    ]
    assert "config hash changed" in found.summary
    assert explain(resource, store.list_revisions("Container", "web")).changes[0].what == "spec"


def test_scale_sets_replicas_as_a_new_generation_and_keeps_the_spec_hash(
    applier: Applier, store: Store, manifest: MakeManifest, changes: Changes
) -> None:
    applier.apply(ApplyRequest([_web(manifest, "one")], source="cli"))
    before = store.get("Container", "web")
    assert before is not None
    changes.clear()

    scaled = applier.scale("Container", "web", 3)

    assert (scaled.generation, scaled.spec["replicas"]) == (2, 3)
    assert scaled.spec_hash == before.spec_hash  # no running replica is replaced
    assert changes == [key("Container", "web")]
    revisions = store.list_revisions("Container", "web")
    assert [(r.generation, r.source) for r in revisions] == [(1, "cli"), (2, "scale")]
    assert history(scaled, revisions, with_spec=False).items[1].changed == ["spec.replicas"]
    changes.clear()
    assert applier.scale("Container", "web", 3).generation == 2  # the same count: no change
    assert changes == []
    # Its manifest applied again sets replicas as the manifest says (unset: one container).
    applier.apply(ApplyRequest([_web(manifest, "one")], source="cli"))
    again = store.get("Container", "web")
    assert again is not None and "replicas" not in again.spec


def test_scale_refuses_kinds_without_replicas_and_unknown_objects(
    applier: Applier, manifest: MakeManifest
) -> None:
    applier.apply(ApplyRequest([manifest("Volume", "data", {})], source="cli"))
    with pytest.raises(Conflict, match="only a Container scales"):
        applier.scale("Volume", "data", 2)
    with pytest.raises(NotFound):
        applier.scale("Container", "nothing", 2)
