"""Why a container exists: what it was made from, and why it was made, on its own labels.

Every container dockform creates carries `io.dockform.made-for` (the generation of its spec,
its image id, the digests of the Secrets and Configs it mounts, where its source binds led)
and `io.dockform.made-because` (the plan's cause: `not found`, `config hash changed`, ...,
and the made-for of the container it replaced). Neither is part of the hash, so containers
made before these labels existed are left alone. The status shows both
(`ContainerObserved.made_for` / `made_because`), and `dockform explain` turns them into the
fields, image or content whose change made the running container.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from dockform.runtime.types import MADE_BECAUSE_LABEL, MADE_FOR_LABEL, ContainerCreate


def made_for(
    generation: int, image_id: str | None, contents: Sequence[str], bind_targets: Sequence[str]
) -> dict[str, Any]:
    made: dict[str, Any] = {"generation": generation, "imageId": image_id}
    if contents:
        made["contents"] = sorted(contents)
    if bind_targets:
        made["bindTargets"] = list(bind_targets)
    return made


def with_provenance(
    request: ContainerCreate,
    made: Mapping[str, Any],
    cause: str,
    previous: Mapping[str, str] | None,
) -> ContainerCreate:
    """`request` labelled with what it is made for and why (`previous`: the labels of the
    container it replaces)."""
    because: dict[str, Any] = {"cause": cause}
    before = read(previous or {}, MADE_FOR_LABEL)
    if before is not None:
        because["previous"] = before
    labels = {
        **request.labels,
        MADE_FOR_LABEL: json.dumps(dict(made), separators=(",", ":"), sort_keys=True),
        MADE_BECAUSE_LABEL: json.dumps(because, separators=(",", ":"), sort_keys=True),
    }
    return replace(request, labels=labels)


def read(labels: Mapping[str, str], label: str) -> dict[str, Any] | None:
    """The JSON object in `label`, or None (absent or unreadable)."""
    text = labels.get(label)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def made_for_generation(labels: Mapping[str, str]) -> int | None:
    """The spec generation a container (or a Swarm task) was made for, from its labels."""
    generation = (read(labels, MADE_FOR_LABEL) or {}).get("generation")
    return generation if isinstance(generation, int) else None
