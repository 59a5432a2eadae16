"""Shared helpers for the batch tests: the data/ sample copied, parsed back, and hand-made articles."""
from __future__ import annotations

import shutil
from pathlib import Path

from relate.records import Article

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"


def art(url, when=None, path=None, related=None, title="t"):
    return Article(title=title, web_url=url, published_at=when, path=path, related=related)


def parse_all(folder: Path) -> dict[str, Article]:
    from relate.corpus import read_corpus

    corpus = read_corpus(folder, cache=False, full_related=True)
    # azure has a few records under two files; anything else skipped would be a damaged file
    assert all(getattr(e, "code", None) == "duplicate-id" for e in corpus.skipped), corpus.skipped
    return {Path(a.path).name: a for a in corpus.articles}


def copy_data(dst: Path) -> Path:
    shutil.copytree(DATA, dst, ignore=shutil.ignore_patterns("README*"))
    return dst
