"""relate.user_cache: one folder for every cache relate keeps for the user."""
from __future__ import annotations

from relate.corpus.cache import default_cache_file
from relate.embed.onnx.model import export_folder
from relate.user_cache import user_cache_dir


def test_every_cache_lives_in_the_one_user_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RELATE_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("RELATE_CACHE", str(tmp_path / "b"))
    assert user_cache_dir() == tmp_path / "a"
    # the record cache of a corpus folder and the ONNX export of a model used without a workspace
    assert default_cache_file(tmp_path / "corpus").parent == tmp_path / "a"
    assert export_folder(tmp_path / "model").parent == tmp_path / "a" / "onnx"
    monkeypatch.delenv("RELATE_CACHE_DIR")
    assert user_cache_dir() == tmp_path / "b"                      # the name the ONNX exports used first
    assert default_cache_file(tmp_path / "corpus").parent == tmp_path / "b"
    monkeypatch.delenv("RELATE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert user_cache_dir() == tmp_path / "x" / "relate"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert user_cache_dir() == tmp_path / "h" / ".cache" / "relate"
