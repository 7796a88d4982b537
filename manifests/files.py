"""Which files `-f PATH` means, and the limits on what one file may hold.

Shared by the loader (which validates) and the CLI's quick reader (which sends manifests to
the daemon to validate, `cli.inputs`): both walk a directory the same way and refuse the
same text, so a file reaches the daemon only if the loader would read it too. No models
here: this module is cheap to import.
"""

from __future__ import annotations

import os
import re

from dockform.manifests.errors import ManifestIssue, file_issue

MAX_FILE_BYTES = 4 * 1024 * 1024
STDIN_NAME = "<stdin>"

# What the YAML reader accepts (YAML 1.1 printable set); anything else is binary or a
# control character, reported here with its line rather than as a reader error.
_NOT_PRINTABLE = re.compile(
    r"[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def too_large(file: str) -> ManifestIssue:
    return file_issue(file, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")


def yaml_files(directory: str, issues: list[ManifestIssue]) -> list[str]:
    """Every *.yaml / *.yml below `directory`, sorted, dotfiles and dot-directories skipped;
    a directory that cannot be read is an issue."""

    def walk_error(error: OSError) -> None:
        where = error.filename or directory
        issues.append(file_issue(str(where), f"cannot read directory: {error.strerror}"))

    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory, onerror=walk_error):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        found += [
            os.path.join(dirpath, name)
            for name in filenames
            if not name.startswith(".") and name.endswith((".yaml", ".yml"))
        ]
    return sorted(found)


def check_text(text: str, file: str) -> ManifestIssue | None:
    """What is wrong with `text` as a manifest file before YAML reads it: too large, or a
    character YAML does not accept."""
    if len(text) > MAX_FILE_BYTES:
        return too_large(file)
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        code = ord(bad.group())
        return file_issue(file, f"character U+{code:04X} is not allowed in YAML", line)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return too_large(file)
    return None
