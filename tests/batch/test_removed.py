"""A record the site marks ``removed: true`` is never suggested, from the first run or after a
nightly run that marks it (real azure and powerapps records, the hash encoder)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from relate.batch import regenerate
from relate.config import Config
from relate.corpus import read_article, read_corpus
from relate.engine import Engine
from relate.workspace import article_lines
from relate.workspace.workspace import article_from_line


def _shown(lists: Path) -> set[str]:
    return {e.get("webUrl") or e.get("originalUrl") for line in lists.read_text(encoding="utf-8").splitlines()
            for e in json.loads(line)["related"]}


def test_the_workspace_keeps_the_mark():
    a = read_article(next(p for p in sorted((Path(__file__).parents[2].parent / "shared" / "corpora" / "powerapps"
                                             / "_learning" / "videos").glob("*.md"))
                          if "\nremoved: true" in p.read_text(encoding="utf-8")))
    back = article_from_line(article_lines([a])[0])
    assert back.extra == {"removed": True} and back.title == a.title


def test_powerapps_removed_videos_are_never_suggested(tmp_path, azure_dir, hash_encoder):
    corpus = azure_dir.parent / "powerapps"
    out = tmp_path / "lists.jsonl"
    regenerate(corpus, Config(), workspace=tmp_path / "ws", jsonl=out, encoder=hash_encoder)
    removed = [a for a in read_corpus(corpus) if a.extra.get("removed") is True]
    assert len(removed) == 4
    assert not {a.url for a in removed} & _shown(out)
    own = {json.loads(line)["webUrl"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert {a.url for a in removed} <= own                          # they keep lists of their own


def test_a_record_marked_removed_at_night_leaves_every_list(tmp_path, azure_dir, hash_encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(azure_dir.glob("*.md"))[:400]:
        shutil.copy(p, corpus / p.name)
    regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)      # lists written in place
    engine = Engine(tmp_path / "ws", Config(), encoder=hash_encoder)
    counts: dict[str, int] = {}
    for p in corpus.glob("*.md"):
        for e in read_article(p).related or []:
            counts[e["webUrl"]] = counts.get(e["webUrl"], 0) + 1
    popular = max(counts, key=counts.get)                             # the record most lists show
    path = next(p for p in corpus.glob("*.md") if read_article(p).url == popular)
    path.write_text(path.read_text("utf-8").replace("\ntitle:", "\nremoved: true\ntitle:", 1), encoding="utf-8")
    shutil.copytree(corpus, tmp_path / "twin")
    shutil.copytree(tmp_path / "ws", tmp_path / "twin-ws")
    night = regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder, refit=False)
    full = regenerate(tmp_path / "twin", Config(), workspace=tmp_path / "twin-ws", encoder=hash_encoder,
                      full=True, refit=False)
    assert not night.refit and night.lists == "changed" and night.selected >= counts[popular]
    assert {p.name: p.read_bytes() for p in corpus.glob("*.md")} == \
        {p.name: p.read_bytes() for p in (tmp_path / "twin").glob("*.md")}
    assert full.changed >= counts[popular] > 1
    after = tmp_path / "after.jsonl"
    regenerate(corpus, Config(), workspace=tmp_path / "ws", jsonl=after, encoder=hash_encoder, full=True)
    assert popular not in _shown(after)
    s = Engine(tmp_path / "ws", Config(), encoder=hash_encoder)._s
    assert s.removed[engine._row_of[read_article(path).id]] and np.isin(s.left_out(), np.flatnonzero(s.removed)).any()
