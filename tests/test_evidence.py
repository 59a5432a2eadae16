"""Key terms learnt from the corpus itself (relate.evidence): hand-worked cases."""
from __future__ import annotations

import math

import pytest

from relate.evidence import KeyTerms, term_overlap

TEXTS = [
    "Contoso Buys Fabrikam. The deal with Fabrikam closes in May, Contoso said.",
    "Fabrikam shares rose 12 percent. I think Contoso paid $1,500 million for it.",
    "Bread rising tips. Bake it at 220 degrees, then let the Bread rest.",
    "Bread prices rose. The bread shop sold 1,500 loaves.",
]


TITLES = ["Contoso Buys Fabrikam", "", "Bread rising tips", ""]


def test_names_are_learnt_from_mid_sentence_capitals():
    kt = KeyTerms.fit(TEXTS, titles=TITLES)
    # Fabrikam and Contoso are capitalised mid-sentence; "bread" is not more often than not;
    # "I" is one letter; numbers of 2+ digits count, commas dropped
    assert kt.of(0) == {"contoso", "fabrikam", "may"}
    assert kt.of(1) == {"contoso", "fabrikam", "#12", "#1500"}
    assert "bread" not in kt.of(2) and "#220" in kt.of(2)
    assert kt.of(3) == {"#1500"}


def test_headline_capitals_do_not_make_names():
    assert "buys" not in KeyTerms.fit(TEXTS, titles=TITLES).names   # capitalised only in a headline
    assert "buys" in KeyTerms.fit(TEXTS).names                      # unless the headline is not said


def test_overlap_is_an_idf_weighted_cosine():
    kt = KeyTerms.fit(TEXTS, titles=TITLES)
    idf = kt.idf
    shared = idf["contoso"] + idf["fabrikam"]
    expected = shared / math.sqrt(sum(idf[t] for t in kt.of(0)) * sum(idf[t] for t in kt.of(1)))
    assert kt.overlap(0, 1) == pytest.approx(expected)
    assert kt.overlap(0, 2) == 0.0
    assert kt.overlap(1, 0) == pytest.approx(kt.overlap(0, 1))


def test_new_texts_use_the_fitted_names():
    kt = KeyTerms.fit(TEXTS, titles=TITLES)
    new = kt.extract("Analysts doubt the Fabrikam deal will close by May 2025.")
    assert new == {"fabrikam", "may", "#2025"}
    assert term_overlap(new, kt.of(0), kt.idf) > 0


def test_empty_and_unknown():
    kt = KeyTerms.fit(["", "no names here at all"])
    assert kt.of(0) == frozenset() and kt.overlap(0, 1) == 0.0
    assert term_overlap(frozenset(), frozenset({"x"}), {}) == 0.0
