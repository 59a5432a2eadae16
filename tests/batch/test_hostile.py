"""Hostile input to the batch job: empty and bad corpora, bad k, --out on a file, links out of the corpus, caps, other runs."""
from __future__ import annotations

import fcntl
import os

import pytest
from _helpers_batch import copy_data

from relate.batch import index
from relate.batch.lists import cap_entry
from relate.config import Config
from relate.errors import ConfigError

GOOD = '---\ntitle: "{t}"\nwebUrl: "https://e.com/{t}"\nexcerpt: "{e}"\n---\n'


@pytest.mark.parametrize("files", [{}, {"bad.md": "---\ntitle: [\n---\n"},
                                   {"a.md": "no front matter", "b.md": '---\ntitle: "x"\nquality: high\n---\n'},
                                   {"c.md": '---\ntitle: "x"\nwebUrl: "u"\nquality: 0x_\n---\n'}])
def test_nothing_to_index_is_a_summary_not_a_crash(tmp_path, regen, hash_encoder, files):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text)
    for s in (regen(corpus, Config(), workspace=tmp_path / "ws"),
              regen(corpus, Config(), workspace=tmp_path / "ws", dry_run=True),
              index(corpus, Config(), workspace=tmp_path / "ws", encoder=hash_encoder)):
        assert s.stopped.startswith("nothing to index") and s.nothing_to_index
        assert s.exit_code == (1 if files else 0)
        assert len(s.skipped) == len(files)
        assert "nothing to index" in s.format()


@pytest.mark.parametrize("k", [-3, "5", 2.5, True])
def test_bad_k_is_a_usage_error_before_any_work(tmp_path, regen, k):
    corpus = copy_data(tmp_path / "c")
    before = {p: p.read_bytes() for p in corpus.iterdir()}
    with pytest.raises(ConfigError, match="k"):
        regen(corpus, Config(), workspace=tmp_path / "ws", k=k)
    with pytest.raises(ConfigError, match="rank.k"):
        regen(corpus, Config().with_overrides({"rank.k": -3}), workspace=tmp_path / "ws")
    assert {p: p.read_bytes() for p in corpus.iterdir()} == before and not (tmp_path / "ws").exists()


def test_k_zero_says_it_empties_the_lists(fresh, regen):
    corpus, ws = fresh
    s = regen(corpus, Config(), workspace=ws, k=0, dry_run=True)
    assert any("emptied" in n for n in s.notes) and "note: k is 0" in s.format()


def test_out_naming_an_existing_file_is_one_usage_error(fresh, regen, tmp_path):
    corpus, ws = fresh
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ConfigError, match="existing file, not a folder"):
        regen(corpus, Config(), workspace=ws, out=target)
    assert target.read_text() == "x"


def test_a_link_out_of_the_corpus_is_not_written_unless_asked(fresh, regen, tmp_path):
    corpus, ws = fresh
    outside = tmp_path / "outside.md"
    victim = sorted(corpus.glob("*.md"))[0]
    victim.rename(outside)
    os.symlink(outside, victim)
    before = outside.read_bytes()
    s = regen(corpus, Config(), workspace=ws)
    assert outside.read_bytes() == before and victim.is_symlink()
    assert [p for p, _ in s.failed] == [str(victim)] and "outside the corpus" in s.failed[0][1]
    assert s.exit_code == 1
    s = regen(corpus, Config().with_overrides({"corpus.write_outside": True}), workspace=ws)
    assert not s.failed and outside.read_bytes() != before


def test_an_in_corpus_link_is_copied_into_a_mirror(fresh, regen, tmp_path):
    corpus, ws = fresh
    real = sorted(corpus.glob("*.md"))[0]
    os.symlink(real, corpus / "zz-link.md")
    out = tmp_path / "mirror"
    regen(corpus, Config(), workspace=ws, out=out)
    copied = out / "zz-link.md"
    assert copied.is_file() and not copied.is_symlink()


def test_another_runs_write_in_flight_is_not_swept(fresh, regen):
    corpus, ws = fresh
    record = sorted(corpus.glob("*.md"))[0]
    in_flight = record.parent / f".{record.name}.abcd1234.tmp"  # another run's atomic write, just begun
    in_flight.write_text("half")
    stale = record.parent / f".{record.name}.dead0000.tmp"
    stale.write_text("left by a killed run")
    fd = os.open(in_flight, os.O_RDONLY)  # its writer holds it, as relate.fileio.atomic_open does
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        s = regen(corpus, Config(), workspace=ws)
    finally:
        os.close(fd)
    assert not s.failed and in_flight.exists() and not stale.exists()


def test_huge_titles_are_capped_in_entries(fresh, regen):
    corpus, ws = fresh
    victim = sorted(corpus.glob("*.md"))[0]
    text = victim.read_text(encoding="utf-8")
    huge = "Nimbus outage " * 8000  # ~110 KB
    victim.write_text(text.replace('title: "', f'title: "{huge}', 1), encoding="utf-8")
    regen(corpus, Config(), workspace=ws)
    sizes = [p.stat().st_size for p in corpus.glob("*.md") if p != victim]
    assert max(sizes) < 20_000
    entry = cap_entry({"title": huge, "excerpt": "e" * 5000, "webUrl": "u"})
    assert len(entry["title"]) <= 300 and entry["title"].endswith("…") and len(entry["excerpt"]) <= 600


MADRID = "2022-03-15-nimbus-cloud-opens-madrid-region.md"


MADRID_URL = "https://www.cloudcastweekly.com/2022/03/15/nimbus-cloud-opens-madrid-region/"


def _links_to_madrid(corpus) -> list[str]:
    return sorted(p.name for p in corpus.glob("*.md") if p.name != MADRID and MADRID_URL in p.read_text())


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_time_with_no_utc_equivalent_is_a_skipped_record_not_a_crash(fresh, regen, when):
    corpus, ws = fresh
    victim = corpus / MADRID
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("publishedDateTime: 2022-03-15T09:30:00Z", f'publishedDateTime: "{when}"'),
                      encoding="utf-8")
    assert when in victim.read_text(encoding="utf-8")
    s = regen(corpus, Config(), workspace=ws)
    assert [(e.code, e.field, e.path) for e in s.skipped] == [("bad-time", "publishedDateTime", str(victim))]
    assert s.exit_code == 1 and s.written == s.records


def test_a_record_broken_by_an_edit_keeps_its_place_in_other_lists(fresh, regen):
    """A file that stops reading is reported and left alone; the lists that show it keep it until
    the file is mended (nothing changes) or deleted (then it leaves them)."""
    corpus, ws = fresh
    assert MADRID_URL in (corpus / MADRID).read_text()
    regen(corpus, Config(), workspace=ws)
    linking = _links_to_madrid(corpus)
    assert len(linking) >= 3
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    victim = corpus / MADRID
    victim.write_bytes(before[MADRID][:400])                     # the closing --- is gone
    s = regen(corpus, Config(), workspace=ws)
    assert [e.code for e in s.skipped] == ["unclosed-front-matter"] and s.changed == 0
    assert {p.name: p.read_bytes() for p in corpus.iterdir() if p.name != MADRID} == \
        {n: b for n, b in before.items() if n != MADRID}
    victim.write_bytes(before[MADRID])                           # mended: as if nothing happened
    s = regen(corpus, Config(), workspace=ws)
    assert not s.skipped and s.changed == 0
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before
    victim.unlink()                                              # deleted: it leaves every list
    s = regen(corpus, Config(), workspace=ws)
    assert s.changed == len(linking) and _links_to_madrid(corpus) == []


@pytest.mark.parametrize("where", ["out", "jsonl"])
def test_an_output_under_a_file_is_one_usage_error_before_any_work(fresh, regen, tmp_path, where):
    corpus, ws = fresh
    (tmp_path / "afile").write_text("x")
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    target = tmp_path / "afile" / ("mirror" if where == "out" else "lists.jsonl")
    with pytest.raises(ConfigError, match=f"--{where} .*afile is a file"):
        regen(corpus, Config(), workspace=ws, **{where: target})
    with pytest.raises(ConfigError, match="--jsonl .*: that is a folder"):
        regen(corpus, Config(), workspace=ws, jsonl=tmp_path)
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_a_jsonl_corpus_with_unholdable_lines_is_rewritten_around_them(tmp_path, regen):
    import json

    good = [json.dumps({"title": t, "webUrl": f"https://e.com/{i}", "publishedDateTime": f"2023-0{i + 1}-01T00:00:00Z"})
            for i, t in enumerate(["Nimbus Cloud storage outage hits US East", "Nimbus Cloud opens a region in Madrid",
                                   "Nimbus Cloud blames a configuration push for its storage outage"])]
    bad = ['{"title": "S", "webUrl": "https://e.com/s", "excerpt": "half \\ud800 a pair"}',
           '{"title": "N", "webUrl": "https://e.com/n", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join([good[0], bad[0], good[1], bad[1], good[2]]) + "\n", encoding="utf-8")
    s = regen(corpus, Config(), workspace=tmp_path / "ws")
    assert s.exit_code == 1 and [e.code for e in s.skipped] == ["bad-text", "invalid-json"]
    lines = corpus.read_text(encoding="utf-8").split("\n")
    assert lines[1] == bad[0] and lines[3] == bad[1]             # kept as they were
    assert all(json.loads(lines[i])["related"] for i in (0, 2, 4))          # the others' lists written


def test_a_run_stopped_while_saving_the_workspace_is_finished_by_the_next(fresh, regen, tmp_path, monkeypatch):
    """The workspace's files are each written atomically, not as a set: a run stopped between them
    (killed, Ctrl-C, a full disk) leaves files of two runs. The next run sees the mark the save left
    and builds the workspace again from the corpus, writing what a fresh workspace would."""
    import errno
    import shutil

    from relate.engine import store

    corpus, ws = fresh
    regen(corpus, Config(), workspace=ws)
    victim = corpus / MADRID
    victim.write_text(victim.read_text(encoding="utf-8").replace("first region in Spain", "first Spanish region"),
                      encoding="utf-8")
    twin = tmp_path / "twin"
    shutil.copytree(corpus, twin)
    real = store.write_params

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(store, "write_params", disk_full)       # after the arrays, before params: two runs' files
    s = regen(corpus, Config(), workspace=ws)
    assert s.stopped and (ws / "saving").exists()
    monkeypatch.setattr(store, "write_params", real)
    again = regen(corpus, Config(), workspace=ws)
    assert not again.stopped and again.exit_code == 0 and not (ws / "saving").exists()
    regen(twin, Config(), workspace=tmp_path / "fresh-ws")
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == {p.name: p.read_bytes() for p in twin.iterdir()}
    assert regen(corpus, Config(), workspace=ws).changed == 0      # and the run after it: nothing left to do
