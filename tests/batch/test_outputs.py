"""The outputs: in place (only the related: block changes), mirror, JSONL, JSON corpus, dry run, failures.

All on copies of data/ and of one workspace built with the hash encoder (no model).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from _helpers_batch import DATA, parse_all

from relate.config import Config


def test_only_the_related_block_changes(built):
    def parts(text):
        head = text.split("\nrelated:")[0].split("\nsecured:")[0]
        return head, text.split("\nsecured:")[1]

    for name in ("2023-11-14-nimbus-cloud-outage-takes-down-thousands-of-sites-across-us-east.md",  # had a list
                 "2023-11-15-nimbus-cloud-blames-faulty-configuration-push-for-storage-outage.md"):  # had none
        before = (DATA / name).read_text(encoding="utf-8")
        after = (built["corpus"] / name).read_text(encoding="utf-8")
        assert parts(after) == parts(before)
        assert "\nrelated:" in after


def test_dry_run_writes_nothing(fresh, tmp_path, regen):
    corpus, ws = fresh
    # Make one list stale, and add a record the workspace has never seen.
    target = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    shutil.copy(DATA / target.name, target)
    (corpus / "2024-02-22-new.md").write_text(
        (DATA / "2023-06-05-hotels-in-valencia-warn-tourist-tax-will-hit-bookings.md").read_text(encoding="utf-8")
        .replace("valencia%2c-hotels-warn", "valencia-hotels-warn-again"), encoding="utf-8")
    before_files = {p: p.read_bytes() for p in corpus.iterdir()}
    before_ws = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in ws.rglob("*")}
    s = regen(corpus, Config(), workspace=ws, dry_run=True, examples=2)
    assert s.exit_code == 0
    assert s.dry_run and s.written == 0 and s.changed >= 2
    assert 1 <= len(s.examples) <= 2
    assert {"path", "title", "before", "after"} <= set(s.examples[0])
    assert "would change" in s.format() and "before:" in s.format()
    assert {p: p.read_bytes() for p in corpus.iterdir()} == before_files
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in ws.rglob("*")} == before_ws
    assert not (ws / "lock").exists()
    # on a workspace that does not exist yet, not even the folder is created
    s = regen(corpus, Config(), workspace=tmp_path / "new-ws", dry_run=True)
    assert s.exit_code == 0 and s.changed >= 2 and not (tmp_path / "new-ws").exists()


def test_out_dir_mirrors_the_tree(fresh, tmp_path, regen):
    corpus, ws = fresh
    sub = corpus / "2023"
    sub.mkdir()
    shutil.move(corpus / "2023-04-05-hands-on-arbor-x2-benchmarks-show-big-gains-in-inference-per-watt.md", sub)
    before = {p: p.read_bytes() for p in corpus.rglob("*.md")}
    out = tmp_path / "mirror"
    s = regen(corpus, Config(), workspace=ws, out=out,
                   since="2024-01-01")
    assert s.exit_code == 0, s.format()
    assert {p: p.read_bytes() for p in corpus.rglob("*.md")} == before  # the corpus is untouched
    mirrored = sorted(p.relative_to(out) for p in out.rglob("*.md"))
    assert mirrored == sorted(p.relative_to(corpus) for p in corpus.rglob("*.md"))
    assert s.selected == s.written == 8  # published in January and February 2024
    # articles before --since were copied as they are
    old = "2022-10-03-regulator-opens-inquiry-into-marlow-finch-data-breach.md"
    assert (out / old).read_bytes() == (corpus / old).read_bytes()
    assert not list(out.rglob("*.tmp"))
    # a second run touches nothing
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.md")}
    regen(corpus, Config(), workspace=ws, out=out, since="2024-01-01")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.md")} == mtimes


def test_jsonl_output(fresh, tmp_path, regen):
    corpus, ws = fresh
    out = tmp_path / "lists.jsonl"
    one = corpus / "2024-01-09-quillon-labs-releases-lumen-7-an-open-weight-language-model.md"
    s = regen(corpus, Config().with_overrides({"rank.k": 3}), workspace=ws, jsonl=out,
                   paths=[one, "https://signalnoise.io/ai/lumen-7-leaderboard-long-documents"])
    assert s.exit_code == 0 and s.written == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["webUrl"] for r in rows] == ["https://www.bytewire.net/news/quillon-labs-lumen-7-open-weight-model",
                                          "https://signalnoise.io/ai/lumen-7-leaderboard-long-documents"]
    for r in rows:
        assert 1 <= len(r["related"]) <= 3
        assert all("score" not in e and e["webUrl"] and e["title"] for e in r["related"])
    assert any("Lumen-7" in e["title"] or "Quillon" in e["title"] for e in rows[0]["related"])


def _jsonl_corpus(path: Path) -> Path:
    import yaml

    with open(path, "w", encoding="utf-8") as fh:
        for p in sorted(DATA.glob("2*.md")):
            rec = yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1])
            fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        fh.write("{not a record\n")
    return path


def test_jsonl_corpus_in_place_and_mirrored(fresh, tmp_path, regen):
    _, ws = fresh
    corpus = _jsonl_corpus(tmp_path / "records.jsonl")
    lines_before = corpus.read_text(encoding="utf-8").splitlines()
    s = regen(corpus, Config(), workspace=ws, since="2024-01-01")
    assert s.exit_code == 1 and len(s.skipped) == 1  # the bad line
    assert s.encoded == 0  # same texts as the data/ workspace
    assert s.selected == s.written == 8
    lines = corpus.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(lines_before) and lines[-1] == "{not a record"
    recs = [json.loads(line) for line in lines[:-1]]
    by_url = {r.get("webUrl") or r["originalUrl"]: r for r in recs}
    lumen = by_url["https://www.bytewire.net/news/quillon-labs-lumen-7-open-weight-model"]
    assert lumen["related"] and all("score" not in e for e in lumen["related"])
    untouched = [json.loads(line) for line in lines_before[:-1] if not json.loads(line)["publishedDateTime"]
                 .startswith("2024")]
    assert all(by_url[r.get("webUrl") or r["originalUrl"]] == json.loads(json.dumps(r)) for r in untouched)
    again = regen(corpus, Config(), workspace=ws, since="2024-01-01")
    assert again.changed == 0 and corpus.read_text(encoding="utf-8").splitlines() == lines
    out = tmp_path / "mirror"
    regen(corpus, Config(), workspace=ws, out=out)
    assert (out / "records.jsonl").is_file()
    assert len((out / "records.jsonl").read_text(encoding="utf-8").splitlines()) == len(lines)


def test_jsonl_corpus_keeps_unicode_line_separators_inside_records(fresh, tmp_path, regen):
    """JSON lines end at "\\n" only: a record whose text holds U+2028 or U+2029 (news text does;
    json.dumps leaves them raw) is one line, read and rewritten whole, not split in two."""
    _, ws = fresh
    corpus = _jsonl_corpus(tmp_path / "records.jsonl")
    lines = corpus.read_text(encoding="utf-8").split("\n")
    first = json.loads(lines[0])
    first["excerpt"] = first["excerpt"].replace(" ", "\u2028", 1).replace(" ", "\u2029", 1)
    lines[0] = json.dumps(first, ensure_ascii=False, default=str)
    corpus.write_text("\n".join(lines), encoding="utf-8")
    s = regen(corpus, Config(), workspace=ws)
    assert len(s.skipped) == 1                                   # only the bad line
    after = corpus.read_text(encoding="utf-8").split("\n")
    assert len(after) == len(lines) and after[-2] == "{not a record"
    rec = json.loads(after[0])
    assert rec["excerpt"] == first["excerpt"] and rec["related"]


def test_bad_records_are_skipped_and_listed(fresh, regen):
    corpus, ws = fresh
    (corpus / "2024-03-01-broken.md").write_text('---\ntitle: "unterminated\nwebUrl: [\n---\n', encoding="utf-8")
    (corpus / "2024-03-02-no-title.md").write_text('---\nwebUrl: "https://x.example/no-title"\n---\n',
                                                   encoding="utf-8")
    s = regen(corpus, Config(), workspace=ws)
    assert s.exit_code == 1
    assert sorted(Path(e.path).name for e in s.skipped) == ["2024-03-01-broken.md", "2024-03-02-no-title.md"]
    assert s.written == s.records == 44
    assert "skipped records (2)" in s.format()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_is_reported_and_the_rest_written(fresh, regen):
    corpus, ws = fresh
    victim = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    os.chmod(corpus, 0o555)
    try:
        s = regen(corpus, Config(), workspace=ws, paths=[victim])
    finally:
        os.chmod(corpus, 0o755)
    assert s.exit_code == 1
    assert [Path(p).name for p, _ in s.failed] == [victim.name]
    assert "read-only" in s.failed[0][1]
    assert victim.read_bytes() == (DATA / victim.name).read_bytes()


def test_vanished_file_is_reported_and_the_rest_written(fresh, monkeypatch, regen):
    import relate.corpus as articles

    corpus, ws = fresh
    victim = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    real = articles.write_related

    def vanish_first(path, entries):
        if Path(path) == victim:
            victim.unlink()
        return real(path, entries)

    monkeypatch.setattr(articles, "write_related", vanish_first)
    s = regen(corpus, Config(), workspace=ws)
    assert s.exit_code == 1
    assert [Path(p).name for p, _ in s.failed] == [victim.name]
    assert "vanished" in s.failed[0][1]
    assert not victim.exists()  # not recreated
    assert s.written == s.records - 1


def test_permission_error_is_reported_and_the_rest_written(fresh, monkeypatch, regen):
    import errno

    import relate.corpus as articles

    corpus, ws = fresh
    victim = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    real = articles.write_related

    def read_only(path, entries):
        if Path(path) == victim:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, entries)

    monkeypatch.setattr(articles, "write_related", read_only)
    s = regen(corpus, Config(), workspace=ws)
    assert s.exit_code == 1 and s.written == s.records - 1
    assert s.failed == [(str(victim), "permission denied; the file or its folder is read-only")]
    assert "files not written (1)" in s.format()


def test_disk_full_stops_cleanly(fresh, monkeypatch, regen):
    import errno

    import relate.corpus as articles

    corpus, ws = fresh
    for p in corpus.glob("*.md"):  # every list stale, so every file would be written
        shutil.copy(DATA / p.name, p)
    calls = []

    def full(path, entries):
        calls.append(path)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return True

    monkeypatch.setattr(articles, "write_related", full)
    s = regen(corpus, Config(), workspace=ws)
    assert s.exit_code == 3 and "disk full" in s.stopped
    assert s.written == 3 and len(calls) < s.records  # stopped early, not file after file
    assert "stopped: disk full" in s.format()
    parse_all(corpus)  # every file still parses
    assert not (ws / "lock").exists()
