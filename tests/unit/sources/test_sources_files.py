"""sources.files: which names are manifests, and reading bytes safely (limits, binary, FIFOs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockform.manifests.loader import MAX_FILE_BYTES
from dockform.sources.files import (
    FileProblem,
    is_manifest_name,
    is_manifest_path,
    read_manifest_file,
    walk_manifests,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.yaml", True),
        ("app.yml", True),
        ("app.json", False),
        ("app.yaml~", False),  # editor backup
        ("app.yaml.swp", False),  # vim swap (also hidden in practice)
        (".app.yaml.swp", False),
        (".#app.yaml", False),  # emacs lock
        ("#app.yaml#", False),  # emacs auto-save
        (".app.yaml", False),  # dotfile: tools write these before renaming into place
        ("app.yaml.tmp", False),
        ("4913", False),  # vim's write test
    ],
)
def test_editor_temporaries_and_dotfiles_are_not_manifests(name: str, expected: bool) -> None:
    assert is_manifest_name(name) is expected


def test_manifest_paths_skip_hidden_directories_and_outsiders(tmp_path: Path) -> None:
    root = str(tmp_path)
    assert is_manifest_path(root, str(tmp_path / "apps" / "web.yaml"))
    assert not is_manifest_path(root, str(tmp_path / ".git" / "web.yaml"))
    assert not is_manifest_path(root, str(tmp_path.parent / "web.yaml"))
    assert not is_manifest_path(root, root)


def test_walk_finds_manifests_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for relative in ("b.yaml", "a/c.yml", ".hidden/d.yaml", "a/.e.yaml", "a/notes.txt"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x: 1\n")
    assert walk_manifests(str(tmp_path)) == [str(tmp_path / "a/c.yml"), str(tmp_path / "b.yaml")]


def test_read_gives_text_and_a_content_digest(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes(b"\xef\xbb\xbfkind: Container\n")  # a BOM is allowed
    first = read_manifest_file(str(path))
    assert first.text == "kind: Container\n"
    assert len(first.digest) == 64
    path.write_text("kind: Image\n")
    assert read_manifest_file(str(path)).digest != first.digest


def test_binary_content_is_a_problem_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes(b"kind: Container\n\x00\x01\x02")
    with pytest.raises(FileProblem) as caught:
        read_manifest_file(str(path))
    assert caught.value.issue.line == 2
    assert "binary content" in caught.value.issue.message
    assert caught.value.signature  # remembered: not reported again until the file changes


def test_other_encodings_are_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(FileProblem, match="not valid UTF-8"):
        read_manifest_file(str(path))


def test_huge_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: size without content
    with pytest.raises(FileProblem, match="larger than 4 MiB"):
        read_manifest_file(str(path))


def test_a_fifo_named_like_a_manifest_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    with pytest.raises(FileProblem, match="not a regular file"):
        read_manifest_file(str(path))


def test_a_link_out_of_the_tree_is_refused_when_asked(tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("kind: Container\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.yaml").symlink_to(outside)
    with pytest.raises(FileProblem, match="leads out of the tree"):
        read_manifest_file(str(tree / "app.yaml"), inside=str(tree))
    # Watched directories follow links (a ConfigMap-style ..data link is common there).
    assert read_manifest_file(str(tree / "app.yaml")).text == "kind: Container\n"
