"""The ``relate`` command line: flags for every config key, exit codes, and each subcommand on data/."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from relate.cli import build_parser, main
from relate.cli_flags import config_from_args, config_keys, flag_name
from relate.config import Config

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
OUTAGE = "2023-11-14-nimbus-cloud-outage-takes-down-thousands-of-sites-across-us-east.md"


def _config(*argv: str) -> Config:
    return config_from_args(build_parser().parse_args(["index", "corpus", *argv]))


def _choices(key: str) -> tuple[str, ...]:
    """The choices a config key's field declares in its metadata (empty when any value goes)."""
    section, _, name = key.rpartition(".")
    cls = type(getattr(Config(), section)) if section else Config
    return next(f.metadata.get("choices", ()) for f in dataclasses.fields(cls) if f.name == name)


def _example_value(default, hint) -> tuple[list[str], object]:
    """Flag arguments that set a key to a value different from its default, and that value."""
    text = str(hint)
    if isinstance(default, bool) or "bool" in text:
        return ([], not bool(default))
    if isinstance(default, list) or "list" in text:
        return (["a.com,b.com"], ["a.com", "b.com"])
    if default is None:
        if "int" in text:
            return (["7"], 7)
        if "float" in text:
            return (["7.5"], 7.5)
        return (["somewhere"], "somewhere")
    if isinstance(default, int):
        return ([str(default + 1)], default + 1)
    if isinstance(default, float):
        return ([str(default + 0.25)], default + 0.25)
    return None


# ====================================================================== flags and config
def test_every_config_key_is_a_flag(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no relate.yaml here
    monkeypatch.delenv("RELATE_CONFIG", raising=False)
    defaults = Config().to_dict()
    keys = config_keys()
    assert {k for k, _, _ in keys} >= {"workspace", "embed.model", "embed.backend", "rank.k", "batch.engine",
                                        "index.kind", "rank.exclude_providers"}
    for key, hint, _ in keys:
        section, _, name = key.rpartition(".")
        default = defaults[section][name] if section else defaults[name]
        example = _example_value(default, hint)
        if example is None:  # a string: another of its choices, or any text
            choices = list(_choices(key))
            value = next(v for v in choices if v != default) if choices else "other-value"
            example = ([value], value)
        args, value = example
        flag = flag_name(key)
        if not args:
            flag = flag if value else "--no-" + flag[2:]
        got = _config(flag, *args).to_dict()
        got = got[section][name] if section else got[name]
        assert got == value, key


def test_flags_with_choices_and_none():
    cfg = _config("--embed-backend", "onnx", "-k", "3", "--rank-max-per-provider", "none",
                  "--index-kind", "hnsw", "--no-batch-progress")
    assert (cfg.embed.backend, cfg.rank.k, cfg.rank.max_per_provider, cfg.index.kind, cfg.batch.progress) == \
           ("onnx", 3, None, "hnsw", False)
    assert _config("--rank-k", "4").rank.k == 4


def test_help_lists_every_flag(capsys):
    assert main(["regenerate", "--help"]) == 0
    out = capsys.readouterr().out
    for key, _, _ in config_keys():
        assert flag_name(key) in out, key
    for flag in ("--out", "--jsonl", "--dry-run", "--since", "--quiet", "--config", "--wait"):
        assert flag in out


@pytest.mark.parametrize("command", ["index", "regenerate", "suggest", "eval", "adapt"])
def test_each_subcommand_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert f"usage: relate {command}" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys, tmp_path):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["index"]) == 2  # CORPUS missing
    assert main(["index", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["regenerate", str(DATA), "--out", "a", "--jsonl", "b"]) == 2  # not both
    capsys.readouterr()
    assert main(["regenerate", str(DATA), "--rank-k", "many"]) == 2
    assert "--rank-k" in capsys.readouterr().err
    assert main(["regenerate", str(DATA), "--embed-backend", "tensorflow"]) == 2
    assert "torch" in capsys.readouterr().err
    assert main(["regenerate", str(DATA), "--since", "someday", "--workspace", str(tmp_path / "ws")]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["index", str(DATA), "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["index", str(DATA), "--batch-engine", "spark", "--workspace", str(tmp_path / "ws")]) == 2
    assert "local, ray" in capsys.readouterr().err


def test_a_missing_backend_package_is_a_usage_error_not_a_traceback(monkeypatch, capsys, tmp_path):
    """A backend that needs a package not installed (onnxruntime, or onnxscript to export some
    models) stops the command with exit 2 and the install to run, before any file is touched."""
    from relate.embed import BackendUnavailable, Encoder

    def unavailable(self):
        raise BackendUnavailable("exporting this model to ONNX needs onnxscript: pip install onnxscript, "
                                 "or set embed.backend: torch")
    monkeypatch.setattr(Encoder, "_load", unavailable)
    corpus = tmp_path / "c"
    shutil.copytree(DATA, corpus)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    assert main(["regenerate", str(corpus), "--workspace", str(tmp_path / "ws"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "pip install onnxscript" in err and "embed.backend: torch" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_config_file_in_working_folder_and_flags_win(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELATE_CONFIG", raising=False)
    (tmp_path / "relate.yaml").write_text("rank:\n  k: 2\n  max_per_provider: 1\nembed:\n  batch_size: 16\n")
    cfg = _config()
    assert (cfg.rank.k, cfg.rank.max_per_provider, cfg.embed.batch_size) == (2, 1, 16)
    cfg = _config("-k", "7")
    assert (cfg.rank.k, cfg.rank.max_per_provider) == (7, 1)
    other = tmp_path / "other.yaml"
    other.write_text("rank:\n  k: 9\n")
    assert _config("--config", str(other)).rank.k == 9


def test_unknown_key_in_config_file_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELATE_CONFIG", raising=False)
    (tmp_path / "relate.yaml").write_text("rank:\n  kk: 2\n")
    assert main(["index", str(DATA)]) == 2
    assert "rank.kk" in capsys.readouterr().err


@pytest.mark.process
def test_cli_import_is_light():
    code = ("import sys; from relate.cli import main; rc = main(['regenerate', '--help']);"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'sklearn', 'onnxruntime') if m in sys.modules];"
            "print(heavy, file=sys.stderr); sys.exit(rc if not heavy else 9)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.process
def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "relate"
    if not exe.exists():
        pytest.skip("relate console script not installed (pip install -e .)")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("relate ")


def test_help_and_metavars_come_from_the_config_fields(capsys):
    assert main(["index", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--embed-backend {torch,onnx,onnx-int8}" in out and "--workspace DIR|none" in out
    assert "--rank-max-per-provider N|none" in out and "--rank-exclude-topics A,B" in out
    for key, _, help_text in config_keys():
        assert help_text == _field(key).metadata["help"]
        assert " ".join(help_text.split()[:4]) in out, key


def _field(key: str) -> dataclasses.Field:
    section, _, name = key.rpartition(".")
    cls = type(getattr(Config(), section)) if section else Config
    return next(f for f in dataclasses.fields(cls) if f.name == name)


# ====================================================================== on data/
# The commands on data/ encode with the real model.
@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    shutil.copytree(DATA, corpus, ignore=shutil.ignore_patterns("README*"))
    ws = root / "ws"
    assert main(["index", str(corpus), "--workspace", str(ws), "--quiet"]) == 0
    return {"root": root, "corpus": corpus, "ws": ws}


@pytest.mark.model
def test_index_again_encodes_nothing(indexed, capsys):
    assert main(["index", str(indexed["corpus"]), "--workspace", str(indexed["ws"]), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == 44 and summary["encoded"] == 0 and summary["exit_code"] == 0
    assert set(summary["seconds"]) >= {"load", "encode", "index", "total"}


@pytest.mark.model
def test_suggest_prints_yaml_block(indexed, capsys):
    assert main(["suggest", str(indexed["corpus"] / OUTAGE), "--workspace", str(indexed["ws"]), "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("related:")
    entries = yaml.safe_load(out)["related"]
    assert 1 <= len(entries) <= 3
    assert all("score" not in e for e in entries)
    assert any("Nimbus" in e["title"] for e in entries)


@pytest.mark.model
def test_suggest_json_has_scores(indexed, capsys):
    assert main(["suggest", str(indexed["corpus"] / OUTAGE), "--workspace", str(indexed["ws"]), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries and all("score" in e and "score_parts" in e for e in entries)
    assert [e["score"] for e in entries] == sorted((e["score"] for e in entries), reverse=True)


def test_a_folder_given_for_a_file_is_named_as_a_folder(tmp_path, capsys):
    assert main(["suggest", str(DATA), "--workspace", str(tmp_path / "ws")]) == 2
    assert f"{DATA}: a folder, not a record file" in capsys.readouterr().err
    assert main(["index", str(DATA), "--workspace", str(tmp_path / "ws"), "--config", str(tmp_path)]) == 2
    assert f"--config {tmp_path}: a folder" in capsys.readouterr().err and not (tmp_path / "ws").exists()


def test_suggest_without_workspace_says_how_to_build_it(tmp_path, capsys):
    assert main(["suggest", str(DATA / OUTAGE), "--workspace", str(tmp_path / "empty")]) == 3
    assert "relate index" in capsys.readouterr().err


@pytest.mark.model
def test_regenerate_dry_run_reports_examples(indexed, capsys):
    before = {p.name: p.read_bytes() for p in indexed["corpus"].iterdir()}
    assert main(["regenerate", str(indexed["corpus"]), "--workspace", str(indexed["ws"]), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would change" in out and "example:" in out and "before:" in out and "after:" in out
    assert {p.name: p.read_bytes() for p in indexed["corpus"].iterdir()} == before


@pytest.mark.model
def test_regenerate_jsonl_and_since(indexed, tmp_path, capsys):
    out = tmp_path / "lists.jsonl"
    rc = main(["regenerate", str(indexed["corpus"]), "--workspace", str(indexed["ws"]), "--jsonl", str(out),
               "--since", "2024-02-01", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["selected"] == summary["written"] == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in rows] == [{"webUrl", "related"}] * 2


@pytest.mark.model
def test_regenerate_paths_from_file(indexed, tmp_path, capsys):
    listing = tmp_path / "paths.txt"
    listing.write_text(f"# changed today\n{indexed['corpus'] / OUTAGE}\n")
    out = tmp_path / "lists.jsonl"
    rc = main(["regenerate", str(indexed["corpus"]), "--workspace", str(indexed["ws"]), "--jsonl", str(out),
               "--paths-from", str(listing), "--json"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["written"] == 1
    assert main(["regenerate", str(indexed["corpus"]), "--workspace", str(indexed["ws"]), "--dry-run",
                 str(tmp_path / "elsewhere.md")]) == 2
    assert "not in the corpus" in capsys.readouterr().err


@pytest.mark.model
def test_locked_workspace_exits_3(indexed, capsys):
    lock = indexed["ws"] / "lock"
    lock.write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname(), "started": None,
                                "command": "relate regenerate (nightly)", "token": "t"}))
    try:
        assert main(["index", str(indexed["corpus"]), "--workspace", str(indexed["ws"])]) == 3
    finally:
        lock.unlink()
    err = capsys.readouterr().err
    assert "in use by 'relate regenerate (nightly)'" in err and f"pid {os.getppid()}" in err


@pytest.mark.model
def test_bad_record_exits_1_and_is_listed(indexed, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(indexed["corpus"], corpus)
    (corpus / "2024-03-01-broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    ws = tmp_path / "ws"
    shutil.copytree(indexed["ws"], ws)
    assert main(["regenerate", str(corpus), "--workspace", str(ws), "--out", str(tmp_path / "mirror")]) == 1
    out = capsys.readouterr().out
    assert "skipped records (1)" in out and "2024-03-01-broken.md" in out
    # the mirror still holds every file, the bad one copied as it was
    assert (tmp_path / "mirror" / "2024-03-01-broken.md").read_text(encoding="utf-8") == \
           "---\ntitle: [unclosed\n---\n"
    assert len(list((tmp_path / "mirror").glob("*.md"))) == 45


@pytest.mark.model
@pytest.mark.process
def test_progress_bars_on_a_terminal_only(indexed, tmp_path):
    """Through a pseudo-terminal the stages draw bars on stderr; through a pipe nothing is drawn."""
    import pty

    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", COLUMNS="100")
    cmd = [sys.executable, "-m", "relate.cli", "regenerate", str(indexed["corpus"]), "--workspace",
           str(indexed["ws"]), "--jsonl", str(tmp_path / "out.jsonl")]
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=120)
    finally:
        os.close(master)
    assert proc.returncode == 0
    drawn = b"".join(chunks).decode("utf-8", "replace")
    for stage in ("load", "index", "rank", "write"):
        assert stage in drawn, drawn
    assert "44/44" in drawn
    piped = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert piped.returncode == 0 and piped.stderr == ""


def test_eval_calls_write_report(monkeypatch, tmp_path, capsys):
    import relate.report

    calls = {}

    def fake(corpus, out, **kw):
        calls.update(kw, corpus=corpus, out=out)
        return Path(out) / "relate-eval.html"

    monkeypatch.setattr(relate.report, "write_report", fake)
    (tmp_path / "j.jsonl").write_text('{"query": "a", "candidate": "b", "grade": 1, "dup": false}\n')
    rc = main(["eval", str(DATA), "--out", str(tmp_path / "r"), "--judgments", str(tmp_path / "j.jsonl"), "--compare", "tfidf",
               "-k", "4", "--workspace", str(tmp_path / "ws")])
    assert rc == 0 and "relate-eval.html" in capsys.readouterr().out
    assert (calls["out"], calls["judgments"], calls["compare"], calls["k"]) == (str(tmp_path / "r"), str(tmp_path / "j.jsonl"),
                                                                               "tfidf", 4)
    assert calls["workspace"] == tmp_path / "ws" and calls["config"].rank.k == 4
    calls.clear()
    assert main(["eval", str(DATA), "--out", str(tmp_path / "r"), "--workspace", str(tmp_path / "ws")]) == 0
    assert "compare" not in calls  # write_report's own default (legacy)


# ---------------------------------------------------------------------- hostile input (issue 11)
@pytest.mark.parametrize("content", [None, "", "not json\n", '{"query": "a"}\n'])
def test_eval_bad_judgments_is_one_located_usage_line(tmp_path, capsys, content):
    judgments = tmp_path / "j.jsonl"
    if content is not None:
        judgments.write_text(content)
    code = main(["eval", str(DATA), "--out", str(tmp_path / "r"), "--judgments", str(judgments),
                 "--workspace", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and str(judgments) in err
    if content and content.startswith("not"):
        assert f"{judgments}:1:" in err


@pytest.mark.parametrize("compare, message", [("bogus", "bogus: no such file; give"),
                                              ("notjson", "not JSON (Expecting value at line 1)"),
                                              ("list", "expected a JSON object")])
def test_eval_bad_compare_is_one_usage_line_before_any_work(tmp_path, capsys, compare, message):
    if compare != "bogus":
        (tmp_path / compare).write_text({"notjson": "nope", "list": "[1, 2]"}[compare])
    code = main(["eval", str(DATA), "--out", str(tmp_path / "r"), "--compare", str(tmp_path / compare),
                 "--workspace", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "ws").exists() and not (tmp_path / "r").exists()


def test_negative_k_is_a_usage_error_and_nothing_changes(tmp_path, capsys):
    corpus = tmp_path / "c"
    shutil.copytree(DATA, corpus)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    assert main(["regenerate", str(corpus), "-k", "-3", "--workspace", str(tmp_path / "ws")]) == 2
    assert "'rank.k') is -3; it must be at least 0" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_out_on_an_existing_file_is_one_usage_error(tmp_path, capsys):
    target = tmp_path / "f.txt"
    target.write_text("x")
    assert main(["regenerate", str(DATA), "--out", str(target), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "existing file" in err


@pytest.mark.parametrize("files, code", [({}, 0), ({"bad.md": "---\ntitle: [\n---\n"}, 1)])
def test_nothing_to_index_prints_a_summary(tmp_path, capsys, files, code):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text)
    for argv in (["index", str(corpus)], ["regenerate", str(corpus)], ["regenerate", str(corpus), "--dry-run"]):
        assert main([*argv, "--workspace", str(tmp_path / "ws")]) == code
        out, err = capsys.readouterr()
        assert "nothing to index" in out and "Traceback" not in err


def test_include_exclude_flags():
    cfg = _config("--include", "_news/", "--exclude", "_drafts/,assets/")
    assert cfg.corpus.include == ["_news/"] and cfg.corpus.exclude == ["_drafts/", "assets/"]
