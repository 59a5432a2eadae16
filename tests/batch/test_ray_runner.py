"""The batch job on Ray (``batch.engine: ray``): the same lists as the local engine, byte for byte.

One local Ray cluster (two CPUs, no dashboard) is shared by the module and shut down at the
end; no external service is needed. Skipped when Ray is not installed
(``pip install 'relate[ray]'``).
"""
from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from relate.batch import RankBatch, get_runner, regenerate
from relate.cli import build_parser, main
from relate.cli_flags import config_from_args
from relate.config import Config
from relate.engine import Engine

pytestmark = pytest.mark.ray
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
AZURE = REPO.parent / "shared" / "corpora" / "azure"
#: Files of the azure corpus in the slice (with data/'s 44): about 20 s of encoding per engine.
SLICE = 160


@pytest.fixture(scope="module")
def ray_cluster():
    """A local two-CPU Ray cluster for this module (the runner joins it rather than start its own)."""
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """data/ plus a slice of the azure corpus (when present), copied: some runs write in place."""
    root = tmp_path_factory.mktemp("ray-corpus") / "corpus"
    shutil.copytree(DATA, root / "data")
    if AZURE.is_dir():
        (root / "azure").mkdir()
        for path in sorted(AZURE.glob("*.md"))[:SLICE]:
            shutil.copy2(path, root / "azure" / path.name)
    return root


def _ray(**batch) -> Config:
    return Config.from_dict({"batch": {"engine": "ray", "progress": False, **batch}})


def _cache(workspace: Path) -> dict[str, np.ndarray]:
    from relate.embed import VectorCache, model_id

    cache = VectorCache(workspace / "vectors", model_id(Config().embed))
    keys = list(cache._row)
    vecs, missing = cache.get(keys)
    assert not missing
    return dict(zip(keys, vecs))


def _same_tree(a: Path, b: Path) -> list[str]:
    """Files that differ (or exist on one side only) between two folders, compared byte for byte."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a, a
    if files_a != files_b:
        return sorted(set(map(str, files_a)) ^ set(map(str, files_b)))
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(p) for p in files_a], shallow=False)
    return mismatch + errors


@pytest.fixture(scope="module")
def hash_engine(tmp_path_factory, hash_encoder):
    """An engine over data/ with the hash encoder: what the rank actors are shipped (no model needed)."""
    return Engine.build(DATA, workspace=tmp_path_factory.mktemp("hash-ws"), encoder=hash_encoder)


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory):
    """The local engine's mirror output and workspace for the corpus."""
    tmp = tmp_path_factory.mktemp("local")
    summary = regenerate(corpus, Config(), workspace=tmp / "ws", out=tmp / "out")
    assert summary.exit_code == 0, summary
    return {"out": tmp / "out", "ws": tmp / "ws", "summary": summary}


# ====================================================================== equality with the local engine
@pytest.mark.model
def test_ray_regenerates_the_same_files_as_local(ray_cluster, local_run, corpus, tmp_path):
    """From an empty workspace: every mirror file, and every cached vector, bit for bit the local one's.

    Default settings, but for two actors ranking batches of 64 articles each (shipped the
    engine through the object store).
    """
    summary = regenerate(corpus, _ray(search_batch=64), workspace=tmp_path / "ws", out=tmp_path / "out")
    assert summary.exit_code == 0, summary
    expected = local_run["summary"]
    assert (summary.records, summary.encoded, summary.selected, summary.written, summary.changed) == \
        (expected.records, expected.encoded, expected.selected, expected.written, expected.changed)
    assert summary.encoded > 150 and summary.selected > 150 or not AZURE.is_dir()
    assert _same_tree(local_run["out"], tmp_path / "out") == []
    ours, theirs = _cache(tmp_path / "ws"), _cache(local_run["ws"])
    assert ours.keys() == theirs.keys()
    assert all(np.array_equal(ours[k], theirs[k]) for k in ours)


@pytest.mark.model
def test_ray_with_small_batches_writes_the_same_lists(ray_cluster, local_run, corpus, tmp_path):
    """A batch size below the local engine's chunk is rounded up to it: the same vectors, the same JSONL."""
    jsonl = tmp_path / "ray.jsonl"
    summary = regenerate(corpus, _ray(ray_batch_size=32, ray_concurrency=2), workspace=tmp_path / "ws",
                         jsonl=jsonl)
    assert summary.exit_code == 0 and summary.written == local_run["summary"].selected
    local_jsonl = tmp_path / "local.jsonl"
    regenerate(corpus, Config(), workspace=local_run["ws"], jsonl=local_jsonl)
    assert jsonl.read_bytes() == local_jsonl.read_bytes()
    ours, theirs = _cache(tmp_path / "ws"), _cache(local_run["ws"])
    assert ours.keys() == theirs.keys()
    assert all(np.array_equal(ours[k], theirs[k]) for k in ours)


def test_encode_batches_are_whole_local_chunks():
    """A transformer's vectors depend on which texts share a padded batch: actors encode the local chunks."""
    from relate.batch.ray_runner import _InChunks

    assert [get_runner(_ray(ray_batch_size=n)).encode_batch for n in (1, 256, 512, 513, 2048)] == \
        [512, 512, 512, 1024, 2048]
    calls = []

    def fake(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 2), dtype=np.float32)

    assert _InChunks(fake, size=2)(["a", "b", "c", "d", "e"]).shape == (5, 2)
    assert calls == [["a", "b"], ["c", "d"], ["e"]]


@pytest.mark.model
def test_ray_and_local_share_the_workspace(ray_cluster, local_run, corpus, tmp_path):
    """A Ray run on the local run's workspace encodes nothing; in place, it leaves the files as local wrote them."""
    ws = tmp_path / "ws"
    shutil.copytree(local_run["ws"], ws)
    work = tmp_path / "corpus"
    shutil.copytree(local_run["out"], work)  # the local engine's output, as a corpus to rewrite in place
    summary = regenerate(work, _ray(), workspace=ws)
    assert summary.exit_code == 0 and summary.encoded == 0
    assert summary.changed == 0 and summary.written == summary.selected
    assert _same_tree(local_run["out"], work) == []
    # and back: a local run after the Ray one finds every vector in the same cache
    again = regenerate(work, Config(), workspace=ws)
    assert (again.encoded, again.changed) == (0, 0)


@pytest.mark.model
def test_ray_dry_run_and_since_selection(ray_cluster, local_run, corpus, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(local_run["ws"], ws)
    ray_run = regenerate(corpus, _ray(), workspace=ws, dry_run=True, since="2024-01-01")
    local = regenerate(corpus, Config(), workspace=ws, dry_run=True, since="2024-01-01")
    assert 0 < ray_run.selected < local_run["summary"].selected
    assert (ray_run.selected, ray_run.changed, ray_run.examples) == (local.selected, local.changed, local.examples)


@pytest.mark.model
def test_cli_engine_and_address_flags(ray_cluster, local_run, corpus, tmp_path, capsys):
    args = build_parser().parse_args(["regenerate", "c", "--engine", "ray", "--address", "auto"])
    cfg = config_from_args(args)
    assert (cfg.batch.engine, cfg.batch.ray_address) == ("ray", "auto")
    assert main(["regenerate", "--help"]) == 0
    assert "--batch-engine {local,ray}, --engine {local,ray}" in capsys.readouterr().out
    ws = tmp_path / "ws"
    shutil.copytree(local_run["ws"], ws)
    out = tmp_path / "related.jsonl"
    code = main(["regenerate", str(corpus), "--engine", "ray", "--jsonl", str(out), "--workspace", str(ws),
                 "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["encoded"] == 0 and summary["written"] == local_run["summary"].selected
    assert len(out.read_text(encoding="utf-8").splitlines()) == summary["written"]


# ====================================================================== the pieces
def test_engine_shipped_through_the_object_store_ranks_the_same(ray_cluster, hash_engine):
    state = ray.get(ray.put(hash_engine.state()))  # read-only arrays, as an actor gets them
    clone = Engine.from_state(state)
    assert clone.encoder._model is None  # the model is not shipped (nor loaded) to rank indexed articles
    rows = hash_engine._rows[:20]
    assert RankBatch(clone, k=4, keep_scores=True)(rows) == RankBatch(hash_engine, k=4, keep_scores=True)(rows)


def test_rank_actor_runs_faiss_with_the_drivers_threads(ray_cluster, hash_engine):
    """BLAS splits a search by threads, which can reorder exact ties: actors match the driver's count."""
    import faiss

    from relate.batch.ray_runner import _RankFromStore

    before = faiss.omp_get_max_threads()
    rank = _RankFromStore(ray.put(hash_engine.state()), 3, False, threads=1)
    try:
        lists = rank(hash_engine._rows[:5])  # here, in this process, as an actor would run it
        assert faiss.omp_get_max_threads() == 1 and len(lists) == 5
    finally:
        faiss.omp_set_num_threads(before)
    runner = get_runner(_ray())
    got = list(runner.map(RankBatch(hash_engine, k=3), [hash_engine._rows[:5]]))
    assert got == [RankBatch(hash_engine, k=3)(hash_engine._rows[:5])]


def test_runner_maps_in_order_and_reports_a_worker_error(ray_cluster):
    runner = get_runner(_ray(ray_concurrency=2))
    assert runner.name == "ray"
    assert list(runner.map(sum, [[i, i] for i in range(9)])) == [2 * i for i in range(9)]
    assert list(runner.map(sum, [])) == []
    with pytest.raises(Exception, match="empty"):  # max([]) fails on a worker: the error reaches the driver
        list(runner.map(max, [[1], []]))


def test_runner_rejects_bad_settings():
    from relate.errors import ConfigError

    with pytest.raises(ConfigError, match="ray_batch_size"):
        get_runner(_ray(ray_batch_size=0))
    with pytest.raises(ConfigError, match="ray_concurrency"):
        get_runner(_ray(ray_concurrency=0))
    with pytest.raises(ConfigError, match="--address auto"):  # Ray Client cannot run Ray Data
        get_runner(_ray(ray_address="ray://head:10001"))


# ====================================================================== the whole azure corpus
@pytest.mark.slow
@pytest.mark.model
def test_ray_matches_local_on_the_azure_corpus(ray_cluster, azure_dir, azure_engine, tmp_path):
    """The whole corpus on Ray, default settings, against the local engine: the same JSONL, byte for byte.

    The Ray run starts from a workspace holding only the session's vector cache (the azure
    corpus is encoded once per test run), so it reads every record, builds the index, the
    candidate windows and the key terms and ranks every list in its actors; the local engine
    ranks every list over a copy of the session's workspace. Encoding on Ray against encoding
    locally is compared on data/ and an azure slice (``test_ray_regenerates_the_same_files_as_local``).
    """
    shutil.copytree(azure_engine.folder, tmp_path / "wl")
    shutil.copytree(Path(azure_engine.folder) / "vectors", tmp_path / "wr" / "vectors")
    local = regenerate(azure_dir, Config(), workspace=tmp_path / "wl", jsonl=tmp_path / "local.jsonl", full=True)
    on_ray = regenerate(azure_dir, _ray(), workspace=tmp_path / "wr", jsonl=tmp_path / "ray.jsonl")
    assert local.encoded == on_ray.encoded == 0 and on_ray.refit
    assert local.selected == on_ray.selected == on_ray.records > 4000
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
