"""manifests.text (the one decoder of manifest bytes) and manifests.source_names (the grammar)."""

from __future__ import annotations

import re

import pytest

from dockform.manifests import source_names
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.text import NotText, decode_manifest_text


def test_utf8_text_decodes_and_a_bom_is_dropped() -> None:
    assert decode_manifest_text("kind: caf\u00e9\n".encode()) == "kind: caf\u00e9\n"
    assert decode_manifest_text(b"\xef\xbb\xbfkind: Volume\n") == "kind: Volume\n"


@pytest.mark.parametrize(
    ("data", "problem", "line", "binary"),
    [
        (b"kind: Volume\n\n\x00\x01", "binary content (NUL byte)", 3, True),
        (b"a: 1\nname: caf\xe9\n", "not valid UTF-8 (byte 0xe9)", 2, False),
    ],
)
def test_what_is_not_text_names_the_problem_and_its_line(
    data: bytes, problem: str, line: int, binary: bool
) -> None:
    with pytest.raises(NotText) as caught:
        decode_manifest_text(data)

    assert (caught.value.problem, caught.value.line, caught.value.binary) == (problem, line, binary)
    assert caught.value.issue("app.yaml") == ManifestIssue(
        "app.yaml", 0, line, "", f"{problem}; manifests are UTF-8 text"
    )


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("cli", True),
        ("dir:apps/web.yaml", True),
        ("dir:" + "x" * (source_names.MAX_LENGTH - 4), True),
        ("dir:" + "x" * (source_names.MAX_LENGTH - 3), False),
        ("dir:", False),
        ("dir:a\nb", False),
        ("git:prod-1", True),
        ("git:Prod", False),
        ("git:", False),
        ("ftp:x", False),
        ("cli:api", False),
    ],
)
def test_the_source_name_pattern(name: str, valid: bool) -> None:
    assert bool(re.match(source_names.PATTERN, name)) is valid


def test_source_names_are_built_and_read_back() -> None:
    assert source_names.git_source("prod") == "git:prod"
    assert source_names.dir_source("apps/web.yaml") == "dir:apps/web.yaml"
    assert source_names.dir_path("dir:apps/web.yaml") == "apps/web.yaml"
    assert source_names.is_dir_source("dir:a.yaml") and not source_names.is_dir_source("cli")
    assert [source_names.source_type(n) for n in ("cli", "dir:a.yaml", "git:p")] == [
        "cli",
        "dir",
        "git",
    ]
