"""Whole real corpora regenerated in place (hash encoder): every record gets a list or is reported, nothing else changes."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import SHARED

from relate.config import Config

POWERAPPS = SHARED / "corpora" / "powerapps"
AZURE = SHARED / "corpora" / "azure"
_FENCE = re.compile(rb"^---[ \t]*\r?\n", re.MULTILINE)


def _split(data: bytes) -> tuple[list[bytes], bytes]:
    """The non-blank front-matter lines outside the ``related:`` block, and every byte after the closing ``---``."""
    first = _FENCE.match(data)
    assert first is not None
    close = _FENCE.search(data, first.end())
    assert close is not None
    lines, in_block = [], False
    for line in data[first.end():close.start()].splitlines():
        if line.startswith(b"related:"):
            in_block = True
            continue
        if in_block and (line.startswith((b" ", b"\t")) or not line.strip()):
            continue
        in_block = False
        if line.strip():
            lines.append(line)
    return lines, data[close.start():]


def _regenerate_whole(src: Path, tmp_path: Path, regen) -> None:
    corpus = tmp_path / src.name
    shutil.copytree(src, corpus)
    before = {p.relative_to(corpus): p.read_bytes() for p in corpus.rglob("*") if p.is_file()}
    ws = tmp_path / "ws"

    s = regen(corpus, Config(), workspace=ws)
    assert s.stopped is None and not s.failed, s.failed[:3]
    reported = {Path(e.path).relative_to(corpus) for e in s.skipped}
    assert all(getattr(e, "code", None) == "duplicate-id" and "was kept" in e.reason for e in s.skipped), s.skipped[:3]
    assert s.records + len(s.skipped) == len(before)
    assert s.written == s.records == s.selected
    for rel, old in before.items():
        new = (corpus / rel).read_bytes()
        if rel in reported:
            assert new == old, rel
            continue
        assert b"\nrelated:\n" in new, f"{rel} got no list"
        old_lines, old_body = _split(old)
        new_lines, new_body = _split(new)
        assert new_body == old_body, f"{rel}: the bytes after the front matter changed"
        assert new_lines == old_lines, f"{rel}: the front matter changed outside related:"
    after = {rel: (corpus / rel).read_bytes() for rel in before}

    again = regen(corpus, Config(), workspace=ws)
    assert again.changed == 0 and again.encoded == 0
    assert {rel: (corpus / rel).read_bytes() for rel in before} == after


@pytest.mark.slow
def test_powerapps_in_place_every_record_gets_a_list(tmp_path, regen):
    if not POWERAPPS.is_dir():
        pytest.skip(f"{POWERAPPS} not found")
    _regenerate_whole(POWERAPPS, tmp_path, regen)
    corpus = tmp_path / "powerapps"
    video = (corpus / "_learning/videos").glob("*.md")
    text = "".join(p.read_text(encoding="utf-8") for p in list(video)[:50])
    assert "    originalUrl: " in text  # videos are named by the key they have, no made-up webUrl
    collection = corpus / "_learning/collections/april-dunnam-beginner-power-apps-topics-by-april-dunnam.md"
    assert b"\nrelated:\n" in collection.read_bytes()  # a record with no URL gets a list...
    every = "".join(p.read_text(encoding="utf-8") for p in corpus.rglob("*.md"))
    assert '    webUrl: "/learning/collections/' in every  # ...and is suggested, by its address


@pytest.mark.slow
def test_azure_in_place_every_record_gets_a_list(tmp_path, regen):
    if not AZURE.is_dir():
        pytest.skip(f"{AZURE} not found")
    _regenerate_whole(AZURE, tmp_path, regen)
