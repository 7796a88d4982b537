"""Manifest bytes to text: the one decoder behind every reader of manifests.

The loader (`dockform apply -f`, stdin), the sources (`sources.files`: watched files, git
checkouts) and the API's apply body all decode here, so they accept the same bytes: UTF-8
(a leading BOM is dropped), no NUL byte. `NotText` says what is wrong and on which line; each
caller words it for its own readers (`NotText.issue` for a manifest file).
"""

from __future__ import annotations

from dockform.manifests.errors import ManifestIssue, file_issue

UTF8_ONLY = "manifests are UTF-8 text"


class NotText(ValueError):
    """The bytes are no manifest text. `problem` names the first bad byte, `line` its line;
    `binary` is True for a NUL byte (binary content) rather than another encoding."""

    def __init__(self, problem: str, line: int, *, binary: bool) -> None:
        super().__init__(f"line {line}: {problem}")
        self.problem = problem
        self.line = line
        self.binary = binary

    def issue(self, file: str) -> ManifestIssue:
        """The problem as an issue about `file`, for a file's reader."""
        return file_issue(file, f"{self.problem}; {UTF8_ONLY}", self.line)


def decode_manifest_text(data: bytes) -> str:
    """The text of `data`; NotText when it holds a NUL byte or is not UTF-8."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise NotText("binary content (NUL byte)", _line_of(data, nul), binary=True)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = f"not valid UTF-8 (byte 0x{data[error.start]:02x})"
        raise NotText(problem, _line_of(data, error.start), binary=False) from error


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
