"""apply and diff read manifests without validating them (cli.inputs.quick_read): the same
files, documents and host paths as the loader, and the loader's own report when they are
invalid."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dockform.cli.inputs import documents_text, origins_by_number, plain_text, quick_read
from dockform.cli.main import app
from dockform.manifests.loader import load_paths, load_text

MANIFESTS = """\
apiVersion: dockform/v1
kind: Image
metadata: {name: built}
spec: {ref: "app:1", build: {dockerfile: Dockerfile}}
---
apiVersion: dockform/v1
kind: Image
metadata: {name: loaded}
spec: {ref: "app:2", load: {path: ../images/app.tar}}
---
---
apiVersion: dockform/v1
kind: Container
metadata: {name: web}
spec:
  image: app:1
  volumes:
    - {hostPath: data, mountPath: /data}
    - {hostPath: /abs, mountPath: /abs}
    - {volume: cache, mountPath: /cache}
---
apiVersion: dockform/v1
kind: Secret
metadata: {name: key}
spec: {file: ./secrets/key.txt}
---
apiVersion: dockform/v1
kind: Config
metadata: {name: conf, namespace: shop}
spec: {file: conf.ini}
"""


def _models(text: str) -> list[object]:
    return [loaded.manifest for loaded in load_text(text)]


def test_quick_read_finds_what_the_loader_finds(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    (app_dir / "nested").mkdir(parents=True)
    (app_dir / "one.yaml").write_text(MANIFESTS)
    (app_dir / "nested" / "two.yml").write_text(MANIFESTS.replace("name: ", "name: x"))
    (app_dir / ".hidden.yaml").write_text("not: [valid")

    quick = quick_read([str(app_dir), str(app_dir / "one.yaml")])
    loaded = load_paths([str(app_dir), str(app_dir / "one.yaml")])

    assert quick.documents is not None
    origins = [(doc.file, doc.document, doc.line) for doc in quick.documents]
    assert origins == [(item.file, item.document, item.line) for item in loaded]
    assert _models(documents_text(quick.documents)) == [item.manifest for item in loaded]


def test_stdin_resolves_against_the_current_directory_and_reads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stdin = io.TextIOWrapper(io.BytesIO(MANIFESTS.encode()), encoding="utf-8")
    quick = quick_read(["-"], stdin)
    assert quick.documents is not None
    expected = load_paths(["-"], quick.stdin_again())
    assert _models(documents_text(quick.documents)) == [item.manifest for item in expected]


def test_what_yaml_cannot_read_plainly_goes_to_the_loader(tmp_path: Path) -> None:
    for name, text in {
        "syntax.yaml": "kind: [unclosed\n",
        "list.yaml": "- a\n- b\n",
        "tab.yaml": "kind: Container\n\x07\n",
    }.items():
        (tmp_path / name).write_text(text)
        assert quick_read([str(tmp_path / name)]).documents is None, name
    assert quick_read([str(tmp_path / "absent.yaml")]).documents is None


def test_invalid_manifests_are_reported_with_file_and_line_when_no_daemon_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKFORM_HOST", f"unix://{tmp_path / 'absent.sock'}")
    manifest = tmp_path / "app.yaml"
    manifest.write_text(
        "apiVersion: dockform/v1\nkind: Container\nmetadata: {name: web}\n"
        "spec:\n  image: busybox\n  nosuch: 1\n"
    )
    for command in ("apply", "diff"):
        result = CliRunner().invoke(app, [command, "-f", str(manifest)])
        assert result.exit_code == 2, result.output
        assert f"{manifest}:6: document 1 (Container/web): spec.nosuch" in result.output
        assert "nothing was applied" in result.output


def test_a_file_without_host_paths_goes_as_it_is_and_its_documents_keep_their_numbers(
    tmp_path: Path,
) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        "# a comment\n---\n---\napiVersion: dockform/v1\nkind: Volume\nmetadata: {name: a}\n"
        "---\napiVersion: dockform/v1\nkind: Volume\nmetadata: {name: b}\n"
    )
    assert plain_text([str(plain)]) == plain.read_text()
    origins = origins_by_number([str(plain)])
    assert [(origin.document, origin.line) for origin in origins][-2:] == [(2, 4), (3, 8)]
    assert all(origin.file == str(plain) for origin in origins)

    with_paths = tmp_path / "paths.yaml"
    with_paths.write_text(MANIFESTS)
    assert plain_text([str(with_paths)]) is None
    assert plain_text([str(plain), str(plain)]) is None
    assert plain_text(["-"]) is None
    assert plain_text([str(tmp_path)]) is None
