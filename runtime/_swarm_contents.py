"""Swarm secrets and configs made from the Secret and Config files a Container mounts.

The executor writes a Container's Secret and Config files on the daemon's host (see
`controller.container_files`); the Engine driver binds them. A Swarm task may run on any node,
where that file does not exist, so the Swarm driver makes a Swarm secret (for a Secret) or
config (for a Config) of each file's content and gives it to the service's tasks at the same
target, owner and mode. Swarm keeps secrets encrypted in its Raft log and hands them only to
the nodes running a task that uses them.

Their content cannot change: new content is a new object (its name ends with the content's
digest, `_swarm_spec.content_name`). After an update the service's objects that neither its
spec nor its previous spec (what a rollback returns to) use are removed, and all of them with
the service.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

from dockform.runtime import _swarm_convert as swarm
from dockform.runtime._docker_errors import translate_errors
from dockform.runtime._swarm_spec import CONTENT_SERVICE_LABEL, ContentRef, content_name
from dockform.runtime.errors import RuntimeFailure
from dockform.runtime.types import ContainerCreate, Mount

_KINDS = ("secret", "config")


class SwarmContents:
    """Makes and removes a service's secrets and configs through the driver's docker-py
    APIClient, asked for at each call (`api`): the driver connects lazily and connects again
    after it dropped a broken client."""

    def __init__(self, api: Callable[[], Any]) -> None:
        self._client = api

    @property
    def _api(self) -> Any:
        return self._client()

    def refs(self, request: ContainerCreate, labels: dict[str, str]) -> tuple[ContentRef, ...]:
        """The secrets and configs for the request's Secret and Config files, made when they
        do not exist yet, labelled `labels` and with the service they are for."""
        refs = []
        for mount in request.mounts:
            if mount.content is None:
                continue
            data, stat = self._read(request.name, mount)
            name = content_name(request.name, mount.source, hashlib.sha256(data).hexdigest())
            object_labels = {**labels, CONTENT_SERVICE_LABEL: request.name}
            refs.append(
                ContentRef(
                    kind=mount.content,
                    object_id=self._ensure(mount.content, name, data, object_labels),
                    name=name,
                    target=mount.target,
                    uid=stat.st_uid,
                    gid=stat.st_gid,
                    mode=stat.st_mode & 0o777,
                )
            )
        return tuple(refs)

    def _read(self, service: str, mount: Mount) -> tuple[bytes, os.stat_result]:
        try:
            with open(mount.source, "rb") as handle:
                return handle.read(), os.fstat(handle.fileno())
        except OSError as error:
            raise RuntimeFailure(
                f"service {service}: cannot read the {mount.content} file for {mount.target} "
                f"({mount.source}): {error.strerror}; the daemon writes it just before, so "
                "look at the daemon's files directory and its log"
            ) from error

    def _ensure(self, kind: str, name: str, data: bytes, labels: dict[str, str]) -> str:
        for found in self._list(kind, {"name": [name]}):
            if found.get("Spec", {}).get("Name") == name:
                return str(found["ID"])
        with translate_errors(f"create {kind} {name}"):
            if kind == "secret":
                made = self._api.create_secret(name=name, data=data, labels=labels)
            else:
                made = self._api.create_config(name=name, data=data, labels=labels)
        return str(made["ID"])

    def _list(self, kind: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        with translate_errors(f"list {kind}s"):
            listing = self._api.secrets if kind == "secret" else self._api.configs
            return list(listing(filters=filters))

    def sweep(self, service_name: str, service: dict[str, Any] | None) -> None:
        """Remove the secrets and configs made for `service_name` that `service` (its state
        now; None once removed) no longer uses. One still in use elsewhere stays."""
        keep = swarm.content_ids(service) if service is not None else set()
        for kind in _KINDS:
            for found in self._list(kind, {"label": [f"{CONTENT_SERVICE_LABEL}={service_name}"]}):
                if str(found["ID"]) in keep:
                    continue
                try:
                    with translate_errors(f"remove {kind} {found['ID']}"):
                        if kind == "secret":
                            self._api.remove_secret(found["ID"])
                        else:
                            self._api.remove_config(found["ID"])
                except RuntimeFailure:
                    continue  # in use (a task still stopping): the next sweep removes it
