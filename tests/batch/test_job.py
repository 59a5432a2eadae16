"""The batch job end to end: first, second and incremental runs, the workspace it finds, surviving kills.

Runs in this process use the hash encoder (no model); the SIGKILL/SIGTERM tests run the
``relate`` command in a subprocess, with the real model.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _helpers_batch import DATA, copy_data, parse_all

from relate.batch import index, regenerate
from relate.config import Config
from relate.errors import ConfigError


def test_regenerate_rejects_conflicting_outputs(tmp_path):
    with pytest.raises(ConfigError, match="not both"):
        regenerate(DATA, Config(), workspace=tmp_path / "ws", out=tmp_path / "o", jsonl=tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="must not be the corpus folder or inside it"):
        regenerate(DATA, Config(), workspace=tmp_path / "ws", out=DATA / "mirror")
    with pytest.raises(ConfigError, match="--since"):
        regenerate(DATA, Config(), workspace=tmp_path / "ws", since="soon")


def test_first_run_encodes_everything_and_rewrites_lists(built):
    s = built["first"]
    n = len(list(DATA.glob("*.md")))
    assert s.exit_code == 0, s.format()
    assert (s.records, s.encoded, s.added, s.removed) == (n, n, n, 0)
    assert s.selected == s.written == n
    assert s.changed > n // 2
    assert set(s.seconds) >= {"load", "encode", "index", "rank", "write", "total"}
    arts = parse_all(built["corpus"])
    outage = arts["2023-11-14-nimbus-cloud-outage-takes-down-thousands-of-sites-across-us-east.md"]
    assert outage.related and 1 <= len(outage.related) <= Config().rank.k
    titles = [e["title"] for e in outage.related]
    assert any("Nimbus" in t for t in titles)
    assert outage.title not in titles


def test_second_run_encodes_nothing_and_changes_nothing(built, regen):
    mtimes = {p.name: p.stat().st_mtime_ns for p in built["corpus"].iterdir()}
    s = regen(built["corpus"], Config(), workspace=built["ws"])
    assert s.exit_code == 0
    assert (s.encoded, s.added, s.removed, s.changed) == (0, 0, 0, 0)
    assert (s.lists, s.selected, s.written) == ("changed", 0, 0)     # nothing changed: nothing ranked
    assert {p.name: p.stat().st_mtime_ns for p in built["corpus"].iterdir()} == mtimes
    full = regen(built["corpus"], Config(), workspace=built["ws"], full=True)
    assert (full.lists, full.selected, full.written, full.changed) == ("all", full.records, full.records, 0)
    assert {p.name: p.stat().st_mtime_ns for p in built["corpus"].iterdir()} == mtimes


def test_changed_added_and_removed_records(fresh, regen):
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
    s = regen(corpus, Config(), workspace=ws)
    assert s.exit_code == 0, s.format()
    assert (s.encoded, s.added, s.removed) == (2, 1, 1)
    for a in parse_all(corpus).values():
        assert all("Harbor City FC" not in e["title"] for e in a.related or [])


def test_workspace_defaults_to_the_corpus_folder(tmp_path, monkeypatch, regen, hash_encoder):
    monkeypatch.delenv("RELATE_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    corpus = copy_data(tmp_path / "corpus")
    s = index(corpus, Config(), encoder=hash_encoder)
    assert s.exit_code == 0 and Path(s.workspace) == corpus / ".relate"
    assert (corpus / ".relate" / "params.json").is_file() and not (tmp_path / ".relate").exists()
    again = regen(corpus, Config(), jsonl=tmp_path / "out.jsonl")  # finds the same one: nothing to encode
    assert again.workspace == s.workspace and again.encoded == 0 and again.records == s.records
    monkeypatch.chdir(corpus)  # from another working folder, the same workspace
    assert Path(regen(".", Config(), dry_run=True).workspace).resolve() == (corpus / ".relate").resolve()
    cfg = Config.from_dict({"workspace": str(tmp_path / "cfg-ws")})  # the config's wins over the corpus's
    assert Path(index(corpus, cfg, encoder=hash_encoder).workspace) == tmp_path / "cfg-ws"


def test_index_with_rebuild_starts_again(fresh, hash_encoder):
    corpus, ws = fresh
    s = index(corpus, Config(), workspace=ws, encoder=hash_encoder)
    assert s.exit_code == 0 and (s.encoded, s.added, s.removed) == (0, 0, 0)
    s = index(corpus, Config(), workspace=ws, encoder=hash_encoder, rebuild=True)
    assert s.added == s.records and s.encoded == 0  # the vector cache survives a rebuild


# ====================================================================== killed runs
@pytest.fixture(scope="module")
def model_built(tmp_path_factory):
    """data/ regenerated in place once with the real model: what an uninterrupted command-line run writes."""
    root = tmp_path_factory.mktemp("batch-model")
    corpus = copy_data(root / "corpus")
    summary = regenerate(corpus, Config(), workspace=root / "ws")
    assert summary.exit_code == 0, summary.format()
    return {"corpus": corpus, "ws": root / "ws"}


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


@pytest.mark.process
@pytest.mark.model
@pytest.mark.parametrize("moment", ["encoding", "writing"])
def test_sigkill_then_rerun_finishes(tmp_path, moment, model_built):
    corpus = copy_data(tmp_path / "corpus")
    ws = tmp_path / "ws"
    if moment == "encoding":
        ready = lambda: (ws / "lock").exists()
    else:
        ready = lambda: _changed_files(corpus) > 0
    proc = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", cwd=tmp_path)
    _kill_when(proc, ready)
    assert (ws / "lock").exists()  # left behind by the dead run
    parse_all(corpus)  # every file parses: each is the old one or the new one
    rerun = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json", cwd=tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["records"] == 44 and summary["written"] == 44
    if moment == "writing":
        assert summary["encoded"] == 0  # encoding had finished before the kill
    parse_all(corpus)
    for p in corpus.glob("*.md"):  # the same files as a run never interrupted
        assert p.read_bytes() == (model_built["corpus"] / p.name).read_bytes(), p.name
    assert not [p.name for p in corpus.iterdir() if p.name.startswith(".")]  # no temporary files left
    assert not (ws / "lock").exists()
    again = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json", cwd=tmp_path)
    out, _ = again.communicate(timeout=300)
    assert json.loads(out)["changed"] == 0 and json.loads(out)["encoded"] == 0


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.model
def test_sigkill_mid_encoding_keeps_finished_chunks(tmp_path, azure_dir):
    """A few hundred azure records: killed after the first checkpoint, the rerun encodes only the rest."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(azure_dir.glob("*.md"))[:700]:
        shutil.copy(p, corpus / p.name)
    ws = tmp_path / "ws"
    proc = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", cwd=tmp_path)
    _kill_when(proc, lambda: any((ws / "vectors").glob("*.json")), timeout=300)
    parse_all(corpus)
    rerun = _relate("regenerate", str(corpus), "--workspace", str(ws), "--quiet", "--json", cwd=tmp_path)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode in (0, 1), err.decode()
    summary = json.loads(out)
    assert 0 < summary["encoded"] < summary["records"]
    assert summary["written"] == summary["records"]
    parse_all(corpus)


@pytest.mark.process
@pytest.mark.model
def test_sigterm_unwinds_cleanly(tmp_path):
    """SIGTERM during a run: exit 130, the lock let go, every file whole."""
    corpus = copy_data(tmp_path / "corpus")
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
    parse_all(corpus)
