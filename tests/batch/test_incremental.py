"""Only what changed: an in-place run after records were added, changed and removed ranks only the
lists those changes reach, and writes exactly what ranking every list would write.

Real azure records, the hash encoder (no model). The fast test works on 900 records; the
slow one on the whole corpus.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from relate.batch import regenerate
from relate.config import Config
from relate.engine import Engine
from relate.engine.windows import search_windows
from relate.index import search_params


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.md"))}


def _nightly(root: Path, azure: Path, size: int | None, encoder, new: int = 60) -> dict:
    """Builds a corpus without its ``new`` newest records, then adds them, edits, re-dates and removes others."""
    files = sorted(azure.glob("*.md"))
    if size is not None:
        files = files[:size]
    late, early = files[-new:], files[:-new]
    corpus = root / "corpus"
    corpus.mkdir()
    for p in early:
        shutil.copy(p, corpus / p.name)
    ws = root / "ws"
    first = regenerate(corpus, Config(), workspace=ws, encoder=encoder)
    assert first.refit and first.lists == "all"
    for p in late:                                             # new records
        shutil.copy(p, corpus / p.name)
    skipped = {Path(e.path).name for e in first.skipped}          # azure holds a few duplicates
    names = sorted(q.name for q in corpus.glob("*.md") if q.name not in {p.name for p in late} | skipped)
    rng = np.random.default_rng(7)
    picks = rng.choice(len(names), size=45, replace=False)
    removed, retitled, requalified = picks[:20], picks[20:35], picks[35:]
    for i in removed:                                          # records removed
        (corpus / names[i]).unlink()
    for i in retitled:                                         # text changed: a new vector
        p = corpus / names[i]
        p.write_text(re.sub(r"^title: ([\"']?)(.*?)\1$", r"title: \1\2 (updated)\1", p.read_text(encoding="utf-8"),
                            count=1, flags=re.M), encoding="utf-8")
    for i in requalified:                                      # same text, another quality
        p = corpus / names[i]
        text = p.read_text(encoding="utf-8")
        text, n = re.subn(r"^quality: .*$", "quality: 99", text, count=1, flags=re.M)
        p.write_text(text if n else text.replace("\ntitle:", "\nquality: 99\ntitle:", 1), encoding="utf-8")
    # the same corpus and workspace twice: one nightly run, one ranking every list
    twin = root / "twin"
    shutil.copytree(corpus, twin / "corpus")
    shutil.copytree(ws, twin / "ws")
    night = regenerate(corpus, Config(), workspace=ws, encoder=encoder, refit=False)
    full = regenerate(twin / "corpus", Config(), workspace=twin / "ws", encoder=encoder, full=True, refit=False)
    return {"corpus": corpus, "ws": ws, "twin": twin / "corpus", "night": night, "full": full,
            "late": late, "removed": len(removed)}


@pytest.fixture(scope="module")
def nightly(tmp_path_factory, azure_dir, hash_encoder):
    return _nightly(tmp_path_factory.mktemp("nightly"), azure_dir, 900, hash_encoder, new=20)


def test_nightly_run_writes_what_a_full_run_writes(nightly):
    night, full = nightly["night"], nightly["full"]
    assert not night.failed and not full.failed, night.format()
    assert not [e for e in night.skipped if e.code != "duplicate-id"]        # azure holds a few duplicates
    assert not night.refit and night.lists == "changed" and full.lists == "all"
    assert (night.added, night.removed) == (len(nightly["late"]), 20)
    assert _files(nightly["corpus"]) == _files(nightly["twin"])                   # byte for byte, every file
    assert 0 < night.selected < full.selected                   # a window is 61 of 900 rows: many lists here
    assert night.changed == full.changed > 0


def test_every_list_that_changed_was_ranked(nightly):
    """The nightly run ranked every list whose content the full run changed (no list left stale)."""
    full = nightly["full"]
    assert full.changed <= nightly["night"].selected


def test_stored_windows_are_what_a_fresh_search_gives(nightly, hash_encoder):
    engine = Engine(nightly["ws"], Config(), encoder=hash_encoder)
    s = engine._s
    live = np.flatnonzero(s.live)
    assert (~s.live).sum() == 20 + 15                   # removed and re-encoded rows stay, dead
    rows, sims = search_windows(s.index, s.vectors, s.vectors[live], s.windows.shape[1], len(live),
                                search_params(s.index, np.flatnonzero(~s.live)))
    assert np.array_equal(rows, s.windows[live]) and np.array_equal(sims, s.window_sims[live])
    assert not np.isin(s.windows[live], np.flatnonzero(~s.live)).any()


def test_second_nightly_run_ranks_nothing(nightly, hash_encoder):
    again = regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder)
    assert (again.selected, again.written, again.changed, again.refit) == (0, 0, 0, False)


def test_changed_settings_rank_every_list(nightly, hash_encoder):
    s = regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder, k=3)
    assert s.lists == "all" or s.selected == s.records
    back = regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder)
    assert back.selected == back.records and back.changed == back.records   # lists of 5 again


def test_lists_of_an_older_ranker_are_all_ranked_again(nightly, hash_encoder, monkeypatch):
    """A relate whose ranker changed in code (its same-story rule, say), not in settings, ranks
    every list on its first nightly run, not only those the corpus's changes reach."""
    import relate.batch.job

    regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder)
    monkeypatch.setattr(relate.batch.job, "RANK_REVISION", relate.batch.job.RANK_REVISION + 1)
    newer = regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder)
    assert newer.selected == newer.records and newer.changed == 0
    again = regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder)
    assert (again.selected, again.written) == (0, 0)
    monkeypatch.undo()                                         # this relate again: every list once more
    back = regenerate(nightly["corpus"], Config(), workspace=nightly["ws"], encoder=hash_encoder)
    assert back.selected == back.records


def test_refit_after_share_of_changes(tmp_path, azure_dir, hash_encoder):
    corpus = tmp_path / "c"
    corpus.mkdir()
    files = sorted(azure_dir.glob("*.md"))[:200]
    for p in files[:150]:
        shutil.copy(p, corpus / p.name)
    regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)
    for p in files[150:160]:                                   # 10 of 150: under a tenth
        shutil.copy(p, corpus / p.name)
    assert not regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder).refit
    for p in files[160:170]:                                   # 20 since the fit: over a tenth
        shutil.copy(p, corpus / p.name)
    s = regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)
    assert s.refit and s.lists == "all" and s.selected == 170


@pytest.mark.slow
def test_whole_azure_nightly_matches_full(tmp_path, azure_dir, hash_encoder):
    r = _nightly(tmp_path, azure_dir, None, hash_encoder)
    assert _files(r["corpus"]) == _files(r["twin"])
    assert r["full"].changed <= r["night"].selected < r["full"].selected
    print(f"nightly: {r['night'].selected} of {r['full'].selected} lists ranked, {r['night'].changed} changed; "
          f"seconds {r['night'].seconds} against {r['full'].seconds}")


def test_index_then_regenerate_writes_what_the_index_run_left_pending(tmp_path, azure_dir, hash_encoder):
    """``relate index`` takes the changes in (nothing written); the next regenerate writes their lists."""
    from relate.batch import index

    files = sorted(azure_dir.glob("*.md"))[:400]
    corpus = tmp_path / "c"
    corpus.mkdir()
    for p in files[:380]:
        shutil.copy(p, corpus / p.name)
    regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)
    for p in files[380:]:
        shutil.copy(p, corpus / p.name)
    twin = tmp_path / "twin"
    shutil.copytree(corpus, twin / "c")
    shutil.copytree(tmp_path / "ws", twin / "ws")
    ran = index(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)
    assert ran.added >= 15 and not ran.refit
    s = regenerate(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)
    assert s.encoded == 0 and s.lists == "changed" and s.selected >= ran.added   # nothing new now, yet written
    regenerate(twin / "c", Config(), workspace=twin / "ws", encoder=hash_encoder, full=True, refit=False)
    assert _files(corpus) == _files(twin / "c")


def test_changed_jsonl_holds_only_the_lists_that_changed(nightly, tmp_path, hash_encoder):
    corpus = nightly["corpus"]
    first = corpus / sorted(p.name for p in corpus.glob("*.md"))[0]
    text = first.read_text(encoding="utf-8")
    first.write_text(re.sub(r"^title: ([\"']?)(.*?)\1$", r"title: \1\2 again\1", text, count=1, flags=re.M),
                     encoding="utf-8")
    s = regenerate(corpus, Config(), workspace=nightly["ws"], encoder=hash_encoder, jsonl=tmp_path / "c.jsonl",
                   changed=True)
    lines = (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()
    assert s.lists == "changed" and 1 <= len(lines) == s.selected < s.records
    first.write_text(text, encoding="utf-8")
