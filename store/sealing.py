"""Secret and Config content, read and sealed at apply: `Sealer`.

The Applier (`store.apply`) hands every apply's manifests to the Sealer before it writes. For
each Secret and Config it reads the one value the spec names (`value`, `file` on the daemon's
host, or `env`, a variable of the daemon's environment), records its `sha256`, and keeps the
content: a Secret's encrypted (`sealed`, `store.vault`) with its `value`, if any, replaced by
`<redacted sha256:...>`; a file Config's in `data` (base64). So the store never holds a
Secret in clear, and what the API answers (the stored spec) never shows it. A missing file or
unset variable is `ContentUnavailable` (422) naming the object, file and line.

Sealing is idempotent: a Secret whose `value` is the placeholder and whose `sealed` opens to
that digest passes as it is.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from dockform.manifests.errors import ManifestIssue
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.models import (
    MAX_CONTENT,
    REDACTED_PATTERN,
    Config,
    ContentSpec,
    Secret,
    redacted,
)
from dockform.store.errors import ContentUnavailable
from dockform.store.vault import SealBroken, Vault, seal_context


class _Unavailable(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class Sealer:
    def __init__(self, vault: Vault | None, environ: Mapping[str, str] | None = None) -> None:
        self._vault = vault
        self._environ = os.environ if environ is None else environ

    def seal(self, manifests: Sequence[LoadedManifest]) -> list[LoadedManifest]:
        """`manifests` with every Secret and Config content read and recorded; raises
        ContentUnavailable listing every one that cannot be."""
        sealed: list[LoadedManifest] = []
        issues: list[ManifestIssue] = []
        for loaded in manifests:
            manifest = loaded.manifest
            if not isinstance(manifest, Secret | Config):
                sealed.append(loaded)
                continue
            try:
                spec = self._sealed_spec(manifest)
            except _Unavailable as problem:
                issues.append(
                    ManifestIssue(
                        file=loaded.file,
                        document=loaded.document,
                        line=loaded.line,
                        path=problem.path,
                        message=str(problem),
                        kind=loaded.kind,
                        name=loaded.name,
                    )
                )
                continue
            document = manifest.model_copy(update={"spec": spec})
            sealed.append(_replace_manifest(loaded, document))
        if issues:
            raise ContentUnavailable(issues)
        return sealed

    def _sealed_spec(self, manifest: Secret | Config) -> ContentSpec:
        spec = manifest.spec
        name = manifest.metadata.name
        if isinstance(manifest, Secret):
            if self._vault is None:
                raise _Unavailable("spec", "this daemon has no secret key to keep Secrets with")
            kept = self._already_sealed(manifest)
            if kept is not None:
                return kept
            content = self._content(spec, manifest.spec.env)
            digest = hashlib.sha256(content).hexdigest()
            return manifest.spec.model_copy(
                update={
                    "sha256": digest,
                    "sealed": self._vault.seal(
                        seal_context(manifest.kind, manifest.metadata.namespace, name), content
                    ),
                    "value": None if spec.value is None else redacted(digest),
                }
            )
        content = self._content(spec, None)
        digest = hashlib.sha256(content).hexdigest()
        update: dict[str, str | None] = {"sha256": digest, "data": None}
        if spec.file is not None:
            update["data"] = base64.b64encode(content).decode()
        return manifest.spec.model_copy(update=update)

    def _already_sealed(self, manifest: Secret) -> ContentSpec | None:
        spec = manifest.spec
        if spec.value is None or not re.fullmatch(REDACTED_PATTERN, spec.value):
            return None
        placeholder = (
            "spec.value is the placeholder `dockform get -o yaml` shows in place of the "
            "secret, not a value; give the value itself (or file or env)"
        )
        if spec.sealed is None or self._vault is None:
            raise _Unavailable("spec.value", placeholder)
        try:
            context = seal_context(
                manifest.kind, manifest.metadata.namespace, manifest.metadata.name
            )
            content = self._vault.open(context, spec.sealed)
        except SealBroken as error:
            raise _Unavailable("spec.value", placeholder) from error
        digest = hashlib.sha256(content).hexdigest()
        if redacted(digest) != spec.value:
            raise _Unavailable("spec.value", placeholder)
        return spec.model_copy(update={"sha256": digest})

    def _content(self, spec: ContentSpec, env: str | None) -> bytes:
        if spec.value is not None:
            return spec.value.encode()
        if env is not None:
            value = self._environ.get(env)
            if value is None:
                raise _Unavailable(
                    "spec.env",
                    f"the daemon's environment has no variable {env}; set it where the daemon "
                    "starts (e.g. systemd Environment=) or give value or file",
                )
            return value.encode()
        return _read_file(str(spec.file))


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            content = handle.read(MAX_CONTENT + 1)
    except FileNotFoundError:
        raise _Unavailable(
            "spec.file", f"{path} does not exist on the daemon's host; create it or fix the path"
        ) from None
    except IsADirectoryError:
        raise _Unavailable("spec.file", f"{path} is a directory, not a file") from None
    except OSError as error:
        raise _Unavailable("spec.file", f"{path} cannot be read: {error.strerror}") from None
    if len(content) > MAX_CONTENT:
        raise _Unavailable("spec.file", f"{path} is larger than {MAX_CONTENT} bytes")
    return content


def _replace_manifest(loaded: LoadedManifest, manifest: Secret | Config) -> LoadedManifest:
    return replace(loaded, manifest=manifest)
