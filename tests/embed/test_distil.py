"""The encoder adapted to a corpus by a teacher (relate.embed.distil, relate adapt), on the data/ sample.

The teacher here is TF-IDF (dense, unit rows) of the sample's own texts: a real neighbourhood
structure that differs from MiniLM's, with no second model to load.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from relate import read_corpus
from relate.config import EmbedConfig
from relate.embed.distil import distil, distil_loss, joined_teacher, neighbour_batches
from relate.lexical import Lexicon
from relate.text import article_text


@pytest.fixture(scope="module")
def sample(data_dir):
    """The sample's distinct texts and their TF-IDF vectors (unit rows)."""
    texts = sorted({article_text(a.title, a.excerpt, EmbedConfig()) for a in read_corpus(data_dir, cache=False)})
    m = Lexicon.fit(texts).rows(range(len(texts))).toarray().astype(np.float32)
    return texts, m / np.linalg.norm(m, axis=1, keepdims=True)


def test_batches_hold_each_anchor_with_its_teacher_neighbours(sample):
    texts, teacher = sample
    sims = teacher @ teacher.T
    np.fill_diagonal(sims, -np.inf)
    fifth = -np.sort(-sims, axis=1)[:, 4]                 # each text's 5th-nearest similarity
    batches = neighbour_batches(teacher, anchors=4, neighbours=3, pool=5, seed=1)
    anchors = []
    for _ in range(len(texts) // 4):
        rows = next(batches)
        assert len(rows) == len(set(rows)) <= 16
        anchors.append(rows[0])
        # the rows after the first anchor are among its 5 nearest under the teacher
        assert all(sims[rows[0], r] >= fifth[rows[0]] for r in rows[1:4])
    # one pass shows every text as an anchor at most once
    assert len(anchors) == len(set(anchors))


def test_joined_vectors_rank_neighbours_by_the_mean_of_the_two_cosines(sample):
    texts, tfidf = sample
    rng = np.random.default_rng(0)
    other = rng.normal(size=(len(texts), 16)).astype(np.float32)
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    joined = joined_teacher(tfidf, other)
    assert joined.shape == (len(texts), tfidf.shape[1] + 16) and joined.dtype == np.float32
    assert np.allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-5)
    assert np.allclose(joined @ joined.T, (tfidf @ tfidf.T + other @ other.T) / 2, atol=1e-5)
    with pytest.raises(ValueError, match="same rows"):
        joined_teacher(tfidf, other[:-1])


def test_loss_is_zero_for_the_teachers_own_vectors_and_grows_with_disorder(sample):
    _texts, teacher = sample
    rows = next(neighbour_batches(teacher, anchors=4, seed=0))
    t = torch.from_numpy(teacher[rows])
    assert float(distil_loss(t, t)) == pytest.approx(0.0, abs=1e-6)
    noisy = torch.nn.functional.normalize(t + 0.05 * torch.randn(t.shape, generator=torch.Generator().manual_seed(0)), dim=-1)
    shuffled = t[torch.randperm(len(t), generator=torch.Generator().manual_seed(0))]
    assert 0 < float(distil_loss(noisy, t)) < float(distil_loss(shuffled, t))


@pytest.mark.model
def test_training_moves_minilm_towards_the_teachers_neighbourhoods(sample, tmp_path):
    from sentence_transformers import SentenceTransformer

    from relate.embed import Encoder, resolve_model

    texts, teacher = sample
    student = resolve_model("all-MiniLM-L6-v2")

    def loss_of(model_path) -> float:
        enc = Encoder(EmbedConfig(model=str(model_path), backend="torch"))
        return float(distil_loss(torch.from_numpy(enc.encode(texts)), torch.from_numpy(teacher)))

    before = loss_of(student)
    # four steps take the loss to about 0.4 of what it was (0.19 after twelve), on this sample
    result = distil(texts, teacher, student, tmp_path / "adapted", steps=4, anchors=4, lr=1e-4)
    assert result.steps == 4 and result.texts == len(texts)
    after = loss_of(tmp_path / "adapted")
    assert after < before * 0.7, (before, after)
    # the folder is a sentence-transformers model of the student's shape
    assert SentenceTransformer(str(tmp_path / "adapted"), device="cpu").encode(texts[:2]).shape == (2, 384)


@pytest.mark.model
def test_the_model_saved_mixes_the_trained_weights_with_the_students_own(sample, tmp_path):
    from sentence_transformers import SentenceTransformer

    from relate.embed import resolve_model

    texts, teacher = sample
    student = resolve_model("all-MiniLM-L6-v2")
    for mix in (1.0, 0.7, 0.0):
        distil(texts, teacher, student, tmp_path / f"mix-{mix}", steps=1, anchors=4, lr=1e-4, seed=0, mix=mix)
    own, trained, mixed, none = (SentenceTransformer(str(p), device="cpu").state_dict() for p in
                                 (student, tmp_path / "mix-1.0", tmp_path / "mix-0.7", tmp_path / "mix-0.0"))
    floats = [k for k, v in own.items() if v.is_floating_point()]
    assert any(not torch.equal(trained[k], own[k]) for k in floats)        # training moved the weights
    for k in floats:
        assert torch.equal(none[k], own[k])                                 # mix 0: the student as it was
        assert torch.allclose(mixed[k], 0.7 * trained[k] + 0.3 * own[k], atol=1e-6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        distil(texts, teacher, student, tmp_path / "bad", steps=1, mix=1.5)


@pytest.mark.model
@pytest.mark.process
def test_the_student_is_loaded_from_disk_only(tmp_path):
    """In a process started without HF_HUB_OFFLINE (a ``relate adapt`` whose vectors were all cached
    loads no encoder before training), the student is still loaded offline: its saved tokenizer
    records ``local_files_only``."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    code = ("import sys, numpy as np\n"
            "from relate.embed import resolve_model\n"
            "from relate.embed.distil import distil\n"
            "t = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)\n"
            "distil([f'Azure news number {i}' for i in range(20)], t / np.linalg.norm(t, axis=1, keepdims=True),\n"
            "       resolve_model('default'), sys.argv[1], steps=1, anchors=2)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m")], env=env, check=True, timeout=300)
    assert json.loads((tmp_path / "m" / "tokenizer_config.json").read_text())["local_files_only"] is True
