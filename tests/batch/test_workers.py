"""``batch.workers``: the rank stage in forked processes gives the lists, and records the picks,
that one process gives (real azure records, the hash encoder); the records let go early."""
from __future__ import annotations

import os
import shutil
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from relate.batch import ForkRunner, batches, rank_workers, regenerate
from relate.config import Config
from relate.corpus import read_corpus
from relate.engine import Engine
from relate.errors import ConfigError


def _corpus(tmp_path, azure_dir, n=400):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for p in sorted(azure_dir.glob("*.md"))[:n]:
        shutil.copy(p, folder / p.name)
    return folder


@pytest.mark.process
def test_forked_workers_rank_the_lists_one_process_ranks(tmp_path, azure_dir, hash_encoder):
    corpus = _corpus(tmp_path, azure_dir)
    out = {}
    for workers in (1, 2):
        cfg = Config.from_dict({"batch": {"workers": workers, "search_batch": 64}})
        s = regenerate(corpus, cfg, workspace=tmp_path / f"ws{workers}", jsonl=tmp_path / f"{workers}.jsonl",
                       encoder=hash_encoder)
        assert s.written == s.selected == s.records > 390 and not s.failed
        out[workers] = (tmp_path / f"{workers}.jsonl").read_bytes()
    assert out[1] == out[2]
    # what the next nightly run prunes by, kept from the workers: every list's picks and last score
    picks = [np.load(tmp_path / f"ws{w}" / "picks.npy") for w in (1, 2)]
    floors = [np.load(tmp_path / f"ws{w}" / "pick-scores.npy") for w in (1, 2)]
    assert np.array_equal(*picks) and (picks[0][:, 0] >= 0).all()
    assert np.array_equal(*floors) and np.isfinite(floors[0]).all()

    # and a nightly run after the forked one ranks only what a change reaches, as after one process
    (corpus / sorted(os.listdir(corpus))[0]).unlink()
    runs = [regenerate(corpus, Config.from_dict({"batch": {"workers": w}}), workspace=tmp_path / f"ws{w}",
                       jsonl=tmp_path / f"night{w}.jsonl", encoder=hash_encoder, changed=True) for w in (1, 2)]
    assert runs[0].lists == runs[1].lists == "changed" and 0 < runs[0].selected == runs[1].selected < 399
    assert (tmp_path / "night1.jsonl").read_bytes() == (tmp_path / "night2.jsonl").read_bytes()


@pytest.mark.process
def test_fork_runner_keeps_the_order_and_raises_what_a_worker_raised():
    assert list(ForkRunner(2).map(sum, batches(list(range(100)), 7))) == [sum(range(i, min(i + 7, 100)))
                                                                         for i in range(0, 100, 7)]
    with pytest.raises(ZeroDivisionError):
        list(ForkRunner(2).map(lambda b: 1 // (b[0] - 50), batches(list(range(100)), 10)))


@pytest.mark.process
def test_a_worker_that_dies_fails_the_run_instead_of_leaving_it_waiting():
    def dies_on_fifty(batch):
        if 50 in batch:
            os._exit(9)                  # as the kernel's out-of-memory killer would end it
        return sum(batch)

    with pytest.raises(BrokenProcessPool):
        list(ForkRunner(2).map(dies_on_fifty, batches(list(range(100)), 10)))


def test_rank_workers():
    assert rank_workers(Config()) == 1
    assert rank_workers(Config.from_dict({"batch": {"workers": 0}})) == len(os.sched_getaffinity(0))
    assert rank_workers(Config.from_dict({"batch": {"workers": 3, "engine": "ray"}})) == 1
    with pytest.raises(ConfigError, match="batch.workers"):
        rank_workers(Config.from_dict({"batch": {"workers": -1}}))


def test_an_update_may_let_the_records_go(tmp_path, azure_dir, hash_encoder):
    corpus = read_corpus(_corpus(tmp_path, azure_dir, 60))
    kept = Engine.build(list(corpus.articles), workspace=tmp_path / "kept", encoder=hash_encoder)
    engine = Engine(tmp_path / "let-go", Config(), encoder=hash_encoder)
    texts = [a.title for a in corpus.articles]          # not the encoded texts: the engine makes its own
    stats = engine.update(corpus, keep_records=False)
    assert corpus.articles == [] and stats["records"] == 60 and stats["refit"]
    assert len(texts) == 60                              # only texts the engine used are emptied
    assert engine.suggest_many() == kept.suggest_many()
