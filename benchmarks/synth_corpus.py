"""Synthetic news corpora in relate's record format, for scale benchmarks (issue 13).

Builds N deterministic (seeded) records from the word statistics of a real corpus
(``../shared/corpora/azure`` by default): titles and excerpts are assembled from real title
prefixes, real excerpt sentences and a word-bigram model fitted on them, around synthetic
companies, products and figures, so that records cluster into stories:

* a **story** has 1 to ~40 records (a heavy-tailed size): an entity ("Norvex Helix 7"), a
  figure ("$4.2 billion", "37%"), 1-3 topics, a base title and a pool of excerpt sentences;
* its records are rewordings by different providers over a few days, **re-posts** (the same
  title and excerpt, another provider, within hours) and a few follow-ups weeks later;
* ~600 **providers** (the real ones of the source corpus plus synthetic ones, each with a
  name and a domain), Zipf-popular, each with its own ``quality`` mean (0-100); ~1% of the
  records have no ``quality``;
* ``publishedDateTime`` spread over ~3 years (``--start``, ``--days``), unique ``webUrl``
  per record, ``type: article``, ``topics``, an image on ~40% of the records, AMP addresses
  on some.

Records are written one story at a time (nothing holds all N), as one ``.jsonl`` corpus
(one record object per line, the keys of the seed's front matter) and, optionally
(``--md DIR``, for small N), as a folder of ``.md`` record files. Story ``i`` is drawn from
its own random stream (``seed``, ``i``), so ``--delta`` can add new members to existing
stories without reading them back.

``--delta`` makes a "nightly" change of an existing corpus file: ``K`` new records (new
stories and new members of existing stories, all dated after the corpus's last day), ``E``
edited records (same ``webUrl``, a new excerpt) and ``R`` removed records, written to a
copy of the corpus plus a JSON manifest of what changed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/synth_corpus.py -n 1000000 -o /tmp/relate-synth/c1m.jsonl
    .venv/bin/python benchmarks/synth_corpus.py -n 2000 -o /tmp/relate-synth/c2k.jsonl --md /tmp/relate-synth/c2k
    .venv/bin/python benchmarks/synth_corpus.py --delta /tmp/relate-synth/c1m.jsonl -n 1000000 \\
        --add 5000 --edit 500 --remove 1000 -o /tmp/relate-synth/c1m-night1.jsonl

Speed: see ``--help`` and benchmarks/README.md (about 10 s per 100,000 records here).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import random
import re
import sys
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "corpora" / "azure"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.\-&+]*[A-Za-z0-9+]|[A-Za-z0-9]")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
_STOP = frozenset("a an the and or of to in on for with by at from as is are was were be its it this that "
                  "new now how why what your our their you we can will into over more than".split())

# Synthetic names: syllables for companies and products, words for outlet names.
_SYL = ("ar bel cor dex el fin gal hex ion jun kal lum mer nov or pax quin ral sol tav ul vex wen xor yar zen "
        "bri cla dro fla gro kri pla tri sta vor nex lyt ora cen tek syn qua").split()
_CO_SUFFIX = ("", "", "", " Labs", " Systems", " Technologies", " Networks", " Software", " Inc.", " Group",
              " Cloud", " AI", " Data", " Energy", " Health", " Bank", " Motors", " Robotics")
_OUTLET = ("Times", "Post", "Journal", "Review", "Daily", "Wire", "Herald", "Tribune", "Insider", "Report",
           "Observer", "Gazette", "Monitor", "Digest", "Ledger", "Chronicle", "News", "Weekly", "Today", "Register")
_OUTLET_PRE = ("The", "", "", "Global", "Tech", "Metro", "National", "Bay", "Capital", "Northern", "Pacific",
               "Atlantic", "Market", "Silicon", "Cloud", "Data", "City", "Valley")
_TLDS = (".com", ".com", ".com", ".net", ".org", ".co.uk", ".io", ".de", ".com.au", ".ca", ".in", ".news")
_VERBS = ("launches", "unveils", "expands", "cuts", "acquires", "reports", "delays", "doubles down on",
          "partners on", "opens", "warns about", "raises", "ships", "retires", "invests in", "faces probe over",
          "slashes prices of", "rolls out", "bets on", "pauses")
_FIGURE = ("${a}.{b} billion", "${a}{b}0 million", "{p}%", "{a},{b}00 jobs", "version {a}.{b}", "{a}{b} regions",
           "{a}{b}x faster", "Q{q} {y}")
_PREFIX = ("", "", "", "", "", "Report: ", "Exclusive: ", "Update: ", "Analysis: ", "Breaking: ", "Opinion: ")
_IMG_SIZES = ((1200, 630), (800, 450), (1024, 576), (636, 382), (1920, 1080), (400, 400), (640, 360))


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
            if w.lower() in _STOP or not w[0].isalpha():
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
                if w.isalpha() and w.islower() and w not in _STOP and len(w) > 3:
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
    path = cache_dir / f"synth-vocab-{sig}.pkl"
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


def _syllable_name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


@dataclass
class Provider:
    name: str
    domain: str
    quality_mean: float
    quality_sd: float
    amp: bool
    style: int  # 0: plain titles, 1: prefixes, 2: " | Name" suffix


def make_providers(vocab: Vocabulary, n: int, rng: random.Random) -> list[Provider]:
    """``n`` providers: the source corpus's real ones, then synthetic outlets, each with a quality mean."""
    out: list[Provider] = []
    seen: set[str] = set()
    for name, domain, _ in vocab.providers:
        if len(out) >= n // 3 or domain in seen:
            continue
        seen.add(domain)
        out.append(Provider(name, domain, 0, 0, False, 0))
    while len(out) < n:
        core = _syllable_name(rng, rng.choice((2, 2, 3))) if rng.random() < 0.6 else rng.choice(vocab.caps[:400])
        pre = rng.choice(_OUTLET_PRE)
        name = " ".join(x for x in (pre, core, rng.choice(_OUTLET)) if x)
        domain = re.sub(r"[^a-z0-9]", "", (core + name.split()[-1]).lower()) + rng.choice(_TLDS)
        if domain in seen:
            continue
        seen.add(domain)
        out.append(Provider(name, domain, 0, 0, False, 0))
    for p in out:
        p.quality_mean = rng.betavariate(2.2, 2.0) * 100
        p.quality_sd = rng.uniform(4, 15)
        p.amp = rng.random() < 0.3
        p.style = rng.choice((0, 0, 0, 1, 2))
    return out


def _figure(rng: random.Random, year: int) -> str:
    return rng.choice(_FIGURE).format(a=rng.randint(1, 9), b=rng.randint(0, 9), p=rng.randint(3, 97),
                                      q=rng.randint(1, 4), y=year)


def _walk(rng: random.Random, vocab: Vocabulary, word: str, n: int) -> list[str]:
    out = []
    for _ in range(n):
        nxt = vocab.succ.get(word)
        if not nxt:
            break
        word = rng.choice(nxt)
        out.append(word)
    return out


def _slug(words: str, n: int = 8) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", " ", words.lower()).split()[:n]) or "story"


@dataclass
class Story:
    index: int
    start: datetime
    entity: str
    figure: str
    topics: list[str]
    title: list[str]
    sentences: list[str]
    keywords: list[str]
    size: int


class Generator:
    """Deterministic records: ``Generator(vocab, seed).records(n)`` yields ``n`` record dicts.

    Story ``i`` depends only on (``seed``, ``i``) and its size on the seed's plan stream, so
    a second generator with the same arguments rebuilds any story without the file.
    """

    def __init__(self, vocab: Vocabulary, seed: int = 0, providers: int = 600,
                 start: datetime = datetime(2021, 1, 1, tzinfo=timezone.utc), days: int = 1095,
                 companies: int = 4000) -> None:
        self.vocab = vocab
        self.seed = seed
        self.start = start
        self.days = days
        rng = random.Random(f"{seed}:world")
        self.providers = make_providers(vocab, providers, rng)
        weights = [1 / (r + 1) ** 1.05 for r in range(len(self.providers))]
        rng.shuffle(self.providers[len(vocab.providers) // 2:])  # not only the real ones on top
        self._pcum = list(accumulate(weights))
        self.companies = []
        names: set[str] = set()
        while len(self.companies) < companies:
            c = _syllable_name(rng, rng.choice((2, 2, 3))) + rng.choice(_CO_SUFFIX)
            if c not in names:
                names.add(c)
                self.companies.append(c)
        self._ccum = list(accumulate(1 / (r + 1) ** 0.9 for r in range(companies)))
        topics = vocab.topics or [("News", 1)]
        self.topic_names = [t for t, _ in topics]
        self._tcum = list(accumulate(math.sqrt(c) for _, c in topics))
        self._ids = 0

    # ------------------------------------------------------------------ plan
    def story_sizes(self) -> Iterator[int]:
        """Sizes of stories 0, 1, 2...: mostly 1-3 records, a long tail up to ~40."""
        rng = random.Random(f"{self.seed}:plan")
        while True:
            u = rng.random()
            yield 1 if u < 0.35 else min(40, 1 + int(rng.paretovariate(1.3)))

    def story(self, i: int, size: int) -> Story:
        """Story ``i`` (its entity, figure, topics, base title and sentences)."""
        rng = random.Random(f"{self.seed}:story:{i}")
        v = self.vocab
        company = self.companies[bisect_right(self._ccum, rng.random() * self._ccum[-1])]
        product = rng.choice(v.caps) if rng.random() < 0.7 else ""
        entity = " ".join(x for x in (company, product) if x)
        start = self.start + timedelta(seconds=rng.random() * self.days * 86400)
        figure = _figure(rng, start.year)
        ntop = rng.choice((1, 1, 2, 2, 3))
        topics = list(dict.fromkeys(self.topic_names[bisect_right(self._tcum, rng.random() * self._tcum[-1])]
                                    for _ in range(ntop)))
        mode = rng.random()
        if mode < 0.4:  # "Company verbs product figure"
            title = [*entity.split(), *rng.choice(_VERBS).split(), *rng.sample(v.content, 2), *figure.split()]
        else:  # a real title's opening, the entity, a bigram continuation
            base = rng.choice(v.titles)
            cut = rng.randint(2, max(2, min(6, len(base) - 1)))
            head = base[:cut]
            tail = _walk(rng, v, head[-1], rng.randint(3, 7))
            title = [*entity.split(), *head, *tail] if mode < 0.7 else [*head, *entity.split(), *tail]
            if rng.random() < 0.5:
                title += figure.split()
        keywords = [w for w in title if w.lower() not in _STOP]
        sents = [f"{entity} {rng.choice(_VERBS)} {' '.join(rng.sample(v.content, 3))}, "
                 f"{' '.join(_walk(rng, v, rng.choice(keywords), rng.randint(6, 14)))} ({figure})."]
        sents += [rng.choice(v.sentences) for _ in range(rng.randint(2, 4))]
        return Story(i, start, entity, figure, topics, title, sents, keywords, size)

    # ------------------------------------------------------------------ records
    def provider(self, rng: random.Random) -> Provider:
        return self.providers[bisect_right(self._pcum, rng.random() * self._pcum[-1])]

    def record(self, story: Story, rng: random.Random, when: datetime, copy_of: dict | None = None,
               follow_up: bool = False) -> dict[str, Any]:
        """One record of ``story`` published at ``when`` (a re-post of ``copy_of`` when given)."""
        v = self.vocab
        p = self.provider(rng)
        if copy_of is not None:
            title, excerpt = copy_of["title"], copy_of["excerpt"]
        else:
            words = list(story.title)
            if rng.random() < 0.7:  # reword: drop some words, add a few from the bigram model
                keep = [w for w in words if rng.random() < 0.8 or w in story.entity]
                at = rng.randint(1, max(1, len(keep)))
                words = keep[:at] + _walk(rng, v, keep[at - 1], rng.randint(0, 3)) + keep[at:]
            if follow_up:
                words = [*rng.choice(("Update:", "Months after", "Follow-up:", "Again:")).split(), *words]
            title = " ".join(words)
            if p.style == 1:
                title = rng.choice(_PREFIX) + title
            elif p.style == 2:
                title = f"{title} | {p.name}"
            sents = story.sentences[:1] if rng.random() < 0.6 else []
            rest = story.sentences[1:]
            sents += rng.sample(rest, min(len(rest), rng.randint(1, 2)))
            if rng.random() < 0.5:
                sents.append(" ".join(_walk(rng, v, rng.choice(story.keywords), rng.randint(5, 15))) + ".")
            excerpt = " ".join(sents)
            if len(excerpt) > 400:
                excerpt = excerpt[:397].rsplit(" ", 1)[0] + " ..."
        self._ids += 1
        uid = hashlib.blake2b(f"{self.seed}:{story.index}:{self._ids}:{when.isoformat()}".encode(),
                              digest_size=5).hexdigest()
        path = f"{when:%Y/%m/%d}/{_slug(title)}-{uid}"
        url = f"https://www.{p.domain}/{path}"
        rec: dict[str, Any] = {"category": "news", "title": title, "excerpt": excerpt,
                               "publishedDateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "webUrl": url}
        if p.amp:
            rec["ampWebUrl"] = f"https://www.{p.domain}/amp/{path}"
            rec["cdnAmpWebUrl"] = (f"https://www-{p.domain.replace('.', '-')}.cdn.ampproject.org/c/s/"
                                   f"www.{p.domain}/amp/{path}")
        rec["type"] = "article"
        if rng.random() >= 0.01:
            rec["quality"] = max(0, min(100, round(rng.gauss(p.quality_mean, p.quality_sd))))
        rec["heat"] = rng.choice((-1, -1, 0, 1, 2, 4, 8, 16, 32))
        rec["published"] = False
        rec["provider"] = {"name": p.name, "domain": p.domain}
        rec["topics"] = list(story.topics)
        if rng.random() < 0.4:
            w, h = rng.choice(_IMG_SIZES)
            rec["images"] = [{"url": f"https://img.{p.domain}/{when:%Y/%m}/{uid}.jpg", "width": w, "height": h,
                              "isCached": True, "title": title}]
        return rec

    def story_records(self, story: Story, after: datetime | None = None, count: int | None = None
                      ) -> Iterator[dict[str, Any]]:
        """The records of ``story`` (``count`` new ones dated after ``after`` for a delta)."""
        rng = random.Random(f"{self.seed}:members:{story.index}:{after}")
        n = story.size if count is None else count
        t0 = story.start if after is None else after
        first: dict | None = None
        for j in range(n):
            if after is not None:
                when = t0 + timedelta(seconds=rng.random() * 86400)
                follow = True
            elif j == 0:
                when, follow = t0, False
            elif rng.random() < 0.05:  # a follow-up weeks later
                when, follow = t0 + timedelta(days=rng.uniform(14, 120)), True
            else:
                when, follow = t0 + timedelta(seconds=rng.expovariate(1 / 100000)), False
            repost = first is not None and rng.random() < 0.2
            if repost:
                when = min(when, t0 + timedelta(hours=rng.uniform(0.2, 12)))
            rec = self.record(story, rng, when.replace(microsecond=0),
                              copy_of=first if repost else None, follow_up=follow and not repost)
            if first is None:
                first = rec
            yield rec

    def records(self, n: int) -> Iterator[dict[str, Any]]:
        """``n`` records, one story after another (the last story cut to fit)."""
        made = 0
        for i, size in enumerate(self.story_sizes()):
            if made >= n:
                return
            size = min(size, n - made)
            for rec in self.story_records(self.story(i, size)):
                yield rec
            made += size

    def stories_for(self, n: int) -> int:
        """How many stories ``records(n)`` draws."""
        made = 0
        for i, size in enumerate(self.story_sizes()):
            if made >= n:
                return i
            made += min(size, n - made)
        return 0  # pragma: no cover


# ---------------------------------------------------------------------- outputs
def _dumps(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v):
        return v
    return json.dumps(v, ensure_ascii=False)  # a JSON string is a YAML double-quoted string


def to_markdown(rec: dict) -> str:
    """A record dict as a front-matter ``.md`` file, laid out like the seed."""
    lines = ["---"]
    for k, v in rec.items():
        if k in ("provider", "topics", "images"):
            lines.append("")
        if isinstance(v, dict):
            lines.append(f"{k}:")
            lines += [f"  {a}: {_yaml_scalar(b)}" for a, b in v.items()]
        elif isinstance(v, list):
            lines.append(f"{k}:")
            for item in v:
                if isinstance(item, dict):
                    for j, (a, b) in enumerate(item.items()):
                        lines.append(f"  {'- ' if j == 0 else '  '}{a}: {_yaml_scalar(b)}")
                else:
                    lines.append(f"  - {_yaml_scalar(item)}")
        else:
            lines.append(f"{k}: {_yaml_scalar(v)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def md_name(rec: dict) -> str:
    """``YYYY/YYYY-MM-DD-slug-uid.md`` for a record (unique: the uid ends its webUrl)."""
    day = rec["publishedDateTime"][:10]
    tail = rec["webUrl"].rsplit("/", 1)[-1]
    return f"{day[:4]}/{day}-{tail[:90]}.md"


def write_corpus(gen: Generator, n: int, out: Path, md: Path | None = None, progress: bool = True) -> dict:
    """Writes ``n`` records of ``gen`` to ``out`` (JSONL) and, given ``md``, as ``.md`` files there."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    t0 = time.perf_counter()
    count = 0
    last = ""
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in gen.records(n):
            fh.write(_dumps(rec) + "\n")
            last = max(last, rec["publishedDateTime"])
            if md is not None:
                f = md / md_name(rec)
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text(to_markdown(rec), encoding="utf-8")
            count += 1
            if progress and count % 100000 == 0:
                print(f"  {count:,} records, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    os.replace(tmp, out)
    return {"records": count, "seconds": round(time.perf_counter() - t0, 2), "last": last,
            "bytes": out.stat().st_size}


def write_delta(gen: Generator, corpus: Path, n: int, out: Path, add: int, edit: int, remove: int,
                new_story_share: float = 0.6, day: datetime | None = None) -> dict:
    """A nightly change of ``corpus`` (made by ``gen`` with ``n`` records), written to ``out``.

    ``add`` new records (a ``new_story_share`` of them in new stories, the rest new members of
    existing stories), all published on ``day`` (default: the day after the corpus's last
    record); ``edit`` records keep their ``webUrl`` but get a new excerpt; ``remove`` records
    are dropped. ``out`` is the changed corpus; ``out`` with ``.manifest.json`` lists the
    ``webUrl``s added, edited and removed.
    """
    rng = random.Random(f"{gen.seed}:delta:{add}:{edit}:{remove}:{day}")
    with open(corpus, "rb") as fh:
        lines = sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b""))
    if remove + edit > lines:
        raise SystemExit(f"{corpus} has {lines} records: cannot edit {edit} and remove {remove}")
    picked = rng.sample(range(lines), remove + edit)
    removed_at, edited_at = set(picked[:remove]), set(picked[remove:])
    last = ""
    manifest: dict[str, list[str]] = {"added": [], "edited": [], "removed": []}
    tmp = out.with_name(out.name + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(corpus, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i in removed_at or i in edited_at:
                rec = json.loads(line)
                if i in removed_at:
                    manifest["removed"].append(rec["webUrl"])
                    continue
                sents = rng.sample(gen.vocab.sentences, 2)
                rec["excerpt"] = f"{rec['excerpt'].split('. ')[0]}. {' '.join(sents)}"[:400]
                manifest["edited"].append(rec["webUrl"])
                line = _dumps(rec) + "\n"
            else:
                j = line.find('"publishedDateTime":"')
                if j >= 0:
                    last = max(last, line[j + 21:j + 41])
            dst.write(line)
        if day is None:
            end = datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if last else gen.start
            day = (end + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        existing = gen.stories_for(n)
        sizes = gen.story_sizes()
        for _ in range(existing):
            next(sizes)
        made = 0
        new_target = round(add * new_story_share)
        next_story = existing + 1000003 * (1 + rng.randrange(1000))  # fresh story numbers for this night
        while made < new_target:
            size = min(next(sizes), new_target - made)
            story = gen.story(next_story, size)
            story.start = day + timedelta(seconds=rng.random() * 80000)
            for rec in gen.story_records(story):
                dst.write(_dumps(rec) + "\n")
                manifest["added"].append(rec["webUrl"])
            made += size
            next_story += 1
        while made < add:
            i = rng.randrange(max(1, existing))
            story = gen.story(i, 1)
            count = min(add - made, rng.randint(1, 3))
            for rec in gen.story_records(story, after=day, count=count):
                dst.write(_dumps(rec) + "\n")
                manifest["added"].append(rec["webUrl"])
            made += count
    os.replace(tmp, out)
    man = out.with_name(out.name + ".manifest.json")
    man.write_text(json.dumps({"corpus": str(corpus), "day": day.isoformat(), **manifest}, indent=1))
    return {"records_in": lines, "added": len(manifest["added"]), "edited": len(manifest["edited"]),
            "removed": len(manifest["removed"]), "manifest": str(man)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("-n", "--records", type=int, default=100000, help="records in the corpus (default 100000)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="the .jsonl file to write")
    ap.add_argument("--md", type=Path, help="also write the records as .md files under this folder (small N)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                    help=f"real record folder to learn words from (default {DEFAULT_SOURCE})")
    ap.add_argument("--vocab-cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "relate-synth", help="where the fitted vocabulary is kept (default ~/.cache/relate-synth)")
    ap.add_argument("--no-vocab-cache", action="store_true", help="fit the vocabulary again, keep nothing")
    ap.add_argument("--providers", type=int, default=600, help="providers (default 600)")
    ap.add_argument("--start", default="2021-01-01", help="first publish day (default 2021-01-01)")
    ap.add_argument("--days", type=int, default=1095, help="days the stories start over (default 1095)")
    ap.add_argument("--delta", type=Path, metavar="CORPUS",
                    help="make a nightly change of CORPUS (made with the same -n/--seed/...) into --out")
    ap.add_argument("--add", type=int, default=5000, help="delta: new records (default 5000)")
    ap.add_argument("--edit", type=int, default=0, help="delta: records with a new excerpt (default 0)")
    ap.add_argument("--remove", type=int, default=1000, help="delta: records removed (default 1000)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    if args.out.suffix != ".jsonl":
        ap.error("--out must end in .jsonl")
    t = time.perf_counter()
    vocab = cached_vocabulary(args.source, None if args.no_vocab_cache else args.vocab_cache)
    start = datetime.fromisoformat(args.start).replace(tzinfo=timezone.utc)
    gen = Generator(vocab, args.seed, providers=args.providers, start=start, days=args.days)
    fit_s = time.perf_counter() - t
    if args.delta:
        stats = write_delta(gen, args.delta, args.records, args.out, args.add, args.edit, args.remove)
    else:
        stats = write_corpus(gen, args.records, args.out, args.md, progress=not args.quiet)
    stats.update(vocab_seconds=round(fit_s, 2), total_seconds=round(time.perf_counter() - t, 2),
                 out=str(args.out))
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
