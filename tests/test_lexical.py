"""TF-IDF lexical evidence: scores worked out by hand, and a save/load round trip."""
from __future__ import annotations

import numpy as np
import pytest

from relate.lexical import Lexicon

TEXTS = ["azure arc ships hybrid", "azure arc preview hybrid", "bread recipe sourdough", "sourdough bread oven",
         "chip launch arbor", "arbor chip benchmarks"]


def test_identical_and_disjoint_texts():
    lex = Lexicon.fit(TEXTS)
    q = lex.transform(["azure arc ships hybrid"])
    s = lex.scores(q, np.array([[0, 2, -1]]))
    assert s[0, 0] == pytest.approx(1.0, abs=1e-6)      # "ships" occurs once: dropped (min_df 2), the rest equal
    assert s[0, 1] == 0.0 and s[0, 2] == 0.0              # no shared word; -1 is no candidate


def test_shared_words_by_hand():
    # vocabulary kept (in >= 2 texts, <= half of them): arbor, arc, azure, bread, chip, hybrid, sourdough.
    # Every kept word is in exactly 2 of 6 texts, so all idf are equal and cosine is set overlap:
    # text 0 -> {azure, arc, hybrid}; text 1 -> {azure, arc, hybrid} -> cosine 1;
    # text 4 -> {chip, arbor}; text 5 -> {arbor, chip} -> 1; query {azure, bread} vs text 0: 1/(sqrt2*sqrt3)
    lex = Lexicon.fit(TEXTS)
    assert sorted(lex.vectorizer.vocabulary_) == ["arbor", "arc", "azure", "bread", "chip", "hybrid", "sourdough"]
    s = lex.scores(lex.transform(["azure bread"]), np.array([[0, 2]]))
    assert s[0, 0] == pytest.approx(1 / (np.sqrt(2) * np.sqrt(3)), abs=1e-6)
    assert s[0, 1] == pytest.approx(1 / (np.sqrt(2) * np.sqrt(2)), abs=1e-6)


def test_saved_lexicon_scores_the_same(tmp_path):
    lex = Lexicon.fit(TEXTS)
    lex.save(tmp_path)
    again = Lexicon.load(tmp_path)
    cand = np.array([[0, 1, 2, 3, 4, 5]])
    for text in ("azure arc hybrid", "sourdough chip"):
        np.testing.assert_allclose(again.scores(again.transform([text]), cand),
                                   lex.scores(lex.transform([text]), cand), atol=1e-6)
    np.testing.assert_allclose(again.scores(again.rows([4]), cand), lex.scores(lex.rows([4]), cand), atol=1e-6)


def test_tiny_corpus_keeps_every_word():
    lex = Lexicon.fit(["one text only"])
    assert lex.scores(lex.transform(["text"]), np.array([[0]]))[0, 0] > 0


# ----------------------------------------------------------------------------- the one TF-IDF set-up
def _params(vec) -> dict:
    return vec.get_params()


def test_tfidf_vectorizer_defaults_and_each_callers_options():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from relate.lexical import TFIDF_DEFAULTS, _vectorizer, tfidf_vectorizer

    assert TFIDF_DEFAULTS == {"sublinear_tf": True, "stop_words": "english"}
    # the diversity vectors of the evaluation
    assert _params(tfidf_vectorizer()) == _params(TfidfVectorizer(sublinear_tf=True, stop_words="english"))
    # the TF-IDF baseline (its caller's own options override)
    assert _params(tfidf_vectorizer(ngram_range=(1, 2))) == _params(
        TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2)))
    assert tfidf_vectorizer(sublinear_tf=False).sublinear_tf is False
    # the lexicon, fitted and rebuilt from a saved vocabulary, and its every-word fallback
    assert _params(_vectorizer()) == _params(TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2,
                                                             max_df=0.5, dtype=np.float32))
    vocab = {"azure": 0, "arc": 1}
    assert _params(_vectorizer(vocab)) == _params(TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1,
                                                                  max_df=0.5, dtype=np.float32, vocabulary=vocab))
    assert _params(Lexicon.fit(["one text only"]).vectorizer) == _params(
        TfidfVectorizer(sublinear_tf=True, dtype=np.float32))
