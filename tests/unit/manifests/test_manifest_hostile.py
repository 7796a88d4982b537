"""Hostile input: every case ends quickly in a ManifestError with a clear issue."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dockform.manifests import ManifestError, ManifestIssue, load_file, load_text
from dockform.manifests.composer import MAX_DOCUMENT_NODES, MAX_FILE_NODES

FAST_SECONDS = 3.0


def issues_of(text: str) -> list[ManifestIssue]:
    started = time.monotonic()
    with pytest.raises(ManifestError) as caught:
        load_text(text, "evil.yaml")
    assert time.monotonic() - started < FAST_SECONDS
    return caught.value.issues


def billion_laughs(levels: int) -> str:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*lol{level - 1}"] * 10)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_at_the_line_that_overflows() -> None:
    (issue,) = issues_of(billion_laughs(10))
    assert (issue.document, issue.line) == (1, 5)
    assert issue.message == (
        f"the document has more than {MAX_DOCUMENT_NODES} YAML nodes (aliases counted expanded)"
    )


def test_billion_laughs_through_merge_keys_is_refused() -> None:
    lines = ["l0: &l0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}"]
    for level in range(1, 8):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} {{<<: [{refs}]}}")
    (issue,) = issues_of("\n".join(lines))
    assert issue.message.startswith(f"the document has more than {MAX_DOCUMENT_NODES} YAML nodes")


def test_many_documents_of_laughs_stop_at_the_file_limit() -> None:
    # Each document stays under the document limit; together they exceed the file limit.
    per_document = billion_laughs(4)  # 11 + 111 + 1111 + 11111 nodes, a little over 12 000
    text = "---\n".join([per_document] * 30)
    issues = issues_of(text)
    assert issues[-1].message == (
        f"the file has more than {MAX_FILE_NODES} YAML nodes (aliases counted expanded)"
    )
    # Every earlier document was composed and refused for what it is (not a manifest).
    assert all(
        "must be a mapping" in issue.message or "kind" in issue.path for issue in issues[:-1]
    )


def test_recursive_alias_is_refused() -> None:
    (issue,) = issues_of("a: &a\n  - 1\n  - *a\n")
    assert (issue.line, issue.message) == (3, "alias *a refers to a node that contains it")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: " + "[" * 100 + "]" * 100 + "\n", 1),
        ("".join("  " * depth + f"k{depth}:\n" for depth in range(100)), 65),
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused(text: str, line: int) -> None:
    (issue,) = issues_of(text)
    assert (issue.document, issue.line) == (1, line)
    assert issue.message == "nesting is deeper than 64 levels"


def test_extremely_deep_flow_nesting_does_not_recurse() -> None:
    (issue,) = issues_of("[" * 200_000)
    assert issue.message.startswith(("nesting is deeper", "invalid YAML"))


def test_deep_nesting_through_aliases_is_refused() -> None:
    lines = ["d0: &d0 [x]"]
    for level in range(1, 40):
        lines.append(f"d{level}: &d{level} [[*d{level - 1}]]")
    (issue,) = issues_of("\n".join(lines))
    assert issue.message == "nesting is deeper than 64 levels (through aliases)"
    assert issue.line == 32  # where d31 makes the root 65 levels deep


def test_too_many_documents() -> None:
    (issue,) = issues_of("---\n" * 1001)
    assert issue == ManifestIssue(
        "evil.yaml", 1001, 1001, "", "more than 1000 YAML documents in one file"
    )


def test_file_over_four_mib_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    started = time.monotonic()
    with pytest.raises(ManifestError) as caught:
        load_file(str(path))
    assert time.monotonic() - started < FAST_SECONDS
    assert caught.value.issues == [
        ManifestIssue(str(path), 0, None, "", "file is larger than 4 MiB")
    ]


def test_text_over_four_mib_is_refused() -> None:
    (issue,) = issues_of("# " + "x" * (5 * 1024 * 1024))
    assert issue.message == "file is larger than 4 MiB"
    # Under the limit in characters but over it in UTF-8 bytes.
    (issue,) = issues_of("# " + "é" * (3 * 1024 * 1024))
    assert issue.message == "file is larger than 4 MiB"


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.yaml"
    path.write_bytes(b"kind: Volume\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ManifestError) as caught:
        load_file(str(path))
    assert caught.value.issues == [
        ManifestIssue(str(path), 0, 4, "", "binary content (NUL byte); manifests are UTF-8 text")
    ]


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: Volume\nmetadata:\n  name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ManifestError) as caught:
        load_file(str(path))
    assert caught.value.issues == [
        ManifestIssue(str(path), 0, 3, "", "not valid UTF-8 (byte 0xe9); manifests are UTF-8 text")
    ]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    text = "apiVersion: dockform/v1\nkind: Volume\nmetadata: {name: data}\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert [item.name for item in load_file(str(path))] == ["data"]


@pytest.mark.parametrize(("char", "code"), [("\x07", "0007"), ("\x00", "0000"), ("\ud800", "D800")])
def test_control_characters_and_lone_surrogates_in_text(char: str, code: str) -> None:
    (issue,) = issues_of(f"kind: Volume\nmetadata: {char}\n")
    assert (issue.document, issue.line) == (0, 2)
    assert issue.message == f"character U+{code} is not allowed in YAML"


def test_huge_unknown_key_is_shortened_in_the_path() -> None:
    key = "k" * 1000  # YAML allows at most 1024 characters in a plain key
    text = f"apiVersion: dockform/v1\nkind: Volume\nmetadata: {{name: data}}\n{key}: 1\n"
    (issue,) = issues_of(text)
    assert issue.line == 4
    assert len(issue.path) < 100
    assert issue.message.startswith("unknown field; known fields: ")


def test_many_broken_documents_give_a_bounded_issue_list() -> None:
    issues = issues_of("--- [1]\n" * 500)
    assert len(issues) == 201
    assert issues[-1].message == "and 300 more problems"
