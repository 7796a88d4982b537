"""Event mappers kinds register: which engine events concern which resource keys.

A mapper turns one `RuntimeEvent` into the keys to reconcile, reading desired state through
`KeyLookup` (the store) when the event alone cannot say. The manager runs every registered
mapper on every event and drops the keys whose event a reconcile caused itself
(`controller.expectations`).
"""

from __future__ import annotations

from collections.abc import Sequence

from dockform.controller.registry import EventMapper, Key, KeyLookup
from dockform.manifests.namespaces import ObjectKey, engine_name_holders
from dockform.runtime.types import KIND_LABEL, MANAGED_LABEL, RuntimeEvent, label_key


def labelled_objects(event_type: str, kind: str, actions: frozenset[str]) -> EventMapper:
    """Events of `event_type` objects that carry our labels for `kind`: the key they name."""

    def mapper(event: RuntimeEvent, lookup: KeyLookup) -> Sequence[Key]:
        if event.type != event_type or event.action not in actions:
            return ()
        if event.labels.get(MANAGED_LABEL) != "true" or event.labels.get(KIND_LABEL) != kind:
            return ()
        namespace, name = label_key(event.labels)
        return (ObjectKey(kind, namespace, name),)

    return mapper


def named_objects(
    event_type: str, kind: str, actions: frozenset[str], *, unmanaged_only: bool = False
) -> EventMapper:
    """Events of `event_type` objects by their engine name, when a resource of `kind` has
    that name (networks and volumes: their events carry no labels of ours). With
    `unmanaged_only`, events of objects labelled as ours are left to `labelled_objects`."""

    def mapper(event: RuntimeEvent, lookup: KeyLookup) -> Sequence[Key]:
        if event.type != event_type or event.action not in actions:
            return ()
        if unmanaged_only and event.labels.get(MANAGED_LABEL) == "true":
            return ()
        engine_name = event.labels.get("name", event.id)
        return tuple(
            ObjectKey(kind, namespace, name)
            for namespace, name in engine_name_holders(engine_name)
            if lookup.get(kind, name, namespace) is not None
        )

    return mapper
