"""Digests (records whose excerpt lists other records' titles) are told apart on real corpora,
never suggested, and leave the candidate windows to the items they list, also after a nightly
run that adds, removes and changes digests (powerapps records, the hash encoder)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from relate.batch import regenerate
from relate.config import Config
from relate.corpus import read_article, read_corpus
from relate.digests import MIN_LISTED, DigestTitles, segment_keys, title_key
from relate.engine import Engine
from relate.engine.windows import search_windows
from relate.index import search_params


@pytest.fixture(scope="module")
def powerapps_dir(azure_dir) -> Path:
    folder = azure_dir.parent / "powerapps"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


def test_keys_fold_case_accents_and_punctuation():
    assert title_key("Café: Build a model-driven APP") == title_key("cafe build a model driven app")
    assert title_key("Build an app") != title_key("Build an API")
    assert title_key("Two words") is None and title_key(None) is None
    assert segment_keys("One thing here / Another thing here | third; Fourth thing here") == [
        title_key("One thing here"), title_key("Another thing here"), title_key("Fourth thing here")]


def test_a_record_is_a_digest_only_when_it_lists_other_records():
    titles = DigestTitles.fit(["Configure portal security settings", "Introduction to canvas apps",
                               "Weekly digest number one"])
    cases = [
        ("Weekly digest number one", "Configure portal security settings / Introduction to canvas apps"),
        ("Configure portal security settings", "Configure portal security settings / Introduction to canvas apps"),
        ("Another issue", "Configure portal security settings, then Introduction to canvas apps"),   # no list
        ("Another issue", "Configure portal security settings / Something unknown here"),
    ]
    assert titles.flags(cases).tolist() == [True, False, False, False]
    assert [titles.listed(t, e) for t, e in cases] == [2, 1, 0, 1]
    assert MIN_LISTED == 2


def test_powerapps_newsletters_are_its_digests_and_azure_has_none(powerapps_dir, azure_dir):
    """Fitted on each corpus's own titles: every newsletter issue of powerapps, nothing else."""
    for folder, expected in ((powerapps_dir, 650), (azure_dir, 0)):
        articles = list(read_corpus(folder))
        flags = DigestTitles.fit(a.title for a in articles).flags([(a.title, a.excerpt) for a in articles])
        newsletters = np.array(["/newsletter/" in (a.web_url or "") for a in articles])
        assert flags.sum() == expected and np.array_equal(flags, newsletters), folder.name


def _lists(path: Path) -> dict[str, list[dict]]:
    return {d["webUrl"]: d["related"] for d in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def powerapps_lists(tmp_path_factory, powerapps_dir, hash_encoder):
    root = tmp_path_factory.mktemp("digest-lists")
    out = root / "lists.jsonl"
    summary = regenerate(powerapps_dir, Config(), workspace=root / "ws", jsonl=out, encoder=hash_encoder)
    assert not summary.failed
    return _lists(out), {a.url: a for a in read_corpus(powerapps_dir)}, root / "ws"


def test_no_list_suggests_a_digest_and_every_digest_gets_a_list(powerapps_lists):
    lists, records, _ = powerapps_lists
    shown = [e.get("webUrl") or e.get("originalUrl") for entries in lists.values() for e in entries]
    assert shown and not [u for u in shown if "/newsletter/" in u]
    issues = [u for u in lists if "/newsletter/" in u]
    assert len(issues) == 650 and all(len(lists[u]) == 5 for u in issues)
    # a newsletter's list holds what it lists (its items are no longer crowded out by other issues)
    holding = [u for u in issues if {title_key(e["title"]) for e in lists[u]} & set(segment_keys(records[u].excerpt))]
    assert len(holding) >= 0.6 * len(issues), f"{len(holding)} of {len(issues)} lists hold a listed item"


def _listed(record, corpus_keys: set[int]) -> list[int]:
    """The title keys of the corpus's records that a record's excerpt lists (its own title aside)."""
    return [k for k in segment_keys(record.excerpt) if k in corpus_keys and k != title_key(record.title)]


def test_an_issue_leads_with_the_records_it_lists(powerapps_lists, hash_encoder):
    """Each newsletter issue's list begins with the records it lists, found by their titles
    wherever they are: also those outside its 60 nearest rows, which the ranker never saw."""
    lists, records, ws = powerapps_lists
    corpus_keys = {title_key(r.title) for r in records.values()}
    engine = Engine(ws, Config(), encoder=hash_encoder)
    issues = [u for u in lists if "/newsletter/" in u]
    listed = shown = far = 0
    for u in issues:
        items = set(_listed(records[u], corpus_keys))
        keys = [title_key(e["title"]) for e in lists[u]]
        lead = len(set(keys) & items)
        assert set(keys[:lead]) <= items and not set(keys[lead:]) & items, records[u].title
        window = {title_key(engine._s.rows[r].title) for r in engine._s.windows[engine._row_of[records[u].id]]}
        listed, shown, far = listed + len(items), shown + lead, far + len((items & set(keys)) - window)
    assert listed > 1300 and shown >= 0.99 * listed, (shown, listed)
    assert far > 100, far                                # found by title, not among the nearest
    before = engine.suggest_many([records[u] for u in issues], digest_items="ranked")
    shown_before = sum(len({title_key(e["title"]) for e in before[records[u].id]} & set(_listed(records[u], corpus_keys)))
                       for u in issues)
    assert shown_before < 0.7 * listed, shown_before
    hidden = engine.suggest_many([records[u] for u in issues], digest_items="hidden")
    assert all(len(hidden[records[u].id]) == 5 for u in issues)
    assert not any({title_key(e["title"]) for e in hidden[records[u].id]} & set(_listed(records[u], corpus_keys))
                   for u in issues)


def test_an_issue_not_indexed_yet_leads_with_its_items(powerapps_lists, hash_encoder):
    """suggest() for a new issue: the two records it lists come first, though far apart."""
    _, records, ws = powerapps_lists
    engine = Engine(ws, Config(), encoder=hash_encoder)
    courses = [r for r in records.values() if "/_learning/courses/" in (r.path or "") and len(r.title.split()) >= 4]
    vectors = engine.vectors_for(courses)
    first, far = courses[0], courses[int(np.argmin(vectors[1:] @ vectors[0])) + 1]     # the least alike
    issue = {"title": "Power Apps Every Day (2031-01-06)", "excerpt": f"{first.title} / {far.title}",
             "webUrl": "https://example.com/newsletter/2031-01-06", "type": "newsletter"}
    got = [e["title"] for e in engine.suggest(issue, k=5)]
    assert set(got[:2]) == {first.title, far.title} and len(got) == 5, got
    plain = [e["title"] for e in engine.suggest(issue, k=5, digest_items="ranked")]
    assert set(plain[:2]) != {first.title, far.title}, plain
    hidden = [e["title"] for e in engine.suggest(issue, k=5, digest_items="hidden")]
    assert len(hidden) == 5 and not {first.title, far.title} & set(hidden), hidden


def test_a_night_that_takes_or_brings_back_an_issues_item_ranks_the_issue_again(tmp_path, powerapps_dir,
                                                                                hash_encoder):
    """A record an issue lists, outside the issue's candidate window, leaves the corpus and comes
    back: each nightly run ranks the issue again and writes what a full run writes."""
    corpus = tmp_path / "corpus"
    for part in ("_newsletters", "_learning"):
        shutil.copytree(powerapps_dir / part, corpus / part)
    ws = tmp_path / "ws"
    regenerate(corpus, Config(), workspace=ws, encoder=hash_encoder)
    engine = Engine(ws, Config(), encoder=hash_encoder)
    s = engine._s
    issue = item = None
    for path in sorted((corpus / "_newsletters").glob("*.html")):
        row = engine._row_of[read_article(path).id]
        far = [p.row for _, picks in engine.rank_many([s.rows[row]]) for p in picks
               if p.listed and p.row not in s.windows[row]]
        if far:
            issue, item = path, Path(s.rows[far[0]].path)
            break
    assert issue is not None
    title = read_article(item).title
    assert title in [e["title"] for e in read_article(issue).related]
    saved = item.read_bytes()

    def night() -> list[str]:
        twin = tmp_path / "twin"
        shutil.rmtree(twin, ignore_errors=True)
        shutil.copytree(corpus, twin / "corpus")
        shutil.copytree(ws, twin / "ws")
        summary = regenerate(corpus, Config(), workspace=ws, encoder=hash_encoder, refit=False)
        assert not summary.refit and summary.lists == "changed"
        regenerate(twin / "corpus", Config(), workspace=twin / "ws", encoder=hash_encoder, full=True, refit=False)
        assert issue.read_bytes() == (twin / "corpus" / issue.relative_to(corpus)).read_bytes()
        return [e["title"] for e in read_article(issue).related]

    item.unlink()
    assert title not in night()
    item.write_bytes(saved)
    assert title in night()


def test_suggest_digests_brings_them_back(tmp_path, powerapps_dir, hash_encoder):
    corpus = tmp_path / "c"
    shutil.copytree(powerapps_dir / "_newsletters", corpus / "_newsletters")
    shutil.copytree(powerapps_dir / "_learning", corpus / "_learning")
    hidden = Engine.build(corpus, tmp_path / "ws", Config(), encoder=hash_encoder)
    articles = list(read_corpus(corpus))
    expected = DigestTitles.fit(a.title for a in articles).flags([(a.title, a.excerpt) for a in articles])
    removed = int(hidden._s.removed.sum())                     # records marked removed: true stay left out
    assert 600 < expected.sum() == hidden._s.digests.sum()
    assert hidden._s.searchable() == len(hidden) - expected.sum() - removed
    config = Config.from_dict({"rank": {"suggest_digests": True}})
    shown = Engine.build(corpus, tmp_path / "ws", config, encoder=hash_encoder)        # refits: windows hold them
    assert shown._s.searchable() == len(shown) - removed
    lists = shown.suggest_many()
    assert sum("/newsletter/" in (e.get("webUrl") or "") for entries in lists.values() for e in entries) > 100


def _retitle(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: .*$", f"title: \"{title}\"", text, count=1, flags=re.M), encoding="utf-8")


def _set_excerpt(path: Path, excerpt: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^excerpt: .*$", f"excerpt: \"{excerpt}\"", text, count=1, flags=re.M), encoding="utf-8")


def test_nightly_run_with_digests_writes_what_a_full_run_writes(tmp_path, powerapps_dir, hash_encoder):
    """Digests and their items added and removed, one record turned into a digest and one out
    of being one without its encoded text changing: the nightly lists are the full run's, and
    every stored window is what a fresh search (digests left out) gives."""
    corpus = tmp_path / "corpus"
    issues = sorted((powerapps_dir / "_newsletters").glob("*.html"))
    videos = sorted((powerapps_dir / "_learning" / "videos").glob("*.md"))
    late = issues[-30:] + videos[-30:]                                   # arrive at night

    def place(p: Path) -> Path:
        return corpus / p.relative_to(powerapps_dir)

    for p in sorted(powerapps_dir.rglob("*.*")):
        if p.suffix in (".md", ".html") and p not in late:
            place(p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, place(p))
    # two videos whose excerpts end, past the 400 encoded characters, with other records' titles (or not)
    listing = " / ".join(read_article(place(videos[i])).title for i in (3, 4))
    filler = "A long introduction to the week in low-code apps, " * 9
    _set_excerpt(place(videos[0]), f"{filler}/ {listing}")
    _set_excerpt(place(videos[1]), f"{filler}nothing listed here")
    a, b = (read_article(place(videos[i])).id for i in (0, 1))
    ws = tmp_path / "ws"
    regenerate(corpus, Config(), workspace=ws, encoder=hash_encoder)
    first = Engine(ws, Config(), encoder=hash_encoder)
    assert first._s.digests[first._row_of[a]] and not first._s.digests[first._row_of[b]]
    for p in late:                                                       # new digests and new items
        shutil.copy(p, place(p))
    for p in issues[10:15] + videos[20:25]:                              # removed
        place(p).unlink()
    _set_excerpt(place(videos[0]), f"{filler}nothing listed any more")  # out of being a digest
    _set_excerpt(place(videos[1]), f"{filler}/ {listing}")               # into being one
    _retitle(place(videos[40]), "A video retitled for the night")
    twin = tmp_path / "twin"
    shutil.copytree(corpus, twin / "corpus")
    shutil.copytree(ws, twin / "ws")
    night = regenerate(corpus, Config(), workspace=ws, encoder=hash_encoder, refit=False)
    full = regenerate(twin / "corpus", Config(), workspace=twin / "ws", encoder=hash_encoder, full=True, refit=False)
    assert not night.refit and night.lists == "changed" and 0 < night.selected < full.selected
    assert night.changed == full.changed > 0
    files = {p.relative_to(corpus): p.read_bytes() for p in sorted(corpus.rglob("*.*"))}
    assert files == {p.relative_to(twin / "corpus"): p.read_bytes() for p in sorted((twin / "corpus").rglob("*.*"))}
    engine = Engine(ws, Config(), encoder=hash_encoder)
    s, row = engine._s, engine._row_of
    assert not s.digests[row[a]] and s.digests[row[b]] and np.array_equal(s.digests, engine._table.digest)
    assert s.digests[s.live].sum() > 600
    live = np.flatnonzero(s.live)
    rows, sims = search_windows(s.index, s.vectors, s.vectors[live], s.windows.shape[1], s.searchable(),
                                search_params(s.index, s.left_out()))
    assert np.array_equal(rows, s.windows[live]) and np.array_equal(sims, s.window_sims[live])
    assert not np.isin(s.windows[live], s.left_out()).any()
