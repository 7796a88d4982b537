"""A GitSource's spec.webhook: exactly one secret source, a relative secretFile resolved against
the manifest's directory and checked by the host-access policy, no part of the spec hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockform.manifests.errors import ManifestError
from dockform.manifests.hashing import spec_hash
from dockform.manifests.loader import load_text
from dockform.manifests.models import GitSource
from dockform.manifests.policy import host_access_issues


def gitsource(webhook: str) -> str:
    return (
        "apiVersion: dockform/v1\nkind: GitSource\nmetadata: {name: prod}\n"
        f"spec: {{url: 'https://example.com/r.git'{webhook}}}\n"
    )


def test_a_secret_ref_or_a_secret_file_and_never_both_or_none() -> None:
    loaded = load_text(gitsource(", webhook: {secretRef: {name: hook}}"))[0].manifest
    assert isinstance(loaded, GitSource) and loaded.spec.webhook is not None
    assert loaded.spec.webhook.secret_ref is not None
    for webhook in (", webhook: {}", ", webhook: {secretRef: {name: a}, secretFile: /x}"):
        with pytest.raises(ManifestError, match="exactly one of secretRef or secretFile"):
            load_text(gitsource(webhook))
    with pytest.raises(ManifestError, match="key"):
        load_text(gitsource(", webhook: {secretRef: {name: a, key: b}}"))


def test_a_relative_secret_file_resolves_against_the_manifest_and_is_a_host_path(
    tmp_path: Path,
) -> None:
    text = gitsource(", webhook: {secretFile: hook.secret}")
    loaded = load_text(text, filename="app.yaml", base_dir=str(tmp_path))
    manifest = loaded[0].manifest
    assert isinstance(manifest, GitSource) and manifest.spec.webhook is not None
    assert manifest.spec.webhook.secret_file == str(tmp_path / "hook.secret")
    assert host_access_issues(loaded, {}, [str(tmp_path)]) == []
    outside = load_text(gitsource(", webhook: {secretFile: /etc/hook.secret}"))
    issues = host_access_issues(outside, {}, [str(tmp_path)])
    assert [issue.path for issue in issues] == ["spec.webhook.secretFile"]
    assert "--host-path-root" in issues[0].message


def test_the_webhook_is_no_part_of_the_spec_hash() -> None:
    plain = load_text(gitsource(""))[0].manifest.spec.dump()
    hooked = load_text(gitsource(", webhook: {secretRef: {name: hook}}"))[0].manifest.spec.dump()
    assert spec_hash("GitSource", plain) == spec_hash("GitSource", hooked)
