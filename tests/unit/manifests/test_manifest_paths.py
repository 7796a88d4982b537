"""load_paths: files, directories, stdin, and issues collected across all of them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dockform.manifests import (
    Image,
    LoadedManifest,
    ManifestError,
    ManifestIssue,
    check_unique,
    load_paths,
)


def volume(name: str) -> str:
    return f"apiVersion: dockform/v1\nkind: Volume\nmetadata:\n  name: {name}\n"


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def names(loaded: list[LoadedManifest]) -> list[str]:
    return [item.name for item in loaded]


def test_directory_is_read_recursively_in_sorted_order_skipping_dot_entries(
    tmp_path: Path,
) -> None:
    write(tmp_path / "b.yaml", volume("b"))
    write(tmp_path / "a.yml", volume("a"))
    write(tmp_path / "sub" / "deeper" / "c.yaml", volume("c"))
    write(tmp_path / "sub" / "0.yaml", volume("zero"))
    write(tmp_path / "notes.txt", "not: yaml at all: [")
    write(tmp_path / "README.md", volume("readme"))
    write(tmp_path / ".hidden.yaml", volume("hidden"))
    write(tmp_path / ".git" / "config.yaml", volume("git"))
    write(tmp_path / "sub" / ".cache" / "x.yaml", volume("cache"))
    write(tmp_path / "#edit.yaml#", volume("emacs"))
    write(tmp_path / "b.yaml~", volume("backup"))

    loaded = load_paths([str(tmp_path)])

    assert names(loaded) == ["a", "b", "zero", "c"]
    assert loaded[3].file == str(tmp_path / "sub" / "deeper" / "c.yaml")


def test_files_directories_and_stdin_mix_in_argument_order(tmp_path: Path) -> None:
    first = write(tmp_path / "one.yaml", volume("one"))
    write(tmp_path / "dir" / "two.yaml", volume("two"))
    stdin = io.StringIO(volume("three") + "---\n" + volume("four"))

    loaded = load_paths([str(tmp_path / "dir"), "-", first], stdin=stdin)

    assert names(loaded) == ["two", "three", "four", "one"]
    assert [item.file for item in loaded[1:3]] == ["<stdin>", "<stdin>"]
    assert [item.document for item in loaded[1:3]] == [1, 2]


def test_stdin_resolves_relative_image_paths_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (
        "apiVersion: dockform/v1\nkind: Image\nmetadata: {name: app}\n"
        "spec: {ref: 'app:1', build: {context: ctx}}\n"
    )
    (loaded,) = load_paths(["-"], stdin=io.StringIO(text))
    assert isinstance(loaded.manifest, Image) and loaded.manifest.spec.build is not None
    assert loaded.manifest.spec.build.context == str(tmp_path / "ctx")


def test_stdin_bytes_get_the_same_encoding_checks_as_files() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"kind: Volume\nname: \xff\xfe\n"), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_paths(["-"], stdin=stdin)
    assert caught.value.issues == [
        ManifestIssue("<stdin>", 0, 2, "", "not valid UTF-8 (byte 0xff); manifests are UTF-8 text")
    ]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "one.yaml", volume("one"))
    assert names(load_paths([str(tmp_path), path, path])) == ["one"]


def test_issues_of_all_files_are_raised_together(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", volume("Bad_Name"))
    write(tmp_path / "b.yaml", volume("fine"))
    write(tmp_path / "c.yaml", "key: [unclosed\n")
    missing = str(tmp_path / "missing.yaml")

    with pytest.raises(ManifestError) as caught:
        load_paths([str(tmp_path), missing])

    issues = caught.value.issues
    assert [(issue.file, issue.document, issue.line, issue.path) for issue in issues] == [
        (str(tmp_path / "a.yaml"), 1, 4, "metadata.name"),
        (str(tmp_path / "c.yaml"), 1, 2, ""),
        (missing, 0, None, ""),
    ]
    assert issues[2].message == "cannot read: No such file or directory"
    assert len(str(caught.value).splitlines()) == 3


def test_duplicates_across_files_name_both_places(tmp_path: Path) -> None:
    first = write(tmp_path / "a.yaml", volume("data"))
    second = write(tmp_path / "b.yaml", volume("other") + "---\n" + volume("data"))

    with pytest.raises(ManifestError) as caught:
        load_paths([first, second])

    assert caught.value.issues == [
        ManifestIssue(
            file=second,
            document=2,
            line=6,
            path="metadata.name",
            message=f"duplicate Volume/data: already defined at {first}:1 (document 1)",
            kind="Volume",
            name="data",
            reason="DuplicateObject",
        )
    ]


def test_same_name_in_different_kinds_is_not_a_duplicate(tmp_path: Path) -> None:
    text = volume("data") + "---\n" + volume("data").replace("Volume", "Network")
    path = write(tmp_path / "a.yaml", text)
    assert names(load_paths([path])) == ["data", "data"]


def test_check_unique_on_its_own(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", volume("data"))
    loaded = load_paths([path])
    check_unique(loaded)
    with pytest.raises(ManifestError) as caught:
        check_unique(loaded + loaded)
    assert [issue.message for issue in caught.value.issues] == [
        f"duplicate Volume/data: already defined at {path}:1 (document 1)"
    ]
