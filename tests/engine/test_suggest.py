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


def test_an_indexed_record_without_a_url_is_suggested_for_by_its_file(tmp_path, hash_encoder, monkeypatch):
    """A record with neither webUrl nor originalUrl gets its address from its path when its corpus
    is read (``corpus.url_template``); suggest on the file finds it by that file, as the batch job
    does, and a file the workspace does not hold is still refused by name."""
    from relate.config import Config
    from relate.errors import RecordError

    corpus = tmp_path / "site" / "_news"
    corpus.mkdir(parents=True)
    names = sorted(p.name for p in (Path(relate.__file__).parents[2] / "data").glob("*.md"))[:12]
    for name in names:
        (corpus / name).write_bytes((Path(relate.__file__).parents[2] / "data" / name).read_bytes())
    victim = corpus / names[0]
    victim.write_text("".join(line for line in victim.read_text(encoding="utf-8").splitlines(keepends=True)
                              if not line.startswith(("webUrl:", "originalUrl:"))), encoding="utf-8")
    engine = relate.Engine.build(tmp_path / "site", workspace=tmp_path / "ws", config=Config(), encoder=hash_encoder)
    row = next(a for a in engine._rows if a.path and Path(a.path).name == names[0])
    assert row.address == f"/news/{victim.stem}/" and not row.web_url
    expected = engine.suggest(row)
    assert expected and engine.suggest(str(victim)) == expected and engine.suggest(victim) == expected
    monkeypatch.chdir(tmp_path / "site")                    # the same file, named from elsewhere
    assert engine.suggest(Path("_news") / names[0]) == expected
    stranger = tmp_path / "elsewhere.md"
    stranger.write_bytes(victim.read_bytes())
    with pytest.raises(RecordError, match="neither webUrl nor originalUrl") as err:
        engine.suggest(stranger)
    assert err.value.code == "missing-url"
