"""The word statistics the synthetic corpus is made of (``synth_corpus.py``), fitted on a real corpus.

:func:`fit_vocabulary` reads a folder of record files once (titles, excerpt sentences, a word-bigram
model, capitalised words, topics and providers); :func:`cached_vocabulary` keeps the result in a
pickle named by the folder's files and times, so a second run starts at once.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.\-&+]*[A-Za-z0-9+]|[A-Za-z0-9]")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
STOPWORDS = frozenset("a an the and or of to in on for with by at from as is are was were be its it this that "
                  "new now how why what your our their you we can will into over more than".split())



@dataclass
class Vocabulary:
    """What the generator draws on, fitted on a real corpus.

    Attributes:
        titles: real titles as word lists.
        sentences: real excerpt sentences.
        succ: word-bigram successors (each following word as often as it follows).
        starts: words that start titles.
        caps: capitalised content words (product-ish names).
        content: other content words.
        topics: the corpus's topics, most common first, with counts.
        providers: real (name, domain) pairs, with counts.
    """

    titles: list[list[str]] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    succ: dict[str, list[str]] = field(default_factory=dict)
    starts: list[str] = field(default_factory=list)
    caps: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    providers: list[tuple[str, str, int]] = field(default_factory=list)


def _front_matter(path: Path) -> dict | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        data = yaml.load(text[3:end], Loader=_LOADER)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def fit_vocabulary(source: Path, limit: int | None = None) -> Vocabulary:
    """The vocabulary of the record files under ``source`` (their titles, excerpts and related entries).

    Args:
        source: a folder of ``.md`` record files (read only).
        limit: read at most this many files (``None``: all).
    """
    files = sorted(source.rglob("*.md"))[:limit]
    if not files:
        raise SystemExit(f"{source}: no .md record files to learn from (give --source)")
    titles: dict[str, None] = {}
    excerpts: dict[str, None] = {}
    topics: Counter[str] = Counter()
    providers: Counter[tuple[str, str]] = Counter()
    for f in files:
        d = _front_matter(f)
        if not d:
            continue
        entries = [d] + [e for e in (d.get("related") or []) if isinstance(e, dict)]
        for e in entries:
            if isinstance(e.get("title"), str):
                titles.setdefault(" ".join(e["title"].split()))
            if isinstance(e.get("excerpt"), str):
                excerpts.setdefault(" ".join(e["excerpt"].replace("...", " ").split()))
            p = e.get("provider")
            if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("domain"), str):
                providers[(p["name"], p["domain"])] += 1
        for t in d.get("topics") or []:
            if isinstance(t, str):
                topics[t] += 1
    v = Vocabulary()
    succ: defaultdict[str, list[str]] = defaultdict(list)
    caps: Counter[str] = Counter()
    content: Counter[str] = Counter()
    for t in titles:
        words = _WORD.findall(t)
        if len(words) < 3:
            continue
        v.titles.append(words)
        v.starts.append(words[0])
        for a, b in zip(words, words[1:]):
            succ[a].append(b)
        for w in words[1:]:
            if w.lower() in STOPWORDS or not w[0].isalpha():
                continue
            (caps if w[0].isupper() else content)[w] += 1
    for x in excerpts:
        for s in _SENT.split(x):
            s = s.strip()
            if 30 <= len(s) <= 260:
                v.sentences.append(s)
            words = _WORD.findall(s)
            for a, b in zip(words, words[1:]):
                succ[a].append(b)
            for w in words:
                if w.isalpha() and w.islower() and w not in STOPWORDS and len(w) > 3:
                    content[w] += 1
    v.succ = dict(succ)
    v.caps = [w for w, _ in caps.most_common(3000)]
    v.content = [w for w, _ in content.most_common(6000)]
    v.topics = topics.most_common()
    v.providers = [(n, d, c) for (n, d), c in providers.most_common()]
    return v


def cached_vocabulary(source: Path, cache_dir: Path | None) -> Vocabulary:
    """:func:`fit_vocabulary`, kept in ``cache_dir`` (a pickle named by the source's files and times)."""
    if cache_dir is None:
        return fit_vocabulary(source)
    files = sorted(source.rglob("*.md"))
    sig = hashlib.sha1(repr((str(source.resolve()), len(files), max((f.stat().st_mtime_ns for f in files),
                                                                    default=0))).encode()).hexdigest()[:16]
    path = cache_dir / f"synth-vocab-2-{sig}.pkl"     # 2: the class lives in synth_vocabulary
    if path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)  # our own file, written below
    vocab = fit_vocabulary(source)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}")
    with open(tmp, "wb") as fh:
        pickle.dump(vocab, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return vocab
