"""``relate adapt``: the encoder adapted to a corpus by a teacher model (relate.batch.adapt)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from relate.batch import adapt as adapt_module
from relate.cli import main
from relate.config import Config, EmbedConfig
from relate.embed import Encoder
from relate.embed.distil import Distilled


def test_a_teacher_that_is_not_a_model_folder_is_a_usage_error(data_dir, tmp_path, capsys):
    assert main(["adapt", str(data_dir), "--teacher", str(tmp_path / "no-model"), "--workspace",
                 str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert "--teacher" in err and "no such model folder" in err
    assert not (tmp_path / "ws").exists()          # refused before any work


def test_an_existing_model_folder_is_never_overwritten(data_dir, tmp_path, capsys):
    out = tmp_path / "adapted"
    out.mkdir()
    (out / "config.json").write_text("{}")
    assert main(["adapt", str(data_dir), "--teacher", "all-MiniLM-L6-v2", "--out", str(out),
                 "--workspace", str(tmp_path / "ws")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "config.json").read_text() == "{}"


@pytest.mark.parametrize("flag, value, says", [("--steps", "0", "at least"), ("--sample", "1", "at least"),
                                              ("--mix", "1.5", "between 0 and 1")])
def test_steps_sample_and_mix_are_checked(data_dir, tmp_path, capsys, flag, value, says):
    assert main(["adapt", str(data_dir), "--teacher", "all-MiniLM-L6-v2", flag, value,
                 "--workspace", str(tmp_path / "ws")]) == 2
    assert says in capsys.readouterr().err


@pytest.mark.model
def test_adapt_writes_a_model_that_index_uses(data_dir, tmp_path, capsys, mpnet_cache, monkeypatch):
    from relate import Engine

    ws = tmp_path / "ws"
    monkeypatch.setenv("RELATE_CACHE_DIR", str(mpnet_cache))
    # the default teacher, all-mpnet-base-v2 as its packages ship it: two steps, to show the whole
    # path (benchmarks measure the gain)
    assert main(["adapt", str(data_dir), "--steps", "2", "--workspace", str(ws), "-q"]) == 0
    out = capsys.readouterr().out
    folder = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("adapted model: "))
    # the student is taught itself and the teacher joined: both are in the folder's name
    assert folder.startswith(str(ws / "adapted" / "all-MiniLM-L6-v2-from-all-MiniLM-L6-v2+all-mpnet-base-v2-"))
    assert f"embed: {{model: {folder}}}" in out
    # the teacher's vectors are in the workspace's vector cache: a second run encodes nothing again
    assert any((ws / "vectors").iterdir())
    assert main(["index", str(data_dir), "--workspace", str(tmp_path / "ws2"), "--embed-model", folder, "-q"]) == 0
    adapted = Engine(tmp_path / "ws2", Config(embed=EmbedConfig(model=folder)))
    default = Engine.build(data_dir, workspace=tmp_path / "ws3")
    a, d = np.asarray(adapted.vectors), np.asarray(default.vectors)
    assert a.shape == d.shape
    cos = np.einsum("ij,ij->i", a, d)
    assert 0.9 < cos.min() and cos.mean() < 0.99999      # moved by training, but only a little


@pytest.mark.model
def test_the_student_is_taught_itself_and_the_teacher_joined(data_dir, tmp_path, monkeypatch, mpnet_cache):
    monkeypatch.setenv("RELATE_CACHE_DIR", str(mpnet_cache))
    teacher = "all-mpnet-base-v2"
    taught = {}

    def capture(texts, vectors, student, folder, **kw):     # what relate adapt trains on, not trained here
        taught[Path(folder).name] = (list(texts), vectors, kw.get("mix"))
        return Distilled(str(folder), len(texts), 0, 0.0, 0.0, 0.0)

    monkeypatch.setattr(adapt_module, "distil", capture)
    for alone in (False, True):
        adapt_module.adapt(data_dir, Config(), teacher=str(teacher), workspace=tmp_path / "ws",
                           out=tmp_path / f"alone-{alone}", teacher_alone=alone)
    # both models' vectors are kept in the workspace's vector cache (a workspace indexed with the
    # student already holds its vectors): one file set per model
    assert len({f.name.split(".")[0] for f in (tmp_path / "ws" / "vectors").iterdir()}) == 2
    texts, joined, mix = taught["alone-False"]
    # what is saved is the trained weights mixed with the student's own, by default at MIX
    assert mix == adapt_module.MIX and 0 < mix < 1
    assert taught["alone-True"][0] == texts and len(texts) > 20
    student_v = Encoder(EmbedConfig(backend="torch")).encode(texts)
    teacher_v = Encoder(EmbedConfig(model=teacher, backend="torch")).encode(texts)
    assert np.allclose(taught["alone-True"][1], teacher_v, atol=1e-5)
    assert joined.shape == (len(texts), 384 + 768)
    assert np.allclose(joined, np.hstack([student_v, teacher_v]) / np.sqrt(2), atol=1e-5)
    # its similarities are the mean of the two models' cosines, which differ from the teacher's
    mean = (student_v @ student_v.T + teacher_v @ teacher_v.T) / 2
    assert np.allclose(joined @ joined.T, mean, atol=1e-5)
    assert np.abs(mean - teacher_v @ teacher_v.T).max() > 1e-3
