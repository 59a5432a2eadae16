"""``relate.suggest``: the workspace it finds (configured, nearest the record, here, or the sample)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import relate

suggest_module = importlib.import_module("relate.engine.suggest")  # the module, not the function


class FakeEngine:
    """Records the workspace it was opened on."""

    def __init__(self, workspace, config=None):
        self.workspace = workspace

    @classmethod
    def build(cls, corpus, workspace=None, config=None):
        engine = cls(workspace)
        engine.corpus = corpus
        return engine

    def suggest(self, article, k=None, **options):
        return [{"workspace": self.workspace, "k": k, **options}]


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setattr(suggest_module, "Engine", FakeEngine)
    monkeypatch.setattr(suggest_module, "_DEFAULT_ENGINES", {})
    monkeypatch.delenv("RELATE_WORKSPACE", raising=False)
    monkeypatch.delenv("RELATE_CONFIG", raising=False)
    monkeypatch.setenv("RELATE_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _record(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('---\ntitle: "A"\nwebUrl: "https://e.com/a"\n---\n', encoding="utf-8")
    return path


def test_nearest_workspace_above_the_record(fake, tmp_path):
    (tmp_path / "site" / ".relate").mkdir(parents=True)
    (tmp_path / "site" / ".relate" / "params.json").write_text("{}")
    record = _record(tmp_path / "site" / "news" / "a.md")
    [out] = relate.suggest(str(record), k=2, max_per_provider=1)
    assert out["workspace"].folder == tmp_path / "site" / ".relate" and out["workspace"].source == "nearest"
    assert (out["k"], out["max_per_provider"]) == (2, 1)
    # the engine is kept: the second call opens nothing
    assert relate.suggest(str(record))[0]["workspace"] is out["workspace"]


def test_environment_then_sample(fake, tmp_path, monkeypatch):
    record = _record(tmp_path / "loose" / "a.md")
    [out] = relate.suggest(str(record))
    assert out["workspace"] == tmp_path / "cache" / "sample-workspace"  # nothing found: the sample
    monkeypatch.setenv("RELATE_WORKSPACE", str(tmp_path / "env"))
    assert relate.suggest({"title": "A", "webUrl": "https://e.com/a"})[0]["workspace"].folder == tmp_path / "env"
    assert relate.suggest(str(record), workspace=tmp_path / "arg")[0]["workspace"] == tmp_path / "arg"


def test_no_sample_and_no_workspace_says_how_to_build_one(fake, monkeypatch, tmp_path):
    monkeypatch.setattr(suggest_module, "SAMPLE_DATA", tmp_path / "no-data")
    with pytest.raises(relate.WorkspaceError, match="relate index CORPUS"):
        relate.suggest({"title": "A", "webUrl": "https://e.com/a"})


@pytest.mark.model
def test_relate_suggest_uses_the_configured_workspace(data_engine, monkeypatch):
    monkeypatch.setenv("RELATE_WORKSPACE", str(data_engine.folder))
    monkeypatch.setattr(suggest_module, "_DEFAULT_ENGINES", {})
    a = next(a for a in data_engine.articles.values() if "Regulator opens inquiry into Marlow" in a.title)
    assert relate.suggest(a, k=2) == data_engine.suggest(a, k=2)


def test_engines_kept_per_workspace_reopened_when_it_changes(tmp_path, monkeypatch):
    import sys

    import relate.engine  # noqa: F401 - loads the module; its name is shadowed by the function
    sg = sys.modules["relate.engine.suggest"]
    opened = []

    class FakeEngine:
        def __init__(self, workspace):
            opened.append(workspace)

        def suggest(self, article, k=5, **options):
            return [{"title": "x", "webUrl": "u"}][:k]

    monkeypatch.setattr(sg, "Engine", FakeEngine)
    monkeypatch.setattr(sg, "_ENGINES", {})
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "params.json").write_text("{}")
    for _ in range(3):
        assert sg.suggest({"title": "a", "webUrl": "https://e.com/a"}, k=1, workspace=ws) == [{"title": "x", "webUrl": "u"}]
    assert len(opened) == 1
    (ws / "params.json").write_text('{"changed": 1}')
    sg.suggest({"title": "a", "webUrl": "https://e.com/a"}, workspace=ws)
    assert len(opened) == 2


@pytest.mark.parametrize("k", [-3, "5", 1.5, True])
def test_suggest_bad_k_is_an_error(k):
    import relate
    from relate.errors import ConfigError

    with pytest.raises(ConfigError, match="whole number"):
        relate.suggest({"title": "a", "webUrl": "https://e.com/a"}, k=k, workspace="/nonexistent")


def test_quiet_libraries_restores_the_environment(monkeypatch):
    import os
    import sys

    quiet_libraries = sys.modules["relate.engine.suggest"].quiet_libraries

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    with quiet_libraries():
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    assert "HF_HUB_DISABLE_PROGRESS_BARS" not in os.environ
