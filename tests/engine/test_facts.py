"""The rank table's facts kept in the workspace (facts.npy, and word sets read from the lines when
asked) are exactly those build_table makes from every stored row, after updates too."""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import relate
from relate.engine import build_table
from relate.engine.facts import FactColumn, numbers_of
from relate.workspace import FACTS, PARAMS

DATA = Path(__file__).resolve().parents[2] / "data"


def _same_table(table, fresh, rows):
    """Every fact of ``rows`` in ``table`` equals the one in ``fresh``."""
    for f in dataclasses.fields(fresh):
        a, b = getattr(table, f.name), getattr(fresh, f.name)
        if f.name in ("vectors", "neighbour_sims", "stats", "title_rows"):     # (title_rows: made when asked)
            continue
        if f.name == "key_terms":
            assert [a.terms[r] for r in rows] == [b.terms[r] for r in rows]
            assert (a.idf, a.names, a.lower) == (b.idf, b.names, b.lower)
            assert [a.overlap(r, rows[0]) for r in rows] == [b.overlap(r, rows[0]) for r in rows]
        elif isinstance(b, np.ndarray):
            assert np.array_equal(np.asarray(a)[rows], b[rows], equal_nan=True), f.name
        elif isinstance(b, float):
            assert a == b, f.name                 # a corpus-wide number (quality_share)
        else:
            assert [a[r] for r in rows] == [b[r] for r in rows], f.name


def _fresh(engine):
    """The table build_table makes from every stored line, under the engine's statistics and key terms
    (as a workspace was opened before facts were kept)."""
    s = engine._s
    return build_table(engine._rows, s.vectors, engine.config.rank, engine.config.embed, stats=s.stats,
                       terms=list(s.terms))


@pytest.fixture()
def updated(tmp_path, hash_encoder):
    """A workspace over data/, then an update that removes, re-titles, re-rates and adds records."""
    articles = list(relate.Engine.build(DATA, workspace=tmp_path / "first", encoder=hash_encoder).articles.values())
    engine = relate.Engine.build(articles[:-3], workspace=tmp_path / "ws", encoder=hash_encoder)
    changed = copy.deepcopy(articles[1:])                            # the first removed, the last three new
    changed[0].title += " (updated)"                                   # a new vector
    changed[1].quality = 0.99                                           # same text, another quality
    changed[2].topics = ["Something else"]
    stats = engine.update(changed, refit=False)
    assert not stats["refit"] and stats["added"] == 3 and stats["removed"] == 1
    return engine


def test_updated_table_is_what_build_table_gives(updated):
    live = sorted(updated._row_of.values())
    _same_table(updated._table, _fresh(updated), live)
    assert np.array_equal(updated._s.facts, numbers_of(updated._table), equal_nan=True)


def test_reopened_workspace_reads_its_facts_instead_of_every_line(updated, hash_encoder):
    engine = relate.Engine(updated.folder, encoder=hash_encoder)
    assert engine._s.facts is not None and np.array_equal(engine._s.facts, updated._s.facts, equal_nan=True)
    table = engine._table
    assert isinstance(table.titles, FactColumn) and not table.titles._words.known      # nothing parsed yet
    _same_table(table, _fresh(engine), sorted(engine._row_of.values()))
    assert engine.suggest_many() == updated.suggest_many()
    shipped = engine.state().table                                      # plain lists for other processes
    assert isinstance(shipped.titles, list) and shipped.titles == list(table.titles)


def test_reopened_then_updated_again_keeps_exact_facts(updated, hash_encoder):
    engine = relate.Engine(updated.folder, encoder=hash_encoder)
    articles = [engine.articles[i] for i in engine.articles][2:]
    articles[0] = dataclasses.replace(articles[0], quality=0.01)
    engine.update(articles, refit=False)
    _same_table(engine._table, _fresh(engine), sorted(engine._row_of.values()))
    again = relate.Engine(updated.folder, encoder=hash_encoder)
    assert np.array_equal(again._s.facts, numbers_of(_fresh(engine)), equal_nan=True)
    assert again.suggest_many() == engine.suggest_many()


@pytest.mark.parametrize("damage", ["changed", "no digest"])
def test_facts_not_of_these_rows_are_not_used(updated, hash_encoder, damage):
    folder = updated.folder
    if damage == "changed":                    # e.g. left by another version, or by a run stopped part-way
        facts = np.load(folder / FACTS)
        facts[:, 0] = 0.123
        np.save(folder / FACTS, facts)
    else:                                      # params written by a version that keeps no facts
        params = json.loads((folder / PARAMS).read_text())
        del params["facts"]
        (folder / PARAMS).write_text(json.dumps(params))
    engine = relate.Engine(folder, encoder=hash_encoder)
    assert engine._s.facts is None
    assert isinstance(engine._table.titles, list)                         # built from the lines
    assert engine.suggest_many() == updated.suggest_many()


def test_facts_of_an_older_version_are_kept_anew_by_a_run_that_changes_nothing(tmp_path, hash_encoder):
    """A workspace whose facts.npy holds the three columns of a version before the title keys
    (and params.json their digest): a run that ranks with nothing new builds the table from the
    lines once and keeps its facts, so the next run reads them instead of every line."""
    from relate.batch import regenerate
    from relate.engine.store import facts_digest

    corpus, ws = tmp_path / "corpus", tmp_path / "ws"
    corpus.mkdir()
    for p in sorted(DATA.glob("*.md")):
        (corpus / p.name).write_bytes(p.read_bytes())
    regenerate(corpus, workspace=ws, encoder=hash_encoder)
    facts = np.load(ws / FACTS)
    assert facts.shape[1] == 4                                     # quality, provider, published, title key
    params = json.loads((ws / PARAMS).read_text())
    np.save(ws / FACTS, facts[:, :3])
    (ws / PARAMS).write_text(json.dumps({**params, "facts": facts_digest(facts[:, :3])}))
    assert relate.Engine(ws, encoder=hash_encoder)._s.facts is None        # not trusted: built from the lines
    summary = regenerate(corpus, workspace=ws, encoder=hash_encoder, full=True)     # ranks every list
    assert not summary.changed and summary.encoded == 0
    again = relate.Engine(ws, encoder=hash_encoder)
    assert again._s.facts is not None and np.array_equal(again._s.facts, facts, equal_nan=True)
    assert isinstance(again._table.titles, FactColumn)                     # read, not built


# ------------------------------------------------------------------ arrays saved with a tail
def test_an_update_writes_only_the_rows_it_appended(updated, hash_encoder):
    from relate.engine.appended import tail_name
    from relate.workspace import NEIGHBOURS, VECTORS, Workspace

    folder = updated.folder
    params = json.loads((folder / PARAMS).read_text())
    assert params["format"] == 3 and params["facts"] == updated._s.facts_digest
    base = np.load(folder / VECTORS)
    assert params["bases"][VECTORS] == len(base) == len(updated.ids) - 4      # 3 new records, 1 re-titled
    assert np.array_equal(np.load(folder / tail_name(VECTORS)), updated.vectors[len(base):])
    assert np.array_equal(np.load(folder / tail_name(NEIGHBOURS)), updated._s.neighbours[len(base):])
    again = relate.Engine(folder, encoder=hash_encoder)
    assert np.array_equal(again.vectors, updated.vectors) and np.array_equal(again._s.neighbours,
                                                                               updated._s.neighbours)
    assert again.suggest_many() == updated.suggest_many()
    again.update(list(again.articles.values()), refit=True)                        # a refit writes them whole
    assert not (folder / tail_name(VECTORS)).exists() and len(np.load(folder / VECTORS)) == len(again.ids)
    Workspace(folder).clear()
    assert not list(folder.glob("*-tail.npy")) and not (folder / FACTS).exists()


def test_a_tail_not_written_for_its_base_is_not_read(updated, hash_encoder):
    from relate.engine.appended import tail_name
    from relate.workspace import VECTORS

    folder = updated.folder
    params = json.loads((folder / PARAMS).read_text())
    np.save(folder / VECTORS, updated.vectors)           # e.g. a run stopped after writing a new base
    relate.Engine(folder, encoder=hash_encoder)          # the stale tail is left out: the rows agree
    params["bases"][VECTORS] -= 1                         # a tail of another base: left out, rows disagree
    np.save(folder / VECTORS, updated.vectors[:params["bases"][VECTORS] + 1])
    (folder / PARAMS).write_text(json.dumps(params))
    with pytest.raises(relate.errors.WorkspaceError, match="damaged workspace"):
        relate.Engine(folder, encoder=hash_encoder)
    assert (folder / tail_name(VECTORS)).exists()


def test_rows_share_one_copy_of_each_word(azure_dir):
    """Word facts are interned: a word many records hold is one object, not one per record."""
    from relate.corpus import read_corpus
    from relate.engine.state import word_facts

    articles = read_corpus(azure_dir).articles[:400]
    titles = [w for a in articles for w in word_facts(a)[3] if w == "azure"]
    providers = [word_facts(a)[0] for a in articles if word_facts(a)[0] == "microsoft.com"]
    assert len(titles) > 50 and len({id(w) for w in titles}) == 1
    assert len(providers) > 50 and len({id(p) for p in providers}) == 1


@pytest.mark.parametrize("name", ["azure", "powerapps"])
def test_word_facts_read_from_a_line_are_those_of_its_article(azure_dir, name):
    """What a night computes for a candidate row from its stored line (without making the article)
    is what a refit computes from the record, for every record of both real corpora."""
    from relate.corpus import read_corpus
    from relate.engine.state import line_word_facts, word_facts
    from relate.workspace import article_lines

    articles = read_corpus(azure_dir.parent / name).articles
    lines = article_lines(articles)
    assert len(lines) > 1900
    assert [line_word_facts(line) for line in lines] == [word_facts(a) for a in articles]
    assert sum(bool(f[4]) for f in map(line_word_facts, lines)) > 1900       # addresses read, not left out


@pytest.mark.slow
@pytest.mark.model
def test_rows_hold_their_words_as_sorted_tuples_that_rank_as_the_sets_do(azure_engine):
    """Each row's title words, topics, addresses and key terms are sorted tuples of distinct words
    (a tenth of a frozenset's memory); overlaps, shared addresses and the story rule's figures read
    from them equal those of the sets, on real azure rows."""
    import random
    import sys

    from relate.evidence import term_overlap
    from relate.story import same_figures
    from relate.words import jaccard, meet

    table = azure_engine._table
    kt = table.key_terms
    n = len(table.titles)
    for column in (table.titles, table.topics, table.url_keys, kt.terms):
        words = [column[r] for r in range(n)]
        assert all(type(w) is tuple and list(w) == sorted(set(w)) for w in words)
    assert sum(map(len, (table.titles[r] for r in range(n)))) > 5 * n
    rng = random.Random(5)
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(3000)]
    pairs += [(int(r), int(c)) for r in range(0, n, 50) for c in azure_engine._s.windows[r][:20] if c >= 0]
    for a, b in pairs:
        ta, tb = table.titles[a], table.titles[b]
        sa, sb = frozenset(ta), frozenset(tb)
        expected = len(sa & sb) / len(sa | sb) if sa and sb else 0.0
        assert jaccard(ta, tb) == jaccard(sa, tb) == expected
        assert same_figures(ta, tb) == same_figures(sa, sb)
        assert meet(table.url_keys[a], table.url_keys[b]) == bool(set(table.url_keys[a]) & set(table.url_keys[b]))
        assert kt.overlap(a, b) == term_overlap(frozenset(kt.terms[a]), frozenset(kt.terms[b]), kt.idf)
    assert sum(jaccard(table.titles[a], table.titles[b]) > 0 for a, b in pairs) > 500
    assert sum(kt.overlap(a, b) > 0 for a, b in pairs) > 500
    assert sys.getsizeof(table.titles[0]) < sys.getsizeof(frozenset(table.titles[0])) / 3


@pytest.mark.parametrize("name, damage", [("vectors.npy", b""), ("windows.npy", b""), ("lexicon-matrix.npz", b""),
                                          ("lexicon-matrix.npz", "half"), ("ids.json", b"{")])
def test_a_damaged_workspace_file_is_named_with_what_to_do(updated, hash_encoder, name, damage):
    """Emptied or cut short (a full disk, a copy killed halfway): a WorkspaceError that says rebuild
    (the CLI's exit 3 and one line), not an EOFError or BadZipFile traceback."""
    path = updated.folder / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2] if damage == "half" else damage)
    with pytest.raises(relate.errors.WorkspaceError, match=r"damaged workspace \(.*\); rebuild it with `relate index"):
        relate.Engine(updated.folder, encoder=hash_encoder)
