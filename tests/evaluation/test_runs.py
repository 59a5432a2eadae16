"""Runs: related lists from dicts, entries or JSON files, repeats dropped, the caller's data untouched."""
from __future__ import annotations

import pytest

from relate.evaluation import Run


def test_run_takes_urls_or_entries_and_drops_repeats(tmp_path):
    lists = {"q": ["a", {"webUrl": "b", "title": "B"}, "a"]}
    run = Run.from_dict(lists, name="s")
    assert run["q"] == ["a", "b"] and run.get("zz") == [] and run.top("q", 1) == ["a"]
    assert lists["q"] == ["a", {"webUrl": "b", "title": "B"}, "a"]            # caller's data untouched
    path = run.save(tmp_path / "lists.json")
    again = Run.from_file(path)
    assert again.name == "lists" and again.to_dict() == {"q": ["a", "b"]}


def test_run_from_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a JSON object"):
        Run.from_file(bad)
    bad.write_text('{"q": "a"}', encoding="utf-8")
    with pytest.raises(ValueError, match="must be a list"):
        Run.from_file(bad)
    with pytest.raises(ValueError, match="cannot read"):
        Run.from_file(tmp_path / "missing.json")
