"""The workspace: the one resolution rule (each branch), its files, scratch copy, sweep and clearing."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from relate.config import Config
from relate.errors import WorkspaceError
from relate.records import Article
from relate.workspace import (
    FOLDER_NAME,
    LOCK_NAME,
    PARAMS,
    Workspace,
    article_from_json,
    article_lines,
    article_to_json,
    sweep_record_folders,
    sweep_temp_files,
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No $RELATE_WORKSPACE, and a working folder with no .relate in it."""
    monkeypatch.delenv("RELATE_WORKSPACE", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _built(folder: Path) -> Path:
    """A folder that looks like a built workspace (it has params)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PARAMS).write_text("{}")
    return folder


# ====================================================================== resolution, branch by branch
def test_explicit_argument_wins_over_everything(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RELATE_WORKSPACE", str(tmp_path / "env"))
    cfg = Config.from_dict({"workspace": str(tmp_path / "cfg")})
    ws = Workspace.resolve(tmp_path / "arg", cfg, corpus=tmp_path)
    assert (ws.folder, ws.source) == (tmp_path / "arg", "argument")
    same = Workspace(tmp_path / "x")
    assert Workspace.resolve(same, cfg) is same


def test_config_comes_second(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RELATE_WORKSPACE", str(tmp_path / "env"))
    ws = Workspace.resolve(None, Config.from_dict({"workspace": str(tmp_path / "cfg")}), corpus=tmp_path)
    assert (ws.folder, ws.source) == (tmp_path / "cfg", "config")


def test_environment_comes_third(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RELATE_WORKSPACE", str(tmp_path / "env"))
    ws = Workspace.resolve(None, Config(), corpus=tmp_path)
    assert (ws.folder, ws.source) == (tmp_path / "env", "environment")


def test_corpus_folder_gets_its_own_dot_relate(clean_env, tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    ws = Workspace.resolve(None, Config(), corpus=corpus)
    assert (ws.folder, ws.source) == (corpus / FOLDER_NAME, "corpus")
    assert ws.folder.is_absolute()


def test_corpus_file_gets_dot_relate_in_its_folder(clean_env, tmp_path):
    records = tmp_path / "feeds" / "records.jsonl"
    records.parent.mkdir()
    records.write_text("")
    assert Workspace.resolve(None, corpus=records).folder == records.parent / FOLDER_NAME
    # a corpus file not written yet still counts as a file, by its suffix
    assert Workspace.resolve(None, corpus=tmp_path / "feeds" / "new.json").folder == records.parent / FOLDER_NAME


def test_corpus_object_counts_by_its_root(clean_env, tmp_path):
    from relate.corpus import Corpus

    assert Workspace.resolve(None, corpus=Corpus(root=str(tmp_path))).folder == tmp_path / FOLDER_NAME


def test_same_corpus_from_two_working_folders_is_one_workspace(clean_env, monkeypatch, tmp_path):
    corpus = tmp_path / "site" / "news"
    corpus.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "site")
    from_site = Workspace.resolve(None, Config(), corpus="news")
    monkeypatch.chdir(corpus)
    from_inside = Workspace.resolve(None, Config(), corpus=".")
    monkeypatch.chdir(clean_env)
    from_elsewhere = Workspace.resolve(None, Config(), corpus=os.path.relpath(corpus))
    assert from_site.folder.resolve() == from_inside.folder.resolve() == from_elsewhere.folder.resolve() \
        == (corpus / FOLDER_NAME).resolve()


def test_record_file_finds_the_nearest_workspace_above_it(clean_env, tmp_path):
    top = _built(tmp_path / "site" / FOLDER_NAME)
    near = _built(tmp_path / "site" / "news" / FOLDER_NAME)
    record = tmp_path / "site" / "news" / "2024" / "a.md"
    record.parent.mkdir(parents=True)
    record.write_text("---\ntitle: a\n---\n")
    ws = Workspace.resolve(None, Config(), near=record)
    assert (ws.folder, ws.source) == (near, "nearest")
    (near / PARAMS).unlink()  # a .relate that holds no workspace is passed over
    assert Workspace.resolve(None, near=record).folder == top
    # a folder given as "near" is searched from itself
    assert Workspace.resolve(None, near=record.parent).folder == top


def test_without_corpus_the_working_folder_then_nothing(clean_env, tmp_path):
    record = tmp_path / "elsewhere" / "a.md"
    record.parent.mkdir()
    record.write_text("")
    assert Workspace.resolve(None, Config(), near=record) is None
    assert Workspace.resolve(None) is None
    (clean_env / FOLDER_NAME).mkdir()
    assert Workspace.resolve(None) is None  # an empty ./.relate holds no workspace
    _built(clean_env / FOLDER_NAME)
    ws = Workspace.resolve(None, near=record)
    assert (ws.folder, ws.source) == (Path(FOLDER_NAME), "working folder")


def test_require_says_how_to_build_one(clean_env, tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace.*relate index CORPUS"):
        Workspace.require(Config(), near=tmp_path / "a.md")
    _built(clean_env / FOLDER_NAME)
    assert Workspace.require(Config()).folder == Path(FOLDER_NAME)


def test_read_only_corpus_says_to_pass_workspace(clean_env, tmp_path, monkeypatch):
    import errno

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)  # as in a read-only corpus folder (root ignores chmod)
    with pytest.raises(WorkspaceError, match="cannot create the workspace folder: Permission denied.*pass --workspace"):
        Workspace.resolve(None, corpus=tmp_path).create()
    with pytest.raises(WorkspaceError) as info:
        Workspace(tmp_path / "ws").create()  # an explicit folder: no hint about the corpus
    assert "--workspace" not in str(info.value)


def test_corpus_walk_skips_the_workspace_folder(tmp_path):
    from relate.corpus import read_corpus

    (tmp_path / "a.md").write_text('---\ntitle: "A"\nwebUrl: "https://e.com/a"\n---\n', encoding="utf-8")
    ws = tmp_path / FOLDER_NAME
    ws.mkdir()
    (ws / "b.md").write_text('---\ntitle: "B"\nwebUrl: "https://e.com/b"\n---\n', encoding="utf-8")
    corpus = read_corpus(tmp_path, cache=False)
    assert [a.title for a in corpus.articles] == ["A"] and not corpus.skipped


# ====================================================================== files
def test_params_and_compatibility(tmp_path):
    ws = Workspace(tmp_path)
    assert ws.read_params() is None and not ws.exists
    (tmp_path / PARAMS).write_text("{not json")
    with pytest.raises(WorkspaceError, match="unreadable workspace params"):
        ws.read_params()
    ws.write_json(PARAMS, {"format": 1, "model": "m", "dim": 3})
    assert ws.exists and ws.read_params()["model"] == "m"
    ws.check_compatible(ws.read_params(), "m")
    with pytest.raises(WorkspaceError, match="built with model 'm'.*--rebuild"):
        ws.check_compatible(ws.read_params(), "other")
    ws.check_compatible({"format": 2, "model": "m"}, "m")      # the previous format
    ws.check_compatible({"format": 3, "model": "m"}, "m")      # the current format
    with pytest.raises(WorkspaceError, match="format 4 is not one this version reads"):
        ws.check_compatible({"format": 4, "model": "m"}, "m")
    assert (ws.vector_cache, ws.models, ws.ledger) == (tmp_path / "vectors", tmp_path / "models",
                                                      tmp_path / "written.json")


def test_article_rows_round_trip(tmp_path):
    a = Article(title="Azure adds GPUs", web_url="https://e.com/a", excerpt="", quality=56, topics=["cloud"],
                published_at=datetime(2024, 1, 31, 6, tzinfo=timezone.utc), related=[{"title": "x"}])
    d = article_to_json(a)
    assert "excerpt" not in d and "related" not in d and d["published_at"] == "2024-01-31T06:00:00+00:00"
    back = article_from_json(d)
    assert back.related_entry() == a.related_entry() and back.id == a.id
    ws = Workspace(tmp_path)
    ws.write_articles(article_lines([a, a]))
    rows, lines = ws.read_articles()
    assert len(rows) == 2 and [json.loads(x) for x in lines] == [d, d]


def test_clear_keeps_the_vector_cache(tmp_path):
    for name in ("params.json", "ids.json", "vectors.npy", "index.faiss", "articles.jsonl"):
        (tmp_path / name).write_text("x")
    (tmp_path / "vectors").mkdir()
    (tmp_path / "vectors" / "m.npy").write_text("x")
    Workspace(tmp_path).clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors"]
    Workspace(tmp_path).clear()  # twice is harmless


def test_sweep_removes_only_temporary_files(tmp_path):
    keep = ["a.md", ".a.md.notatemp", ".hidden.md", ".a.md.x1y2z3w4.tm"]
    for name in [*keep, ".a.md.x1y2z3w4.tmp", ".b.md.abcdefgh.tmp"]:
        (tmp_path / name).write_text("x")
    assert sweep_temp_files(tmp_path, ["b.md"]) == 1  # only those of the files named
    assert sweep_temp_files(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".c.md.abcdefgh.tmp").write_text("x")
    (tmp_path / "sub" / ".d.md.abcdefgh.tmp").write_text("x")
    sweep_record_folders([tmp_path / "sub" / "c.md", None])
    assert [p.name for p in (tmp_path / "sub").iterdir()] == [".d.md.abcdefgh.tmp"]
    ws = Workspace(tmp_path / "ws")
    (tmp_path / "ws" / "vectors").mkdir(parents=True)
    (tmp_path / "ws" / ".ids.json.abcdefgh.tmp").write_text("x")
    (tmp_path / "ws" / "vectors" / ".m.npy.abcdefgh.tmp").write_text("x")
    assert ws.sweep() == 2
    assert sweep_temp_files(tmp_path / "missing") == 0


def test_scratch_copy_leaves_the_workspace_alone(tmp_path):
    ws = Workspace(tmp_path / "ws")
    (ws.folder / "vectors").mkdir(parents=True)
    (ws.folder / "ids.json").write_text("old")
    (ws.folder / "vectors" / "m.npy").write_text("vec")
    (ws.folder / LOCK_NAME).write_text("{}")
    with ws.scratch() as copy:
        assert copy.folder != ws.folder and copy.source == "scratch"
        assert (copy.folder / "vectors" / "m.npy").read_text() == "vec"
        assert not (copy.folder / LOCK_NAME).exists()  # the lock is not copied
        copy.write_json("ids.json", {"new": 1})  # replaced by renaming: the original stays
        scratch = copy.folder
    assert not scratch.exists()
    assert (ws.folder / "ids.json").read_text() == "old"
    with Workspace(tmp_path / "none").scratch() as empty:
        assert list(empty.folder.iterdir()) == []


def test_locked_sweeps_and_a_dry_run_creates_nothing(tmp_path):
    ws = Workspace(tmp_path / "ws")
    with ws.locked("relate test", create=False):
        assert not ws.folder.exists()
    ws.folder.mkdir()
    (ws.folder / ".ids.json.abcdefgh.tmp").write_text("x")
    with ws.locked("relate test"):
        assert (ws.folder / LOCK_NAME).exists()
        assert not (ws.folder / ".ids.json.abcdefgh.tmp").exists()
        assert "relate test (pid " in (ws.folder / LOCK_NAME).read_text()
    assert not (ws.folder / LOCK_NAME).exists()
