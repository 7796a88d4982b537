"""sources.content: content-addressed copies of mounted files and directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockform.sources import content
from dockform.sources.content import ContentStore, ContentTooLarge, content_digest


def test_the_same_content_is_one_copy_and_new_content_a_new_one(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "app.ini").write_text("v1\n")
    (conf / "run.sh").write_text("#!/bin/sh\n")
    (conf / "run.sh").chmod(0o755)
    store = ContentStore(tmp_path / "copies")

    first = store.place(str(conf))
    assert first == store.place(str(conf))
    assert Path(first).name == "conf" and (Path(first) / "app.ini").read_text() == "v1\n"
    assert os.access(Path(first) / "run.sh", os.X_OK)

    (conf / "app.ini").write_text("v2\n")
    second = store.place(str(conf))
    assert second != first and (Path(second) / "app.ini").read_text() == "v2\n"


def test_a_file_keeps_its_name_and_mode_bits_count(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("echo hi\n")
    plain = content_digest(str(script))
    script.chmod(0o755)
    assert content_digest(str(script)) != plain
    assert Path(ContentStore(tmp_path / "copies").place(str(script))).name == "run.sh"


def test_an_unchanged_tree_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("hello\n")
    reads: list[str] = []
    real = content.content_digest
    monkeypatch.setattr(content, "content_digest", lambda path: reads.append(path) or real(path))
    store = ContentStore(tmp_path / "copies")

    store.place(str(tmp_path / "site"))
    store.place(str(tmp_path / "site"))
    assert len(reads) == 1
    (tmp_path / "site" / "index.html").write_text("hello again\n")
    store.place(str(tmp_path / "site"))
    assert len(reads) == 2


def test_prune_removes_old_unused_copies_but_keeps_written_ones(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "copies")
    for text in ("a", "b", "c"):
        (tmp_path / "f").write_text(text)
        store.place(str(tmp_path / "f"))
    copies = sorted(store.root.iterdir())
    used = str(copies[0] / "f")
    (copies[1] / "f").write_text("a container wrote here")

    assert store.prune([used], min_age_s=3600) == []  # all too young
    removed = store.prune([used], min_age_s=0)

    assert removed == [copies[2].name]
    assert sorted(store.root.iterdir()) == copies[:2]


def test_too_large_content_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "MAX_CONTENT_BYTES", 10)
    (tmp_path / "big").write_text("x" * 11)
    with pytest.raises(ContentTooLarge, match="read-write"):
        content_digest(str(tmp_path / "big"))
