"""Config: typed, strict about unknown keys and bad values, defaults equal to models/ranker.yaml."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from relate.config import Config, ConfigError, load_config, settings

REPO = Path(__file__).resolve().parents[1]


def test_partial_yaml_keeps_defaults(tmp_path):
    f = tmp_path / "relate.yaml"
    f.write_text("rank:\n  k: 3\n  exclude_providers: [a.com]\nembed:\n  batch_size: 16\n")
    cfg = Config.from_yaml(f)
    assert (cfg.rank.k, cfg.rank.exclude_providers, cfg.embed.batch_size) == (3, ["a.com"], 16)
    assert cfg.embed.model == Config().embed.model


@pytest.mark.parametrize("text, message", [
    ("rank:\n  kk: 3\n", "unknown config key 'rank.kk'"),
    ("ranks: {}\n", "unknown config key 'ranks'"),
    ("rank:\n  k: three\n", "'rank.k' must be int"),
    ("embed:\n  backend: tensorflow\n", "'embed.backend' is 'tensorflow'"),
    ("- a\n- b\n", "must be a mapping"),
    ("rank: [1\n", "not valid YAML"),
    # values a run cannot act on: a usage error naming the key, not a crash or every list emptied
    ("batch:\n  search_batch: 0\n", "'batch.search_batch' is 0; it must be at least 1"),
    ("rank:\n  reciprocal_depth: -2\n", "'rank.reciprocal_depth' is -2; it must be at least 1"),
    ("rank:\n  k: 99999999999999999999\n", "'rank.k' is 99999999999999999999; it must be at most 10,000"),
    ("rank:\n  candidates: 0\n", "'rank.candidates' is 0; it must be at least 1"),
    ("rank:\n  max_per_provider: 0\n", "'rank.max_per_provider' is 0; it must be at least 1"),
    ("rank:\n  window_days: -5\n", "'rank.window_days' is -5.0; it must be at least 0"),
    ("rank:\n  min_similarity: .nan\n", "'rank.min_similarity' must be a finite number, not nan"),
    ("rank:\n  w_similarity: .inf\n", "'rank.w_similarity' must be a finite number, not inf"),
    ("corpus:\n  entry_title_chars: 0\n", "'corpus.entry_title_chars' is 0; it must be at least 1"),
    ("index:\n  kind: hnsw\n  hnsw_m: 0\n", "'index.hnsw_m' is 0; it must be at least 2"),
    ("embed:\n  max_seq_length: 0\n", "'embed.max_seq_length' is 0; it must be at least 1"),
    ("rank:\n  k: 3\n  k: 4\n", ":3: the key 'k' is given twice"),
    ("rank: {w_terms: 0.1}\nrank: {k: 2}\n", ":2: the key 'rank' is given twice"),
])
def test_bad_config_files_name_the_file_and_key(tmp_path, text, message):
    f = tmp_path / "relate.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        Config.from_yaml(f)
    assert message in str(err.value) and str(f) in str(err.value)


def test_a_config_file_that_is_not_utf8_is_named(tmp_path):
    f = tmp_path / "relate.yaml"
    f.write_bytes(b"\xff\xferank:\n  k: 3\n")
    with pytest.raises(ConfigError, match=r"relate.yaml: a config file must be UTF-8 text \(byte 0xff at offset 0"):
        Config.from_yaml(f)


def test_bounds_hold_for_flags_and_call_options_too():
    with pytest.raises(ConfigError, match="'rank.candidates' is -1; it must be at least 1"):
        Config().with_overrides({"rank.candidates": "-1"})
    assert Config().with_overrides({"rank.window_days": "0", "rank.k": "0"}).rank.k == 0
    for key, f in ((k, f) for k, _, f in settings()):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        least, most = f.metadata.get("least"), f.metadata.get("most")
        if default is not None and least is not None:    # every default lies within its own bounds
            assert least <= default <= (most if most is not None else default), key


def test_overrides_coerce_strings_from_flags():
    cfg = Config().with_overrides({"rank.k": "4", "rank.only_older": "yes", "rank.max_per_provider": "none",
                                   "rank.exclude_topics": "Sports, Food", "embed.threads": None})
    assert (cfg.rank.k, cfg.rank.only_older, cfg.rank.max_per_provider) == (4, True, None)
    assert cfg.rank.exclude_topics == ["Sports", "Food"]
    with pytest.raises(ConfigError, match="unknown config key 'rank.nope'"):
        Config().with_overrides({"rank.nope": 1})


def test_load_config_reads_relate_yaml_in_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RELATE_CONFIG", raising=False)
    assert load_config().rank.k == Config().rank.k
    (tmp_path / "relate.yaml").write_text("rank: {k: 2}\n")
    assert load_config().rank.k == 2
    assert load_config(overrides={"rank.k": 7}).rank.k == 7


def test_rank_defaults_are_the_tuned_weights_in_models():
    tuned = yaml.safe_load((REPO / "models" / "ranker.yaml").read_text())["rank"]
    defaults = dataclasses.asdict(Config().rank)
    assert {k: defaults[k] for k in tuned} == tuned
    Config.from_yaml(REPO / "models" / "ranker.yaml")   # the file is itself a valid config


def test_the_quality_preset_changes_the_model_only():
    """models/quality.yaml (docs/ranking.md, "Fourth round"): another encoder, the shipped ranker."""
    preset = Config.from_yaml(REPO / "models" / "quality.yaml")
    assert Path(preset.embed.model).name == "all-mpnet-base-v2"
    assert dataclasses.replace(preset, embed=dataclasses.replace(preset.embed, model=Config().embed.model)) == Config()


def test_each_key_carries_its_help_and_choices_in_its_field():
    keys = {key: f for key, _, f in settings()}
    assert list(keys)[:3] == ["workspace", "corpus.files", "corpus.include"] and len(keys) == 69
    assert [k for k in keys if k.startswith("embed.")][:2] == ["embed.model", "embed.backend"]
    assert all(isinstance(f.metadata.get("help"), str) for f in keys.values())
    assert keys["embed.backend"].metadata["choices"] == ("torch", "onnx", "onnx-int8")
    assert keys["workspace"].metadata["metavar"] == "DIR|none"
    with pytest.raises(ConfigError, match="'index.kind' is 'annoy'; use one of auto, flat, hnsw, ivf"):
        Config.from_dict({"index": {"kind": "annoy"}})
    with pytest.raises(ConfigError, match="'batch.engine' is 'spark'; use one of local, ray"):
        Config().with_overrides({"batch.engine": "spark"})
