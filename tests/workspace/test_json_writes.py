"""The workspace's JSON files are written a block at a time, byte for byte what ``json.dumps`` of
the whole would give (real azure rows: ids, text keys, key terms, corpus statistics)."""
from __future__ import annotations

import json

import pytest

from relate.engine import Engine
from relate.workspace import Workspace
from relate.workspace.workspace import _json_pieces, write_json


@pytest.fixture(scope="module")
def azure_ws(tmp_path_factory, azure_dir, hash_encoder):
    folder = tmp_path_factory.mktemp("azure-json")
    engine = Engine.build(sorted(azure_dir.glob("*.md"))[:1500], workspace=folder, encoder=hash_encoder)
    return engine, folder


def _dumps(data):
    return json.dumps(data, ensure_ascii=False, default=str)


def test_the_workspace_json_files_are_what_dumping_them_whole_gives(azure_ws):
    engine, folder = azure_ws
    for name in ("ids.json", "terms.json", "stats.json", "params.json"):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        assert (folder / name).read_bytes() == _dumps(data).encode("utf-8"), name
    s = engine._s
    assert json.loads((folder / "ids.json").read_text(encoding="utf-8"))["ids"] == s.ids
    assert json.loads((folder / "terms.json").read_text(encoding="utf-8")) == [sorted(t) for t in s.terms]


@pytest.mark.parametrize("block", [1, 7, 1000])
def test_pieces_of_real_rows_join_to_the_whole_text(azure_ws, block):
    engine, folder = azure_ws
    s = engine._s
    ids = {"ids": s.ids, "keys": s.keys, "dead": [], "digests": None, "hide_digests": False, "removed": [3, 5]}
    terms = [sorted(t) for t in s.terms]
    stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
    for data in (ids, terms, stats, {}, [], {1: s.ids[:9]}, (s.ids[0], 2)):
        pieces = list(_json_pieces(data, block))
        assert "".join(pieces) == _dumps(data)
        if block == 7 and data is terms:
            assert len(pieces) > len(terms) // 7                 # a block at a time, not one text


def test_a_json_list_written_in_blocks_is_the_list_dumped_whole(tmp_path, azure_ws):
    engine, _ = azure_ws
    terms = engine._s.terms * 6                                # more than one block of 8,192
    assert len(terms) > 8192
    ws = Workspace(tmp_path, "test")
    ws.write_json_list("terms.json", terms, sorted)
    write_json(tmp_path / "whole.json", [sorted(t) for t in terms])
    assert (tmp_path / "terms.json").read_bytes() == (tmp_path / "whole.json").read_bytes()
    assert (tmp_path / "terms.json").read_bytes() == _dumps([sorted(t) for t in terms]).encode("utf-8")
