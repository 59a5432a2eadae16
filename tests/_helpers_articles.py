"""Shared helpers for the record-layer tests (tiny hand-made records, paths to shared data)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from relate import frontmatter as F
from relate.frontmatter import split_front_matter
from relate.records import norm_entry_time

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RELATE_SHARED", REPO.parent / "shared"))
SEED = SHARED / "seed" / "000_33c2295afe8b2691.txt"
AZURE = SHARED / "corpora" / "azure"

#: A small record in the seed's layout, with a two-entry related list (hand-written).
TINY = """---
category: news
title: "Azure outage: what \\"really\\" happened"
excerpt: "Line one\\r\\nLine two"
publishedDateTime: 2020-06-27T01:21:00Z
webUrl: "https://e.com/a b&c’d%2ce"
type: article
quality: 56
heat: -1
published: false

provider:
  name: Example News
  domain: e.com
  images:
    - url: "https://e.com/logo.png"
      width: 50
      height: 50

topics:
  - Azure

related:
  - title: "First"
    excerpt: "One"
    publishedDateTime: 2020-06-26T11:00:00Z
    webUrl: "https://f.com/1"
    type: article
    provider:
      name: F
      domain: f.com
    quality: 74
    images:
      - url: "https://f.com/1.jpg"
        width: 800
        height: 449
        isCached: true
  - title: "Second"
    excerpt: "Two"
    publishedDateTime: 2020-06-25T10:00:00Z
    webUrl: "https://g.com/2"
    type: article
    provider:
      name: G
      domain: g.com
    quality: 3

secured: "abc=="
---
"""


def record(*lines: str, related: str = "", end: str = "---\n") -> str:
    """A front-matter file from ``key: value`` lines (and an optional related block text)."""
    return "---\n" + "".join(line + "\n" for line in lines) + related + end


def write(path: Path, text: str | bytes, mtime_ago: float | None = None) -> Path:
    """Writes a file; ``mtime_ago`` (seconds) backdates it so the record cache may keep it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    if mtime_ago is not None:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(mtime_ago * 1e9)))
    return path


def block_span(data: bytes) -> tuple[int, int] | None:
    """Byte span of the top-level ``related:`` block in a seed-layout file (test oracle).

    Simple on purpose: the ``related:`` line and the indented lines that follow it.
    """
    start = data.find(b"\nrelated:\n")
    if start < 0:
        return None
    start += 1
    lines = data[start:].split(b"\n")
    end = start + len(lines[0]) + 1
    for line in lines[1:]:
        if not line.startswith(b" "):
            break
        end += len(line) + 1
    return start, end


needs_azure = pytest.mark.skipif(not AZURE.is_dir(), reason=f"{AZURE} not found")


def azure_files(step: int = 1) -> list[Path]:
    """Every ``step``-th record file of the azure corpus, sorted by name."""
    return sorted(AZURE.glob("*.md"))[::step]


def make_folder(tmp_path: Path) -> Path:
    """A small corpus folder: good records, a duplicate id, bad and hidden files, a non-record."""
    root = tmp_path / "corpus"
    write(root / "b.md", record('title: "B"', 'webUrl: "https://x.com/b"'), 60)
    write(root / "a.md", record('title: "A"', 'webUrl: "https://x.com/a"'), 60)
    write(root / "sub" / "c.md", record('title: "C"', 'webUrl: "https://www.x.com/a/"'), 60)  # same id as a
    write(root / "sub" / "d.markdown", record('title: "D"', 'webUrl: "https://x.com/d"'), 60)
    write(root / "e.md", b"---\ntitle: [\n---\n", 60)
    write(root / "f.md", b"", 60)
    write(root / ".hidden.md", record('title: "H"', 'webUrl: "h"'), 60)
    write(root / ".git" / "x.md", record('title: "G"', 'webUrl: "g"'), 60)
    write(root / "notes.txt", "not a record", 60)
    return root


def yaml_reference(data: bytes) -> tuple[dict, list | None]:
    """What plain PyYAML (C loader) reads, with related times as the seed writes them."""
    text = split_front_matter(data).text
    ref = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    related = ref.pop("related", None)
    for e in related or []:
        if "publishedDateTime" in e:
            e["publishedDateTime"] = norm_entry_time(e["publishedDateTime"])
    return ref, related


def check_against_yaml(path: Path) -> None:
    """``path`` reads with relate's front-matter reader as with plain PyYAML (:func:`yaml_reference`)."""
    data = path.read_bytes()
    ref, related = yaml_reference(data)
    fm = F.parse(data)
    assert fm.reader == "fast" or not fm.has_related, f"{path.name} left the fast path"
    assert fm.data == ref and list(fm.data) == list(ref)
    assert (fm.related if fm.has_related else None) == related
    assert fm.related_urls == [e["webUrl"] for e in related or []]


def yaml_mismatch(path: Path) -> str | None:
    """``None`` when ``path`` reads as :func:`check_against_yaml` wants, else what failed (a
    module-level function, so that a spawned worker can import it)."""
    try:
        check_against_yaml(path)
    except AssertionError as err:
        return f"{path.name}: {err}"
    return None
