"""A ``.jsonl`` corpus read again: the lines the workspace holds already are not parsed, and the
lists, the summary and the workspace are those of a run that parses every line.

Real azure records (their front matter as JSON lines), the hash encoder (no model).
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date, datetime

import numpy as np
import yaml

from relate.batch import regenerate
from relate.config import Config
from relate.corpus import read_corpus
from relate.engine import Engine
from relate.frontmatter import split_front_matter

#: The workspace files a run writes; each must be the same whichever way the corpus was read.
FILES = ("ids.json", "articles.jsonl", "windows.npy", "window-sims.npy", "facts.npy", "picks.npy", "pick-scores.npy",
         "terms.json", "vectors.npy", "pending.json")


def _line(path) -> str:
    record = yaml.load(split_front_matter(path.read_bytes()).text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return json.dumps(record, ensure_ascii=False,
                      default=lambda v: v.isoformat() if isinstance(v, (date, datetime)) else str(v))


def _twin(tmp_path, ws, name):
    """A copy of the workspace that knows no line: every line of the next run is parsed."""
    twin = tmp_path / name
    shutil.copytree(ws, twin)
    (twin / "sources.npy").unlink()
    return twin


def _same_runs(a, b, tmp_path, names):
    assert (tmp_path / f"{names[0]}.jsonl").read_bytes() == (tmp_path / f"{names[1]}.jsonl").read_bytes()
    keys = ("records", "skipped", "added", "removed", "refit", "lists", "selected", "written", "changed", "failed")
    assert {k: a.to_dict()[k] for k in keys} == {k: b.to_dict()[k] for k in keys}


def test_a_night_parses_only_new_and_changed_lines_and_writes_what_parsing_every_line_writes(
        tmp_path, azure_dir, hash_encoder):
    lines = [_line(p) for p in sorted(azure_dir.glob("*.md"))[:500]]
    early, late = lines[:-30], lines[-30:]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(early) + "\n", encoding="utf-8")
    ws = tmp_path / "ws"
    first = regenerate(corpus, workspace=ws, jsonl=tmp_path / "full.jsonl", encoder=hash_encoder)
    assert first.refit and first.written == first.records > 450
    # the night: 30 new records, 10 removed, 10 with another quality, 5 retitled (a new vector)
    rng = np.random.default_rng(3)
    picks = rng.choice(len(early), size=25, replace=False).tolist()
    night_lines = list(early)
    for i in picks[10:20]:
        record = json.loads(night_lines[i])
        record["quality"] = 99
        night_lines[i] = json.dumps(record, ensure_ascii=False)
    for i in picks[20:]:
        record = json.loads(night_lines[i])
        record["title"] += " (updated)"
        night_lines[i] = json.dumps(record, ensure_ascii=False)
    night_lines = [x for i, x in enumerate(night_lines) if i not in picks[:10]] + late
    corpus.write_text("\n".join(night_lines) + "\n", encoding="utf-8")

    twin = _twin(tmp_path, ws, "twin")
    probe = read_corpus(corpus, known=Engine(ws, encoder=hash_encoder).known_lines())
    plain = read_corpus(corpus)
    assert [a.id for a in probe.articles] == [a.id for a in plain.articles]
    assert [(e.code, e.reason) for e in probe.skipped] == [(e.code, e.reason) for e in plain.skipped]
    assert probe.stats["parsed"] + probe.stats["unchanged"] == len(night_lines)
    unchanged = {a.line for a in probe.articles if type(a).__name__ == "Unchanged"}
    before = set(early)
    assert all(night_lines[n - 1] in before for n in unchanged)               # only lines held already
    assert not {n for n, x in enumerate(night_lines, 1) if x not in before} & unchanged   # new, changed: parsed
    copies = sum(n for n in Counter(e.path for e in plain.skipped if e.code == "duplicate-id").values())
    assert len(unchanged) >= len(night_lines) - 45 - 2 * copies > 400

    night = regenerate(corpus, workspace=ws, jsonl=tmp_path / "night.jsonl", encoder=hash_encoder)
    parsed_all = regenerate(corpus, workspace=twin, jsonl=tmp_path / "twin-night.jsonl", encoder=hash_encoder)
    assert night.lists == "all"          # --jsonl writes every list unless asked for the changed ones
    _same_runs(night, parsed_all, tmp_path, ("night", "twin-night"))
    for name in FILES:
        assert (ws / name).read_bytes() == (twin / name).read_bytes(), name
    assert np.array_equal(np.load(ws / "sources.npy"), np.load(twin / "sources.npy"))

    # only the changed lists, then a refit: the same either way
    for options, name in (({"changed": True}, "changed"), ({"refit": True}, "refit")):
        twin = _twin(tmp_path, ws, f"twin-{name}")
        a = regenerate(corpus, workspace=ws, jsonl=tmp_path / f"{name}.jsonl", encoder=hash_encoder, **options)
        b = regenerate(corpus, workspace=twin, jsonl=tmp_path / f"twin-{name}.jsonl", encoder=hash_encoder, **options)
        _same_runs(a, b, tmp_path, (name, f"twin-{name}"))
        for f in FILES:
            assert (ws / f).read_bytes() == (twin / f).read_bytes(), (name, f)
    assert a.refit and a.written == a.records


def test_lines_are_parsed_again_when_the_rows_were_made_otherwise(tmp_path, azure_dir, hash_encoder):
    """Another relate version, or other text settings, may read a line into another row: none is trusted."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(_line(p) for p in sorted(azure_dir.glob("*.md"))[:60]) + "\n", encoding="utf-8")
    ws = tmp_path / "ws"
    regenerate(corpus, workspace=ws, jsonl=tmp_path / "a.jsonl", encoder=hash_encoder)
    assert read_corpus(corpus, known=Engine(ws, encoder=hash_encoder).known_lines()).stats["parsed"] < 5
    params = json.loads((ws / "params.json").read_text(encoding="utf-8"))
    (ws / "params.json").write_text(json.dumps({**params, "relate_version": "0.0.1"}), encoding="utf-8")
    assert Engine(ws, encoder=hash_encoder).known_lines() is None
    (ws / "params.json").write_text(json.dumps(params), encoding="utf-8")
    other = Config.from_dict({"embed": {"excerpt_chars": 200}})
    assert Engine(ws, config=other, encoder=hash_encoder).known_lines() is None


def test_a_night_reads_from_the_workspace_only_the_lines_of_the_rows_it_needs(tmp_path, azure_dir, hash_encoder,
                                                                               monkeypatch):
    """The workspace's lines stay in its file (FileLines): a night that changes one record reads the
    lines of the rows near it, not every row's, and leaves every line in the file when it is saved."""
    from relate.workspace import FileLines

    config = Config.from_dict({"rank": {"candidates": 10}})
    lines = [_line(p) for p in sorted(azure_dir.glob("*.md"))[:250]]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    ws = tmp_path / "ws"
    regenerate(corpus, config, workspace=ws, jsonl=tmp_path / "full.jsonl", encoder=hash_encoder)
    record = json.loads(lines[0])
    record["quality"] = 1
    corpus.write_text("\n".join([json.dumps(record, ensure_ascii=False), *lines[1:]]) + "\n", encoding="utf-8")

    read: list[int] = []                                    # the rows read one at a time
    item = FileLines.__getitem__
    monkeypatch.setattr(FileLines, "__getitem__",
                        lambda self, row: (isinstance(row, int) and read.append(row), item(self, row))[1])
    engine = Engine(ws, config=config, encoder=hash_encoder)
    rows = len(engine._s.lines)
    assert isinstance(engine._s.lines, FileLines) and rows > 235
    night = read_corpus(corpus, known=engine.known_lines())
    assert night.stats["unchanged"] > rows - 10           # the changed line and each copy of a duplicated id parsed
    engine.update(night, keep_records=False)
    assert 0 < len(set(read)) < rows / 4, len(set(read))   # the changed row's neighbours' facts, not every row's
    assert len(engine._s.lines) == rows + 2 and not engine._s.lines._set      # saved: read from the file again
    assert (ws / "articles.jsonl").read_text(encoding="utf-8").splitlines() == list(engine._s.lines)
