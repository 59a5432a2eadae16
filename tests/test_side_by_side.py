"""benchmarks/side_by_side.py: blind cards of two setups' lists, and the tally of a reader's verdicts.

On the azure corpus: its stored ``related:`` lists against the same lists reversed.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from relate import read_corpus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import side_by_side  # noqa: E402


@pytest.mark.slow
def test_cards_show_each_setups_list_under_the_letter_the_key_gives(azure_dir):
    stored = {a.url: a.related for a in read_corpus(azure_dir, full_related=True, cache=False) if len(a.related or []) >= 2}
    reversed_ = {u: list(reversed(r)) for u, r in stored.items()}
    cards, key = side_by_side.make_cards(str(azure_dir), stored, reversed_, ("stored", "reversed"), n=8, seed=3,
                                         exclude=set())
    assert len(key) == 8
    assert {k["X"] for k in key.values()} == {"stored", "reversed"}       # the letters are drawn, not fixed
    for number, card in zip(key, re.split(r"^## Article \d+$", cards, flags=re.M)[1:]):
        k = key[number]
        shown = {side: re.findall(r"^  - (.+?)  _\(", block, flags=re.M)
                 for side, block in zip("XY", card.split("List X:")[1].split("List Y:"))}
        lists = {"stored": stored[k["url"]], "reversed": reversed_[k["url"]]}
        for side in "XY":
            assert shown[side] == [e["title"] for e in lists[k[side]][:5]]
    # an excluded record is never drawn
    _, fewer = side_by_side.make_cards(str(azure_dir), stored, reversed_, ("a", "b"), n=99, seed=3,
                                       exclude={key["1"]["url"]})
    assert key["1"]["url"] not in {k["url"] for k in fewer.values()}


def test_records_read_before_are_left_out_with_the_judged_ones():
    judged = REPO / "benchmarks" / "judgments" / "powerapps.jsonl"
    read = REPO / "benchmarks" / "judgments" / "side-by-side-powerapps.jsonl"
    queries = {json.loads(x)["query"] for x in judged.read_text(encoding="utf-8").split("\n") if x.strip()}
    articles = {json.loads(x)["url"] for x in read.read_text(encoding="utf-8").split("\n") if x.strip()}
    assert len(queries) == 60 and len(articles) >= 16
    assert side_by_side.excluded_urls([judged, read]) == queries | articles


def test_tally_counts_by_the_key_and_the_sign_test():
    key = {"1": {"X": "a", "Y": "b"}, "2": {"X": "b", "Y": "a"}, "3": {"X": "a", "Y": "b"}}
    verdicts = [{"article": 1, "better": "X"}, {"article": 2, "better": "X"}, {"article": 3, "better": "tie"}]
    assert side_by_side.tally(verdicts, key) == {("a", "b"): {"a": 1, "b": 1, "tie": 1}}
    # kept verdicts carry their own X and Y; two readings (numbered from 1 each) are counted apart
    kept = [{"article": 1, "X": "a", "Y": "b", "better": "X"}, {"article": 1, "X": "c", "Y": "a", "better": "X"},
            {"article": 2, "X": "a", "Y": "c", "better": "Y"}, {"article": 2, "X": "b", "Y": "a", "better": "X"}]
    assert side_by_side.tally(kept) == {("a", "b"): {"a": 1, "b": 1}, ("a", "c"): {"c": 2}}
    assert side_by_side.sign_test(8, 8) == 1.0
    assert round(side_by_side.sign_test(10, 6), 2) == 0.45 and round(side_by_side.sign_test(14, 2), 4) == 0.0042


def test_tally_prints_two_readings_of_one_pair_apart(tmp_path, capsys):
    """A kept file that holds one comparison read twice (two readers) prints each reading's count."""
    kept = tmp_path / "kept.jsonl"
    lines = [{"article": 1, "X": "a", "Y": "b", "better": "X", "reading": 6},
             {"article": 2, "X": "b", "Y": "a", "better": "Y", "reading": 6},
             {"article": 1, "X": "b", "Y": "a", "better": "X", "reading": 7}]
    kept.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    assert side_by_side.main(["tally", str(kept)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("reading 6: a: 2 | b: 0 | tie: 0") and out[1].startswith("reading 7: a: 0 | b: 1")
