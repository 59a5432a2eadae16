"""Fixtures of the batch tests: one workspace built from data/ with the hash encoder, and fresh copies of it."""
from __future__ import annotations

import functools
import shutil

import pytest
from _helpers_batch import copy_data

from relate.batch import regenerate
from relate.config import Config


@pytest.fixture(scope="session")
def regen(hash_encoder):
    """``regenerate`` with the hash encoder (no model); every run on one workspace must use the same encoder."""
    return functools.partial(regenerate, encoder=hash_encoder)


@pytest.fixture(scope="module")
def built(tmp_path_factory, regen):
    """One workspace built from data/ for this module, and a pristine copy of its files."""
    root = tmp_path_factory.mktemp("batch")
    corpus = copy_data(root / "corpus")
    ws = root / "ws"
    first = regen(corpus, Config(), workspace=ws)
    return {"root": root, "corpus": corpus, "ws": ws, "first": first}


@pytest.fixture
def fresh(built, tmp_path):
    """A fresh copy of data/ and of the module's workspace (so each test may change them)."""
    corpus = copy_data(tmp_path / "corpus")
    ws = tmp_path / "ws"
    shutil.copytree(built["ws"], ws)
    return corpus, ws
