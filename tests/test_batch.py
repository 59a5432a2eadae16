"""The batch job: selection, summaries, outputs, incremental runs, and surviving kills and bad files.

Unit tests on hand-made records first; then tests over one workspace built from the
repository's data/ sample (module-scoped: the model loads once); the SIGKILL tests run the
``relate`` command in a subprocess.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from relate.articles import Article
from relate.batch import (EncodeBatch, LocalRunner, Summary, batches, get_runner, parse_since, regenerate,
                          same_list, select)
from relate.config import Config, EmbedConfig
from relate.errors import ConfigError, RecordError

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
UTC = timezone.utc


def _art(url, when=None, path=None, related=None, title="t"):
    return Article(title=title, web_url=url, published_at=when, path=path, related=related)


# ====================================================================== unit: selection and helpers
def test_parse_since_forms():
    now = datetime(2024, 2, 1, 12, tzinfo=UTC)
    assert parse_since("2024-01-31") == datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_since("2024-01-31T06:30:00Z") == datetime(2024, 1, 31, 6, 30, tzinfo=UTC)
    assert parse_since("2024-01-31T06:30:00+02:00") == datetime(2024, 1, 31, 4, 30, tzinfo=UTC)
    assert parse_since("2024-01-31 06:30") == datetime(2024, 1, 31, 6, 30, tzinfo=UTC)
    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("36h", now=now) == now - timedelta(hours=36)
    assert parse_since("2w", now=now) == now - timedelta(weeks=2)
    with pytest.raises(ConfigError, match="36h"):
        parse_since("last tuesday")


def test_select_by_since_and_paths(tmp_path):
    a = _art("https://x.com/a", datetime(2023, 1, 1, tzinfo=UTC), str(tmp_path / "a.md"))
    b = _art("https://x.com/b", datetime(2024, 1, 1, tzinfo=UTC), str(tmp_path / "b.md"))
    c = _art("https://x.com/c", None, str(tmp_path / "c.md"))
    arts = [a, b, c]
    assert select(arts) == arts
    assert select(arts, since=datetime(2023, 6, 1, tzinfo=UTC)) == [b]  # no date: not picked
    assert select(arts, paths=[tmp_path / "c.md"]) == [c]
    assert select(arts, paths=["https://x.com/a"]) == [a]
    assert select(arts, paths=[b.id]) == [b]
    # either filter picks; corpus order is kept
    assert select(arts, since=datetime(2023, 6, 1, tzinfo=UTC), paths=[str(tmp_path / "a.md")]) == [a, b]
    # a relative path resolves against the working folder
    os.chdir(tmp_path)
    assert select(arts, paths=["a.md"]) == [a]
    with pytest.raises(ConfigError, match="not in the corpus: nope.md"):
        select(arts, paths=["nope.md"])


def test_same_list_normalises_dates_and_scores():
    stored = [{"title": "A", "publishedDateTime": datetime(2020, 6, 26, 11, tzinfo=UTC), "webUrl": "u"}]
    new = [{"title": "A", "publishedDateTime": "2020-06-26T11:00:00Z", "webUrl": "u", "score": 0.9,
            "score_parts": {"similarity": 0.9}}]
    assert same_list(stored, new)
    assert not same_list(stored, [])
    assert same_list(None, [])
    assert not same_list(stored, [dict(new[0], title="B")])


def test_batches_and_local_runner():
    assert batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert batches([], 3) == []
    assert list(LocalRunner().map(sum, batches([1, 2, 3], 2))) == [3, 3]


def test_ray_engine_without_ray_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    monkeypatch.delitem(sys.modules, "relate.ray_runner", raising=False)
    with pytest.raises(ConfigError, match=r"pip install 'relate\[ray\]'"):
        get_runner(Config.from_dict({"batch": {"engine": "ray"}}))
    # the local engine never needs it
    assert get_runner(Config()).name == "local"


def test_ray_engine_gives_the_ray_runner():
    pytest.importorskip("ray")
    runner = get_runner(Config.from_dict({"batch": {"engine": "ray", "ray_batch_size": 1000}}))
    assert runner.name == "ray"  # it connects on first use, not here
    assert runner.encode_batch == 1024  # whole local chunks (512 texts), so the vectors are the local ones


def test_encode_batch_pickles_without_its_model():
    fn = EncodeBatch(EmbedConfig(), encoder=object())
    clone = pickle.loads(pickle.dumps(fn))
    assert clone.cfg == EmbedConfig() and clone._encoder is None


def test_summary_exit_codes_and_report():
    s = Summary("regenerate", "data", ".relate", output="in place", records=40, selected=40, written=40,
                changed=12, seconds={"load": 0.5, "rank": 0.1, "total": 1.0})
    assert s.exit_code == 0
    text = s.format()
    assert "records read  40" in text and "lists changed 12" in text and "load 0.50" in text
    s.skipped.append(RecordError("missing title", path="bad.md", field="title", line=2))
    assert s.exit_code == 1
    assert "bad.md:2: field 'title': missing title" in s.format()
    d = s.to_dict()
    assert d["skipped"] == [{"path": "bad.md", "field": "title", "line": 2, "reason": "missing title",
                             "code": None}]
    assert json.loads(json.dumps(d))["exit_code"] == 1
    s.stopped = "disk full"
    assert s.exit_code == 3


def test_regenerate_rejects_conflicting_outputs(tmp_path):
    with pytest.raises(ConfigError, match="not both"):
        regenerate(DATA, Config(), workspace=tmp_path / "ws", out=tmp_path / "o", jsonl=tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="must not be the corpus folder or inside it"):
        regenerate(DATA, Config(), workspace=tmp_path / "ws", out=DATA / "mirror")
    with pytest.raises(ConfigError, match="--since"):
        regenerate(DATA, Config(), workspace=tmp_path / "ws", since="soon")


# ====================================================================== with the engine, on data/
def _parse_all(folder: Path) -> dict[str, Article]:
    from relate.articles import read_corpus

    corpus = read_corpus(folder, cache=False, full_related=True)
    # azure has a few records under two files; anything else skipped would be a damaged file
    assert all(getattr(e, "code", None) == "duplicate-id" for e in corpus.skipped), corpus.skipped
    return {Path(a.path).name: a for a in corpus.articles}


def _copy_data(dst: Path) -> Path:
    shutil.copytree(DATA, dst, ignore=shutil.ignore_patterns("README*"))
    return dst


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One workspace built from data/ for this module, and a pristine copy of its files."""
    root = tmp_path_factory.mktemp("batch")
    corpus = _copy_data(root / "corpus")
    ws = root / "ws"
    first = regenerate(corpus, Config(), workspace=ws)
    return {"root": root, "corpus": corpus, "ws": ws, "first": first}


@pytest.fixture
def fresh(built, tmp_path):
    """A fresh copy of data/ and of the module's workspace (so each test may change them)."""
    corpus = _copy_data(tmp_path / "corpus")
    ws = tmp_path / "ws"
    shutil.copytree(built["ws"], ws)
    return corpus, ws


def test_first_run_encodes_everything_and_rewrites_lists(built):
    s = built["first"]
    n = len(list(DATA.glob("*.md")))
    assert s.exit_code == 0, s.format()
    assert (s.records, s.encoded, s.added, s.removed) == (n, n, n, 0)
    assert s.selected == s.written == n
    assert s.changed > n // 2
    assert set(s.seconds) >= {"load", "encode", "index", "rank", "write", "total"}
    arts = _parse_all(built["corpus"])
    outage = arts["2023-11-14-nimbus-cloud-outage-takes-down-thousands-of-sites-across-us-east.md"]
    assert outage.related and 1 <= len(outage.related) <= Config().rank.k
    titles = [e["title"] for e in outage.related]
    assert any("Nimbus" in t for t in titles)
    assert outage.title not in titles


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


def test_second_run_encodes_nothing_and_changes_nothing(built):
    mtimes = {p.name: p.stat().st_mtime_ns for p in built["corpus"].iterdir()}
    s = regenerate(built["corpus"], Config(), workspace=built["ws"])
    assert s.exit_code == 0
    assert (s.encoded, s.added, s.removed, s.changed) == (0, 0, 0, 0)
    assert s.written == s.records
    assert {p.name: p.stat().st_mtime_ns for p in built["corpus"].iterdir()} == mtimes


def test_changed_added_and_removed_records(fresh):
    corpus, ws = fresh
    gone = corpus / "2023-05-20-harbor-city-fc-wins-cup-final-on-penalties.md"
    gone.unlink()
    edited = corpus / "2022-05-18-slovenian-beekeepers-map-a-century-of-honey-harvests.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        'title: "Slovenian beekeepers map a century of honey harvests"',
        'title: "Slovenian beekeepers map a century of honey harvests and hive diaries"'), encoding="utf-8")
    added = corpus / "2024-02-21-nimbus-cloud-outage-copy.md"
    added.write_text((corpus / "2023-11-14-nimbus-cloud-outage-knocks-thousands-of-websites-offline-in-us-east.md")
                     .read_text(encoding="utf-8")
                     .replace("nimbus-cloud-outage-knocks-thousands-of-websites-offline",
                              "nimbus-cloud-outage-knocks-sites-offline-again")
                     .replace("in US East", "in US East, again"), encoding="utf-8")
    s = regenerate(corpus, Config(), workspace=ws)
    assert s.exit_code == 0, s.format()
    assert (s.encoded, s.added, s.removed) == (2, 1, 1)
    for a in _parse_all(corpus).values():
        assert all("Harbor City FC" not in e["title"] for e in a.related or [])


def test_dry_run_writes_nothing(fresh, tmp_path):
    corpus, ws = fresh
    # Make one list stale, and add a record the workspace has never seen.
    target = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    shutil.copy(DATA / target.name, target)
    (corpus / "2024-02-22-new.md").write_text(
        (DATA / "2023-06-05-hotels-in-valencia-warn-tourist-tax-will-hit-bookings.md").read_text(encoding="utf-8")
        .replace("valencia%2c-hotels-warn", "valencia-hotels-warn-again"), encoding="utf-8")
    before_files = {p: p.read_bytes() for p in corpus.iterdir()}
    before_ws = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in ws.rglob("*")}
    s = regenerate(corpus, Config(), workspace=ws, dry_run=True, examples=2)
    assert s.exit_code == 0
    assert s.dry_run and s.written == 0 and s.changed >= 2
    assert 1 <= len(s.examples) <= 2
    assert {"path", "title", "before", "after"} <= set(s.examples[0])
    assert "would change" in s.format() and "before:" in s.format()
    assert {p: p.read_bytes() for p in corpus.iterdir()} == before_files
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in ws.rglob("*")} == before_ws
    assert not (ws / "lock").exists()
    # on a workspace that does not exist yet, not even the folder is created
    s = regenerate(corpus, Config(), workspace=tmp_path / "new-ws", dry_run=True)
    assert s.exit_code == 0 and s.changed >= 2 and not (tmp_path / "new-ws").exists()


def test_out_dir_mirrors_the_tree(fresh, tmp_path):
    corpus, ws = fresh
    sub = corpus / "2023"
    sub.mkdir()
    shutil.move(corpus / "2023-04-05-hands-on-arbor-x2-benchmarks-show-big-gains-in-inference-per-watt.md", sub)
    before = {p: p.read_bytes() for p in corpus.rglob("*.md")}
    out = tmp_path / "mirror"
    s = regenerate(corpus, Config(), workspace=ws, out=out,
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
    regenerate(corpus, Config(), workspace=ws, out=out, since="2024-01-01")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.md")} == mtimes


def test_jsonl_output(fresh, tmp_path):
    corpus, ws = fresh
    out = tmp_path / "lists.jsonl"
    one = corpus / "2024-01-09-quillon-labs-releases-lumen-7-an-open-weight-language-model.md"
    s = regenerate(corpus, Config().with_overrides({"rank.k": 3}), workspace=ws, jsonl=out,
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


def test_jsonl_corpus_in_place_and_mirrored(fresh, tmp_path):
    _, ws = fresh
    corpus = _jsonl_corpus(tmp_path / "records.jsonl")
    lines_before = corpus.read_text(encoding="utf-8").splitlines()
    s = regenerate(corpus, Config(), workspace=ws, since="2024-01-01")
    assert s.exit_code == 1 and len(s.skipped) == 1  # the bad line
    assert s.encoded == 0  # same texts as the data/ workspace
    assert s.selected == s.written == 8
    lines = corpus.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(lines_before) and lines[-1] == "{not a record"
    recs = [json.loads(line) for line in lines[:-1]]
    by_url = {r["webUrl"]: r for r in recs}
    lumen = by_url["https://www.bytewire.net/news/quillon-labs-lumen-7-open-weight-model"]
    assert lumen["related"] and all("score" not in e for e in lumen["related"])
    untouched = [json.loads(line) for line in lines_before[:-1] if not json.loads(line)["publishedDateTime"]
                 .startswith("2024")]
    assert all(by_url[r["webUrl"]] == json.loads(json.dumps(r)) for r in untouched)
    again = regenerate(corpus, Config(), workspace=ws, since="2024-01-01")
    assert again.changed == 0 and corpus.read_text(encoding="utf-8").splitlines() == lines
    out = tmp_path / "mirror"
    regenerate(corpus, Config(), workspace=ws, out=out)
    assert (out / "records.jsonl").is_file()
    assert len((out / "records.jsonl").read_text(encoding="utf-8").splitlines()) == len(lines)


def test_bad_records_are_skipped_and_listed(fresh):
    corpus, ws = fresh
    (corpus / "2024-03-01-broken.md").write_text('---\ntitle: "unterminated\nwebUrl: [\n---\n', encoding="utf-8")
    (corpus / "2024-03-02-no-title.md").write_text('---\nwebUrl: "https://x.example/no-title"\n---\n',
                                                   encoding="utf-8")
    s = regenerate(corpus, Config(), workspace=ws)
    assert s.exit_code == 1
    assert sorted(Path(e.path).name for e in s.skipped) == ["2024-03-01-broken.md", "2024-03-02-no-title.md"]
    assert s.written == s.records == 41
    assert "skipped records (2)" in s.format()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_is_reported_and_the_rest_written(fresh):
    corpus, ws = fresh
    victim = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    os.chmod(corpus, 0o555)
    try:
        s = regenerate(corpus, Config(), workspace=ws, paths=[victim])
    finally:
        os.chmod(corpus, 0o755)
    assert s.exit_code == 1
    assert [Path(p).name for p, _ in s.failed] == [victim.name]
    assert "read-only" in s.failed[0][1]
    assert victim.read_bytes() == (DATA / victim.name).read_bytes()


def test_vanished_file_is_reported_and_the_rest_written(fresh, monkeypatch):
    import relate.articles as articles

    corpus, ws = fresh
    victim = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    real = articles.write_related

    def vanish_first(path, entries):
        if Path(path) == victim:
            victim.unlink()
        return real(path, entries)

    monkeypatch.setattr(articles, "write_related", vanish_first)
    s = regenerate(corpus, Config(), workspace=ws)
    assert s.exit_code == 1
    assert [Path(p).name for p, _ in s.failed] == [victim.name]
    assert "vanished" in s.failed[0][1]
    assert not victim.exists()  # not recreated
    assert s.written == s.records - 1


def test_permission_error_is_reported_and_the_rest_written(fresh, monkeypatch):
    import errno

    import relate.articles as articles

    corpus, ws = fresh
    victim = corpus / "2023-06-02-valencia-approves-a-tourist-tax-of-up-to-2-euros-a-night.md"
    real = articles.write_related

    def read_only(path, entries):
        if Path(path) == victim:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, entries)

    monkeypatch.setattr(articles, "write_related", read_only)
    s = regenerate(corpus, Config(), workspace=ws)
    assert s.exit_code == 1 and s.written == s.records - 1
    assert s.failed == [(str(victim), "permission denied; the file or its folder is read-only")]
    assert "files not written (1)" in s.format()


def test_disk_full_stops_cleanly(fresh, monkeypatch):
    import errno

    import relate.articles as articles

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
    s = regenerate(corpus, Config(), workspace=ws)
    assert s.exit_code == 3 and "disk full" in s.stopped
    assert s.written == 3 and len(calls) < s.records  # stopped early, not file after file
    assert "stopped: disk full" in s.format()
    _parse_all(corpus)  # every file still parses
    assert not (ws / "lock").exists()


# ====================================================================== killed runs
def _relate(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "relate.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"run ended before it could be killed: {out.decode()} {err.decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("run never reached the point to kill it at")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _changed_files(corpus: Path) -> int:
    return sum((corpus / p.name).read_bytes() != p.read_bytes() for p in DATA.glob("*.md"))


@pytest.mark.parametrize("moment", ["encoding", "writing"])
def test_sigkill_then_rerun_finishes(tmp_path, moment, built):
    corpus = _copy_data(tmp_path / "corpus")
    ws = tmp_path / "ws"
    if moment == "encoding":
        ready = lambda: (ws / "lock").exists()  # noqa: E731 - killed while loading or encoding
    else:
        ready = lambda: _changed_files(corpus) > 0  # noqa: E731 - killed part-way through writing
    proc = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", cwd=tmp_path)
    _kill_when(proc, ready)
    assert (ws / "lock").exists()  # left behind by the dead run
    _parse_all(corpus)  # every file parses: each is the old one or the new one
    rerun = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json", cwd=tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["records"] == 41 and summary["written"] == 41
    if moment == "writing":
        assert summary["encoded"] == 0  # encoding had finished before the kill
    _parse_all(corpus)
    for p in corpus.glob("*.md"):  # the same files as a run never interrupted
        assert p.read_bytes() == (built["corpus"] / p.name).read_bytes(), p.name
    assert not [p.name for p in corpus.iterdir() if p.name.startswith(".")]  # no temporary files left
    assert not (ws / "lock").exists()
    again = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json", cwd=tmp_path)
    out, _ = again.communicate(timeout=300)
    assert json.loads(out)["changed"] == 0 and json.loads(out)["encoded"] == 0


@pytest.mark.slow
def test_sigkill_mid_encoding_keeps_finished_chunks(tmp_path, azure_dir):
    """A few hundred azure records: killed after the first checkpoint, the rerun encodes only the rest."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(azure_dir.glob("*.md"))[:700]:
        shutil.copy(p, corpus / p.name)
    ws = tmp_path / "ws"
    proc = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", cwd=tmp_path)
    _kill_when(proc, lambda: any((ws / "vectors").glob("*.json")), timeout=300)
    _parse_all(corpus)
    rerun = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json", cwd=tmp_path)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode in (0, 1), err.decode()
    summary = json.loads(out)
    assert 0 < summary["encoded"] < summary["records"]
    assert summary["written"] == summary["records"]
    _parse_all(corpus)


# ====================================================================== progress
class _FakeTerminal:
    def __init__(self):
        import io

        self.buffer = io.StringIO()

    def isatty(self):
        return True

    def write(self, text):
        return self.buffer.write(text)

    def flush(self):
        pass


def test_progress_draws_only_on_a_terminal():
    import io

    from relate.progress import Progress

    pipe = io.StringIO()
    quiet = Progress(enabled=True, stream=pipe)
    assert not quiet.enabled
    with quiet.stage("rank", total=3) as bar:
        bar.update(3)
    assert pipe.getvalue() == ""

    term = _FakeTerminal()
    shown = Progress(enabled=True, stream=term)
    with shown.stage("encode", total=4, unit="text") as bar:
        bar.update(2)
        bar.update(2)
    out = term.buffer.getvalue()
    assert "encode" in out and "4/4" in out

    off = Progress(enabled=False, stream=_FakeTerminal())
    with off.stage("write", total=1) as bar:
        bar.update()
    assert not off.enabled


def test_sigterm_unwinds_cleanly(tmp_path):
    """SIGTERM during a run: exit 130, the lock let go, every file whole."""
    corpus = _copy_data(tmp_path / "corpus")
    ws = tmp_path / "ws"
    proc = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not (ws / "lock").exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (130, 0), err.decode()
    if proc.returncode == 130:
        assert b"interrupted" in err
    assert not (ws / "lock").exists()
    _parse_all(corpus)
