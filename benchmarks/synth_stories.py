"""Synthetic providers and stories drawn from a :class:`synth_vocabulary.Vocabulary` (``synth_corpus.py``).

A :class:`Generator` makes story ``i`` from its own random stream (seed, ``i``): an entity, a
figure, topics, a base title and excerpt sentences, told by several providers over a few days,
with re-posts and later follow-ups; each record is a plain dict in the seed's front-matter keys.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

from synth_vocabulary import STOPWORDS, Vocabulary

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
        keywords = [w for w in title if w.lower() not in STOPWORDS]
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
