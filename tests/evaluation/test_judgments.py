"""Judgments: read from JSON lines exactly as written, dups mapped to grade 0, bad lines named."""
from __future__ import annotations

import json

import pytest

from relate.evaluation import Judgments


def test_judgments_from_file_keeps_urls_exactly_and_maps_dups_to_zero(tmp_path):
    path = tmp_path / "j.jsonl"
    rows = [{"query": "https://a.com/x y", "candidate": "https://b.com/1", "grade": 2, "dup": True},
            {"query": "https://a.com/x y", "candidate": "https://b.com/2", "grade": 1, "dup": False},
            {"query": "https://a.com/z", "candidate": "https://b.com/3", "grade": 0}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    j = Judgments.from_file(path)
    assert j.queries == ["https://a.com/x y", "https://a.com/z"]      # a space in a webUrl survives
    assert len(j) == 3
    assert j.grade("https://a.com/x y", "https://b.com/1") == 2
    assert j.is_dup("https://a.com/x y", "https://b.com/1")
    assert j.gain_grade("https://a.com/x y", "https://b.com/1") == 0
    assert j.grade("https://a.com/z", "https://b.com/9") is None
    assert j.qrels() == {"https://a.com/x y": {"https://b.com/1": 0, "https://b.com/2": 1},
                         "https://a.com/z": {"https://b.com/3": 0}}
    assert j.qrels(dups_as_zero=False)["https://a.com/x y"]["https://b.com/1"] == 2


def test_judgments_lines_end_at_newline_only_and_may_carry_notes(tmp_path):
    path = tmp_path / "j.jsonl"
    rows = [{"query": "/learning/a/", "candidate": "https://b.com/\u2028x", "grade": 2, "dup": False,
             "note": "same control\u2029", "set": "A", "query_path": "_learning/a.md", "candidate_path": "b.md"},
            {"query": "/learning/a/", "candidate": "https://b.com/2", "grade": 0}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    j = Judgments.from_file(path)
    assert len(j) == 2 and j.grade("/learning/a/", "https://b.com/\u2028x") == 2


@pytest.mark.parametrize("line, message", [
    ("not json", "not JSON"),
    ('{"query": "q", "candidate": "c"}', "lacks grade"),
    ('{"query": "q", "candidate": "c", "grade": -1}', "grade must be 0, 1 or 2"),
    ('{"query": "q", "candidate": "c", "grade": 1.5}', "grade must be 0, 1 or 2"),
    ('{"query": "q", "candidate": "c", "grade": 3}', "grade must be 0, 1 or 2"),       # the report knew no 3
    ('{"query": "q", "candidate": "c", "grade": Infinity}', "not inf"),
    ('{"query": "q", "candidate": "c", "grade": NaN}', "not nan"),
    ('{"query": "q", "candidate": "c", "grade": 1, "dup": "yes"}', "dup must be"),
    ('{"query": "q", "candidate": "c", "grade": 1, "grad": 1}', "unknown judgment field"),
    ('[1, 2]', "must be an object"),
])
def test_judgments_from_file_rejects_bad_lines_with_line_number(tmp_path, line, message):
    path = tmp_path / "j.jsonl"
    path.write_text('{"query": "q", "candidate": "a", "grade": 1, "dup": false}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        Judgments.from_file(path)
    assert "j.jsonl:2" in str(err.value)


def test_judgments_that_are_not_utf8_say_which_file(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'\xff{"query": "q", "candidate": "a", "grade": 1}\n')
    with pytest.raises(ValueError, match=r"j.jsonl: judgments must be UTF-8 text \(byte 0xff at offset 0"):
        Judgments.from_file(path)


def test_judgments_missing_file_says_which():
    with pytest.raises(ValueError, match="cannot read judgments"):
        Judgments.from_file("/nonexistent/j.jsonl")


@pytest.mark.slow
@pytest.mark.model
def test_the_judged_sets_name_real_records_and_the_pool_additions_only_new_pairs(azure_engine, powerapps_engine,
                                                                                  judgments_file):
    """benchmarks/judgments: every query and candidate is a record of its corpus (by Article.url),
    and pool-additions.jsonl (pairs another encoder's lists showed, read later) repeats no pair
    of the files it completes, and only adds to their queries."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "benchmarks" / "judgments"
    urls = {"azure": {a.url for a in azure_engine.articles.values()},
            "powerapps": {a.url for a in powerapps_engine.articles.values()}}
    base = {"azure": [judgments_file, folder / "azure-extra.jsonl"], "powerapps": [folder / "powerapps.jsonl"]}
    additions = [json.loads(line) for line in (folder / "pool-additions.jsonl").read_text(encoding="utf-8").split("\n")
                 if line.strip()]
    assert len(additions) > 100
    for corpus, files in base.items():
        pairs = {(j.query, j.candidate) for f in files for j in Judgments.from_file(f)}
        queries = {q for q, _c in pairs}
        assert {x for p in pairs for x in p} <= urls[corpus], corpus
        mine = [(r["query"], r["candidate"]) for r in additions if r["query"] in urls[corpus]]
        assert mine and {x for p in mine for x in p} <= urls[corpus] and {q for q, _c in mine} <= queries
        assert not set(mine) & pairs, f"{corpus}: a pool addition repeats a judged pair"
    newsletters = {(j.query, j.candidate) for j in Judgments.from_file(folder / "powerapps-newsletters.jsonl")}
    assert len({q for q, _c in newsletters}) == 15 and {x for p in newsletters for x in p} <= urls["powerapps"]
    assert all("/newsletter/" in q and "/newsletter/" not in c for q, c in newsletters)   # issues, never one as an item
    items = {(j.query, j.candidate) for j in Judgments.from_file(folder / "powerapps-newsletters-items.jsonl")}
    assert len({q for q, _c in items}) == 20 and {x for p in items for x in p} <= urls["powerapps"]
    assert all("/newsletter/" in q and "/newsletter/" not in c for q, c in items) and not items & newsletters
