"""Secret and Config content at apply: read from value, file or env, sealed, never stored in
clear; clear errors for a missing file or variable; the daemon's key file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockform.manifests.loader import load_text
from dockform.manifests.models import redacted
from dockform.store.apply import Applier, ApplyRequest
from dockform.store.errors import ContentUnavailable
from dockform.store.repository import Store
from dockform.store.sealing import Sealer
from dockform.store.vault import SealBroken, Vault, seal_context

VALUE = "hunter2-SEAL-41c8a1"


def doc(kind: str, name: str, spec: str) -> str:
    return f"apiVersion: dockform/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec: {spec}\n"


def test_a_secret_is_stored_sealed_and_the_raw_database_never_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "dockform.db"
    store = Store.open(f"sqlite:///{path}")
    vault = Vault.generate()
    applier = Applier(store, on_change=lambda keys: None, sealer=Sealer(vault))
    applier.apply(ApplyRequest(load_text(doc("Secret", "pw", f"{{value: {VALUE}}}"))))
    stored = store.get("Secret", "pw")
    store.close()
    assert stored is not None
    digest = stored.spec["sha256"]
    assert stored.spec["value"] == redacted(digest)
    assert (
        vault.open(seal_context("Secret", "default", "pw"), stored.spec["sealed"]) == VALUE.encode()
    )
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("dockform.db"))
    assert VALUE.encode() not in raw
    # Serialised (what the API answers), the sealed content is left out too.
    assert "sealed" not in stored.model_dump_json()


def test_file_and_env_sources_and_idempotent_reapply(tmp_path: Path, store: Store) -> None:
    secret_file = tmp_path / "token.txt"
    secret_file.write_text("from-a-file")
    sealer = Sealer(Vault.generate(), environ={"DB_PASS": "from-env"})
    text = (
        doc("Secret", "a", f"{{file: {secret_file}}}")
        + "---\n"
        + doc("Secret", "b", "{env: DB_PASS}")
        + "---\n"
        + doc("Config", "c", f"{{file: {secret_file}}}")
    )
    applier = Applier(store, on_change=lambda keys: None, sealer=sealer)
    first = applier.apply(ApplyRequest(load_text(text)))
    assert [r.action for r in first] == ["created"] * 3
    again = applier.apply(ApplyRequest(load_text(text)))
    assert [r.action for r in again] == ["unchanged"] * 3
    secret_file.write_text("changed")
    changed = applier.apply(ApplyRequest(load_text(text)))
    assert [r.action for r in changed] == ["configured", "unchanged", "configured"]
    config = store.get("Config", "c")
    assert config is not None and config.spec["data"] == "Y2hhbmdlZA=="


def test_a_missing_file_or_variable_names_object_file_and_line(tmp_path: Path) -> None:
    text = (
        doc("Container", "web", "{image: x}")
        + "---\n"
        + doc("Secret", "a", f"{{file: {tmp_path}/nope.txt}}")
        + "---\n"
        + doc("Secret", "b", "{env: NOT_SET_ANYWHERE}")
    )
    with pytest.raises(ContentUnavailable) as caught:
        Sealer(Vault.generate(), environ={}).seal(load_text(text, filename="app.yaml"))
    first, second = caught.value.issues
    assert (first.file, first.line, first.kind, first.name, first.path) == (
        "app.yaml",
        6,
        "Secret",
        "a",
        "spec.file",
    )
    assert f"{tmp_path}/nope.txt does not exist" in first.message
    assert (second.line, second.name, second.path) == (11, "b", "spec.env")
    assert "no variable NOT_SET_ANYWHERE" in second.message


def test_the_redacted_placeholder_is_refused_unless_it_carries_its_seal() -> None:
    vault = Vault.generate()
    sealed = Sealer(vault).seal(load_text(doc("Secret", "pw", f"{{value: {VALUE}}}")))
    spec = sealed[0].manifest.spec
    assert Sealer(vault).seal(sealed)[0].manifest.spec == spec  # what the store holds: as is
    placeholder = doc("Secret", "pw", f"{{value: '{spec.value}'}}")  # from `get -o yaml`
    with pytest.raises(ContentUnavailable, match="placeholder"):
        Sealer(vault).seal(load_text(placeholder))


def test_without_a_key_secrets_are_refused() -> None:
    with pytest.raises(ContentUnavailable, match="no secret key"):
        Sealer(None).seal(load_text(doc("Secret", "pw", "{value: x}")))


def test_the_key_file_is_made_private_and_refused_when_open(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    vault = Vault.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sealed = vault.seal("Secret/pw", b"x")
    assert Vault.load_or_create(path).open("Secret/pw", sealed) == b"x"
    with pytest.raises(SealBroken):
        Vault.load_or_create(path).open("Secret/other", sealed)
    with pytest.raises(SealBroken):
        Vault.generate().open("Secret/pw", sealed)
    os.chmod(path, 0o644)
    with pytest.raises(ValueError, match="open to other users"):
        Vault.load_or_create(path)
