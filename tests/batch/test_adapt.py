"""``relate adapt``: the encoder adapted to a corpus by a teacher model (relate.batch.adapt)."""
from __future__ import annotations

import numpy as np
import pytest

from relate.cli import main


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


@pytest.mark.parametrize("flag, value", [("--steps", "0"), ("--sample", "1")])
def test_steps_and_sample_are_checked(data_dir, tmp_path, capsys, flag, value):
    assert main(["adapt", str(data_dir), "--teacher", "all-MiniLM-L6-v2", flag, value,
                 "--workspace", str(tmp_path / "ws")]) == 2
    assert "at least" in capsys.readouterr().err


@pytest.mark.model
def test_adapt_writes_a_model_that_index_uses(data_dir, tmp_path, capsys):
    from relate import Engine
    from relate.config import Config, EmbedConfig

    ws = tmp_path / "ws"
    # the default model taught by itself: two steps, to show the whole path (benchmarks measure the gain)
    assert main(["adapt", str(data_dir), "--teacher", "all-MiniLM-L6-v2", "--steps", "2", "--workspace", str(ws),
                 "-q"]) == 0
    out = capsys.readouterr().out
    folder = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("adapted model: "))
    assert folder.startswith(str(ws / "adapted" / "all-MiniLM-L6-v2-from-all-MiniLM-L6-v2-"))
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
