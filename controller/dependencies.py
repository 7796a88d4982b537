"""Who depends on whom, decided from desired state alone (pure functions).

A Container depends on the Image it runs (matched by the Image's name or its `ref`), the
Networks and Volumes it names, and the Containers in its `dependsOn`. The manager uses
`dependents` to requeue waiting objects the moment a dependency's status changes, and deletion
uses `referrers` to report what still points at an object being deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dockform.store.types import Resource

Key = tuple[str, str]


def image_matches(image_resource: Resource, image: str) -> bool:
    return image_resource.name == image or image_resource.spec.get("ref") == image


def find_image_resource(image: str, images: Iterable[Resource]) -> Resource | None:
    """The Image resource a container's `image` names; by name first, then by ref."""
    candidates = [resource for resource in images if resource.kind == "Image"]
    by_name = [resource for resource in candidates if resource.name == image]
    if by_name:
        return by_name[0]
    by_ref = sorted(
        (resource for resource in candidates if resource.spec.get("ref") == image),
        key=lambda resource: resource.name,
    )
    return by_ref[0] if by_ref else None


def requirements(container: Resource) -> list[Key]:
    """The (kind, name) keys a Container needs, except its image (matched by ref)."""
    spec = container.spec
    keys: list[Key] = [("Network", name) for name in spec.get("networks", [])]
    keys += [
        ("Volume", mount["volume"]) for mount in spec.get("volumes", []) if mount.get("volume")
    ]
    keys += [("Container", dependency["name"]) for dependency in spec.get("dependsOn", [])]
    return keys


def depends_on(container: Resource, target: Resource) -> bool:
    if container.kind != "Container":
        return False
    if target.kind == "Image":
        return image_matches(target, str(container.spec.get("image", "")))
    return target.key in requirements(container)


def dependents(target: Resource, resources: Sequence[Resource]) -> list[Key]:
    """Keys of resources that must be reconciled again when `target` changes status."""
    return DependencyIndex(resources).dependents(target)


class DependencyIndex:
    """`dependents` for many targets over one set of Containers: built once (linear), then
    each lookup costs a dict access instead of a pass over every Container."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._by_requirement: dict[Key, set[Key]] = {}
        self._by_image: dict[str, set[Key]] = {}
        for resource in resources:
            if resource.kind != "Container":
                continue
            for needed in requirements(resource):
                self._by_requirement.setdefault(needed, set()).add(resource.key)
            image = str(resource.spec.get("image", ""))
            self._by_image.setdefault(image, set()).add(resource.key)

    def dependents(self, target: Resource) -> list[Key]:
        if target.kind == "Image":
            found = self._by_image.get(target.name, set())
            ref = target.spec.get("ref")
            if ref is not None:
                found = found | self._by_image.get(str(ref), set())
        else:
            found = self._by_requirement.get(target.key, set())
        return sorted(found)


def referrers(target: Resource, resources: Sequence[Resource]) -> list[Key]:
    """Live (not being deleted) resources that still reference `target`."""
    return sorted(
        resource.key
        for resource in resources
        if not resource.deleting and depends_on(resource, target)
    )
