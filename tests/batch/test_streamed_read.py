"""A run that writes JSONL lets each record of a ``.jsonl`` corpus go as it reads it: it keeps
the record's list target, workspace line and text (:class:`relate.corpus.jsonl.Kept`), and
builds the workspace and the lists that a run holding every record builds.

Real azure records (their front matter as JSON lines), the hash encoder (no model).
"""
from __future__ import annotations

import json
import tracemalloc
from collections import Counter

import numpy as np

from relate.batch import index, regenerate
from relate.config import Config, EmbedConfig
from relate.corpus import read_corpus
from relate.corpus.jsonl import Kept
from relate.engine import Engine
from relate.engine.sources import RowSource, corpus_rows, parse_unchanged, row_source
from relate.text import article_text
from relate.workspace import FileLines, Spill, article_lines

from .test_unchanged_lines import _line

#: Workspace files that both ways of reading build (a regenerate also records its picks).
BUILT = ("ids.json", "articles.jsonl", "windows.npy", "window-sims.npy", "facts.npy", "terms.json", "stats.json",
         "vectors.npy", "neighbours.npy")


def _corpus(tmp_path, azure_dir, n=200):
    """``n`` azure records as JSON lines, with a copy of one (newer) and of another (older: the
    first stays), and a broken line."""
    lines = [_line(p) for p in sorted(azure_dir.glob("*.md"))[:n]]
    newer = json.loads(lines[5])
    newer["publishedDateTime"] = "2030-01-01T00:00:00Z"
    newer["title"] += " (corrected)"
    older = json.loads(lines[9])
    older["publishedDateTime"] = "2001-01-01T00:00:00Z"
    lines += [json.dumps(newer), json.dumps(older), '{"title": "no address"}']
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_streamed_run_builds_the_workspace_and_lists_of_a_run_that_holds_every_record(
        tmp_path, azure_dir, hash_encoder):
    corpus = _corpus(tmp_path, azure_dir)
    streamed = regenerate(corpus, workspace=tmp_path / "a", jsonl=tmp_path / "a.jsonl", encoder=hash_encoder)
    held = index(corpus, workspace=tmp_path / "b", encoder=hash_encoder)        # every record held whole
    assert streamed.refit and held.refit and streamed.records == held.records > 190
    assert [(e.code, e.reason) for e in streamed.skipped] == [(e.code, e.reason) for e in held.skipped]
    codes = [e.code for e in streamed.skipped]
    assert codes.count("missing-url") == 1 and codes.count("duplicate-id") >= 2
    reasons = " ".join(e.reason for e in streamed.skipped)
    assert "it is the newer one" in reasons
    for name in BUILT:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    again = regenerate(corpus, workspace=tmp_path / "b", jsonl=tmp_path / "b.jsonl", encoder=hash_encoder)
    assert not again.refit and again.written == streamed.written == streamed.records
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    first = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()[5])
    assert first["webUrl"] and len(first["related"]) == 5
    # a run for some records only (by date, by address) keeps them as it reads them too
    lists = {json.loads(x)["webUrl"]: x for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()}
    some = regenerate(corpus, workspace=tmp_path / "a", jsonl=tmp_path / "some.jsonl", encoder=hash_encoder,
                      since="2030-01-01", paths=[first["webUrl"]])
    written = (tmp_path / "some.jsonl").read_text(encoding="utf-8").splitlines()
    assert some.selected == some.written == len(written) == 2
    assert all(lists[json.loads(x)["webUrl"]] == x for x in written)
    assert any(json.loads(x)["webUrl"] == first["webUrl"] for x in written)


def test_reading_with_keep_holds_what_is_kept_not_the_records(tmp_path, azure_dir):
    corpus = _corpus(tmp_path, azure_dir)
    embed = EmbedConfig()

    def held(**options):
        tracemalloc.start()
        try:
            read = read_corpus(corpus, **options)
            return read, tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    whole, whole_bytes = held()
    ids, ids_bytes = held(keep=lambda a: a.id)
    spill = Spill(tmp_path, parts=2)
    kept, kept_bytes = held(keep=lambda a: row_source(a, embed, spill))
    assert all(type(x) is Kept for x in ids.articles + kept.articles)
    # the records' ids, addresses, times and fields are those of the records read whole
    for a, k in zip(whole.articles, ids.articles, strict=True):
        assert (k.id, k.url, k.web_url, k.original_url, k.path, k.published_at, k.fields, k.made) == (
            a.id, a.url, a.web_url, a.original_url, a.path, a.published_at, len(a.key_order), a.id)
    assert [(e.code, e.reason, e.path) for e in ids.skipped] == [(e.code, e.reason, e.path) for e in whole.skipped]
    assert ids.sources == whole.sources
    # what is kept is made from the record itself: its workspace line and text, read back from the spill
    for a, k in zip(whole.articles, kept.articles, strict=True):
        assert isinstance(k.made, RowSource) and k.made.line == article_lines([a])[0]
        assert k.made.text == article_text(a.title, a.excerpt, embed)
    # and only the ids and addresses are held: the records went as they were read, their lines and
    # texts are in the spill's file (a position each in memory)
    assert ids_bytes < whole_bytes / 5, (ids_bytes, whole_bytes)
    assert kept_bytes < whole_bytes / 5 and kept_bytes < ids_bytes * 1.5, (kept_bytes, ids_bytes, whole_bytes)


def test_a_night_over_a_streamed_workspace_ranks_what_a_run_holding_every_record_ranks(
        tmp_path, azure_dir, hash_encoder):
    """New and changed records of a night are kept as they are read, and made into rows from their lines."""
    corpus = _corpus(tmp_path, azure_dir)
    config = Config.from_dict({"batch": {"refit_after": 0.5}})          # (a night, not a refit)
    regenerate(corpus, config, workspace=tmp_path / "a", jsonl=tmp_path / "a0.jsonl", encoder=hash_encoder)
    index(corpus, config, workspace=tmp_path / "b", encoder=hash_encoder)
    lines = corpus.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[20])
    changed["quality"] = 97
    lines[20] = json.dumps(changed)
    extra = [_line(p) for p in sorted(azure_dir.glob("*.md"))[200:210]]
    corpus.write_text("\n".join(lines[:-13] + lines[-3:] + extra) + "\n", encoding="utf-8")
    night = regenerate(corpus, config, workspace=tmp_path / "a", jsonl=tmp_path / "a.jsonl", encoder=hash_encoder,
                       changed=True)
    held = index(corpus, config, workspace=tmp_path / "b", encoder=hash_encoder)
    assert not night.refit and not held.refit and night.added == held.added >= 8
    assert 10 < night.written < night.records
    for name in BUILT:
        if name != "neighbours.npy":
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    every = regenerate(corpus, config, workspace=tmp_path / "b", jsonl=tmp_path / "b.jsonl", encoder=hash_encoder)
    lists = {json.loads(x)["webUrl"]: x for x in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()}
    written = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert every.written == night.records and len(written) == night.written
    assert all(lists[json.loads(x)["webUrl"]] == x for x in written)
    assert np.array_equal(np.load(tmp_path / "a" / "vectors.npy"), np.load(tmp_path / "b" / "vectors.npy"))


def test_a_refit_over_unchanged_lines_reads_them_and_their_texts_from_a_spill(tmp_path, azure_dir, hash_encoder):
    """``--refit`` over a corpus the workspace holds: the rows' own lines stand for the unchanged records,
    written with their texts to a spill (not held), the same lines and texts as when held in lists."""
    corpus = _corpus(tmp_path, azure_dir, n=120)
    regenerate(corpus, workspace=tmp_path / "ws", jsonl=tmp_path / "a.jsonl", encoder=hash_encoder)
    engine = Engine(tmp_path / "ws", encoder=hash_encoder)
    embed = engine.config.embed
    spill = Spill(tmp_path, parts=2)
    read = read_corpus(corpus, known=engine.known_lines(), keep=lambda a: row_source(a, embed, spill))
    articles = list(read.articles)
    kinds = Counter(type(a).__name__ for a in articles)
    assert kinds["Unchanged"] > 100 and kinds["Kept"] > 0          # lines known; copies of one id parsed again
    _, _, lines, texts = corpus_rows(engine._s, articles, None, embed)
    held_lines, held_texts = parse_unchanged(engine._s, articles, list(texts), embed, list(lines))
    (tmp_path / "spills").mkdir()
    spilled_lines, spilled_texts = parse_unchanged(engine._s, articles, texts, embed, lines, tmp_path / "spills")
    assert isinstance(spilled_lines, FileLines) and isinstance(spilled_texts, FileLines)
    assert spilled_lines.held == spilled_texts.held == 0
    assert list(spilled_lines) == held_lines == [engine._s.lines[engine._row_of[a.id]] for a in articles]
    assert list(spilled_texts) == held_texts and None not in held_texts
