"""Ranker lab: per-pair features computed once per site, rankers evaluated as numpy in seconds.

    PYTHONPATH=src python benchmarks/ranker_lab.py --azure WS [--powerapps WS] [--judgments FILE]

A :class:`Site` opens a prebuilt workspace (nothing is encoded), takes every query's top
``N`` candidates by cosine and computes the pair features once (:meth:`Site.pair_features`):
cosine and its corpus-fitted corrections (re-centred, top principal components removed,
CSLS), TF-IDF, BM25 (``bm25s``), key-term overlap (:mod:`relate.evidence`), title Jaccard,
days apart, same provider, quality percentile, reciprocal rank and shared neighbours. A
:class:`Lever` is a ranker written over those arrays; :func:`evaluate` scores its lists
against the judgments (nDCG@5 with gains 2^g-1, dups and unjudged 0), and :func:`paired`
gives the paired bootstrap interval of a difference. The module is also imported by
``tune_ranker.py``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402

import relate  # noqa: E402
from relate.evidence import KeyTerms  # noqa: E402
from relate.story import other_parts, same_figures, same_headline  # noqa: E402
from relate.text import article_text, clean_text  # noqa: E402
from relate.words import jaccard, meet  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from story_rules import rule_new, rule_round2, rule_today  # noqa: E402

SHARED = REPO.parent / "shared"
if not SHARED.is_dir():
    SHARED = Path("/work/shared")
DEV = SHARED / "judgments" / "dev.jsonl"


# ====================================================================== site
class Site:
    """One workspace's articles with everything pair features need, computed once."""

    def __init__(self, workspace: str | os.PathLike, n_cand: int = 100, knn: int = 10, config=None,
                 vectors: np.ndarray | None = None) -> None:
        self.engine = e = relate.Engine(workspace, config)          # config: the one it was built with
        self.rows = e._rows
        self.n = len(self.rows)
        self.table = e._table
        # vectors: other unit vectors of the same rows (two encoders' joined, say) in place of the workspace's
        self.V = np.ascontiguousarray(e.vectors if vectors is None else vectors, dtype=np.float32)
        cfg = e.config.embed
        self.titles_clean = [clean_text(a.title) for a in self.rows]
        self.texts = [article_text(a.title, a.excerpt, cfg) for a in self.rows]
        self.urls = [a.url for a in self.rows]
        self.row_of = {u: i for i, u in enumerate(self.urls)}
        self.quality_raw = np.array([float(a.quality) if isinstance(a.quality, (int, float)) else np.nan
                                     for a in self.rows])
        self.published = self.table.published
        self.provider = self.table.provider_key
        self.S = self.V @ self.V.T
        np.fill_diagonal(self.S, -np.inf)
        hidden = np.zeros(self.n, bool) if self.table.digest is None else self.table.digest.copy()
        if self.table.removed is not None:
            hidden |= self.table.removed
        self.S[:, hidden] = -np.inf                      # as the engine: digests and removed records never candidates
        # the story rule's time-window clauses apply between news records only (RankConfig.story_types)
        cfg = e.config.rank
        self.news = np.array([not a.type or a.type.lower() in [t.lower() for t in cfg.story_types] for a in self.rows])
        self.paths = [Path(a.path).as_posix() if a.path else "" for a in self.rows]
        self.quality_share = getattr(self.table, "quality_share", 1.0)   # the engine weighs quality by it
        # corpus-fitted corrections of the vectors
        mu = self.V.mean(0)
        c = self.V - mu
        self.Vc = c / np.linalg.norm(c, axis=1, keepdims=True)
        self._centred = c
        self.n_cand = n_cand
        top = np.argpartition(-self.S, n_cand, axis=1)[:, :n_cand]
        order = np.take_along_axis(self.S, top, 1).argsort(1)[:, ::-1]
        self.nn = np.take_along_axis(top, order, 1)              # (n, n_cand) best first, self excluded
        self.nn_sim = np.take_along_axis(self.S, self.nn, 1)
        self.knn = knn
        self.r = self.nn_sim[:, :knn].mean(1)                    # CSLS hubness term
        rc = self.Vc @ self.Vc.T
        np.fill_diagonal(rc, -np.inf)
        self.rc = np.sort(np.partition(-rc, knn, axis=1)[:, :knn], 1).mean(1) * -1
        del rc
        import scipy.sparse as sp

        self.A = sp.csr_matrix((np.ones(self.n * knn, np.float32), self.nn[:, :knn].ravel(),
                                np.arange(0, self.n * knn + 1, knn)), shape=(self.n, self.n))
        self.terms = KeyTerms.fit(self.texts, titles=self.titles_clean)
        self.title_sets = self.table.titles
        self._bm25 = None
        self._bm25_cache: dict[int, np.ndarray] = {}
        self.extra: dict[str, np.ndarray] = {}          # other vector sets (title-only, mpnet ...)

    # ---------------------------------------------------------------- vector variants
    def abtt(self, d: int) -> np.ndarray:
        """Centred vectors with the top ``d`` principal directions removed, renormalised."""
        key = f"abtt{d}"
        if key not in self.extra:
            _, _, vt = np.linalg.svd(self._centred, full_matrices=False)
            u = vt[:d]
            x = self._centred - (self._centred @ u.T) @ u
            self.extra[key] = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
        return self.extra[key]

    def bm25_row(self, q: int) -> np.ndarray:
        if self._bm25 is None:
            import bm25s

            toks = bm25s.tokenize(self.texts, stopwords="en", return_ids=False, show_progress=False)
            self._bm25_tokens = toks
            self._bm25 = bm25s.BM25()
            self._bm25.index(toks, show_progress=False)
        if q not in self._bm25_cache:
            s = self._bm25.get_scores(self._bm25_tokens[q])
            self._bm25_cache[q] = s / max(float(s[q]), 1e-9)
        return self._bm25_cache[q]

    def rank_of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Rank (0 = nearest) of ``a[i]`` among the neighbours of ``b[i]`` (capped at n_cand)."""
        out = np.full(len(a), self.n_cand, dtype=np.float64)
        for i, (x, y) in enumerate(zip(a, b)):
            hit = np.nonzero(self.nn[y] == x)[0]
            if hit.size:
                out[i] = hit[0]
        return out

    # ---------------------------------------------------------------- features
    def pair_features(self, a: np.ndarray, b: np.ndarray, bm25: bool = True) -> dict[str, np.ndarray]:
        """Features of each pair ``(a[i], b[i])`` (``a`` is the query side)."""
        a = np.asarray(a).ravel()
        b = np.asarray(b).ravel()
        lex = self.engine.lexicon
        va, vb = self.V[a], self.V[b]
        f: dict[str, np.ndarray] = {}
        f["cos"] = np.einsum("ij,ij->i", va, vb).astype(np.float64)
        f["cen"] = np.einsum("ij,ij->i", self.Vc[a], self.Vc[b]).astype(np.float64)
        f["csls"] = 2 * f["cos"] - self.r[a] - self.r[b]
        f["csls_cen"] = 2 * f["cen"] - self.rc[a] - self.rc[b]
        f["tfidf"] = np.asarray(lex.matrix[a].multiply(lex.matrix[b]).sum(1)).ravel().astype(np.float64)
        f["ent"] = self.terms.overlaps(a, b)
        f["title"] = np.array([jaccard(self.title_sets[x], self.title_sets[y]) for x, y in zip(a, b)])
        f["figures"] = np.array([1.0 if same_figures(self.title_sets[x], self.title_sets[y]) else 0.0
                                 for x, y in zip(a, b)])
        f["headline"] = np.array([1.0 if same_headline(self.title_sets[x], self.title_sets[y]) else 0.0
                                  for x, y in zip(a, b)])
        f["other_part"] = np.array([1.0 if other_parts(self.title_sets[x], self.title_sets[y]) else 0.0
                                    for x, y in zip(a, b)])
        pa, pb = self.published[a], self.published[b]
        f["days"] = np.where(np.isfinite(pa) & np.isfinite(pb), np.abs(pa - pb) / 86400.0, np.nan)
        f["same_prov"] = np.array([1.0 if self.provider[x] and self.provider[x] == self.provider[y] else 0.0
                                   for x, y in zip(a, b)])
        f["prov_known"] = np.array([1.0 if self.provider[x] and self.provider[y] else 0.0 for x, y in zip(a, b)])
        f["news"] = (self.news[a] & self.news[b]).astype(np.float64)
        f["q"] = self.table.quality[b].astype(np.float64)
        f["qraw"] = self.quality_raw[b]
        f["shared_nn"] = np.asarray(self.A[a].multiply(self.A[b]).sum(1)).ravel() / self.knn
        f["url_same"] = np.array([1.0 if meet(self.table.url_keys[x], self.table.url_keys[y]) else 0.0
                                  for x, y in zip(a, b)])
        if bm25:
            f["bm25"] = np.array([self.bm25_row(int(x))[y] for x, y in zip(a, b)])
        for name, X in self.extra.items():
            f[name] = np.einsum("ij,ij->i", X[a], X[b]).astype(np.float64)
        return f


@dataclass
class Cands:
    """Candidates of a set of queries with their features (arrays ``(Q, N)``) and pairwise ones."""

    site: Site
    queries: np.ndarray                    # (Q,) corpus rows
    rows: np.ndarray                       # (Q, N) candidate rows, best cosine first
    f: dict[str, np.ndarray]
    pair: list[dict[str, np.ndarray]]      # per query: features of candidate pairs, (N, N)

    @classmethod
    def make(cls, site: Site, queries, n: int = 100, pairwise: int = 100, bm25: bool = True) -> Cands:
        q = np.asarray(queries)
        rows = site.nn[q, :n]
        a = np.repeat(q, n)
        f = {k: v.reshape(len(q), n) for k, v in site.pair_features(a, rows.ravel(), bm25=bm25).items()}
        f["rank"] = np.tile(np.arange(n, dtype=np.float64), (len(q), 1))
        f["recip"] = site.rank_of(a, rows.ravel()).reshape(len(q), n)
        pair = []
        m = min(pairwise, n)
        # as the engine: the query's other parts of a series (those the clauses alone join to it)
        # are two items beside the query and beside each other, not beside other candidates
        sibling = (f["other_part"] > 0) & rule_new({**f, "other_part": np.zeros_like(f["cos"])})
        for qi, r in enumerate(rows):
            x, y = np.meshgrid(r[:m], r[:m], indexing="ij")
            pf = site.pair_features(x.ravel(), y.ravel(), bm25=False)
            pf["other_part"] = pf["other_part"] * np.outer(sibling[qi, :m], sibling[qi, :m]).ravel()
            pair.append({k: v.reshape(m, m) for k, v in pf.items()})
        return cls(site, q, rows, f, pair)

    def add_vectors(self, name: str, X: np.ndarray) -> None:
        """Adds the cosine of another vector set (rows aligned with the site) as feature ``name``."""
        s = self.site
        s.extra[name] = X
        a = np.repeat(self.queries, self.rows.shape[1])
        self.f[name] = np.einsum("ij,ij->i", X[a], X[self.rows.ravel()]).reshape(self.rows.shape).astype(np.float64)
        for p, r in zip(self.pair, self.rows):
            m = p["cos"].shape[0]
            p[name] = (X[r[:m]] @ X[r[:m]].T).astype(np.float64)


# ====================================================================== rankers
@dataclass
class Lever:
    """A ranker over :class:`Cands` arrays: a linear score, filters, and a same-story rule."""

    name: str
    base: str = "cos"                       # similarity feature scored (filters always use raw cos)
    w: dict[str, float] = field(default_factory=lambda: {"tfidf": 0.3})
    w_quality: float = 0.1
    quality_gate: float = 0.3
    min_similarity: float = 0.3
    candidates: int = 60
    story: Callable | None = rule_today     # None: no story rule at all
    collapse_story: Callable | None = None  # the rule between two candidates (None: ``story``)
    quality_top: int = 0                    # >0: quality only reorders the best `quality_top` by relevance
    collapse: bool = True                   # collapse copies among candidates
    k: int = 5
    quality_share: bool = True              # weigh quality by the corpus's share of records with one (engine)

    def with_(self, name=None, **kw) -> Lever:
        return dataclasses.replace(self, name=name or self.name, **kw)

    def _w_quality(self, c: Cands) -> float:
        return self.w_quality * (c.site.quality_share ** 2 if self.quality_share else 1.0)   # as relate.rank.quality_weight

    def scores(self, c: Cands) -> np.ndarray:
        f = c.f
        s = f[self.base].copy()
        for k, w in self.w.items():
            if w:
                s = s + w * f[k]
        if self.w_quality and self.quality_top:
            rel = np.where(self._valid(c), s, -np.inf)
            kth = -np.sort(-rel, 1)[:, min(self.quality_top, rel.shape[1]) - 1:self.quality_top]
            s = np.where(rel >= kth, s + self._w_quality(c) * f["q"] + 10.0, s)
        elif self.w_quality:
            gate = np.clip((f["cos"] - self.min_similarity) / self.quality_gate, 0, 1) if self.quality_gate > 0 else 1.0
            s = s + gate * self._w_quality(c) * f["q"]
        return s

    def _valid(self, c: Cands) -> np.ndarray:
        f = c.f
        valid = (f["cos"] >= self.min_similarity) & (f["rank"] < self.candidates) & (f["url_same"] == 0)
        if self.story is not None:
            valid &= ~self.story(f)
        return valid

    def lists(self, c: Cands, skipped: list | None = None) -> list[list[int]]:
        """Each query's list (corpus rows); ``skipped`` gets ``(query index, candidate index, index of
        the candidate taken before it that tells its story)`` for each candidate collapsed."""
        s = self.scores(c)
        valid = self._valid(c)
        out = []
        for qi in range(len(c.queries)):
            idx = np.nonzero(valid[qi])[0]
            idx = idx[np.argsort(-s[qi, idx], kind="stable")]
            chosen: list[int] = []
            pstory = None
            if self.collapse and self.story is not None:
                pstory = (self.collapse_story or self.story)(c.pair[qi])
            for j in idx:
                if len(chosen) >= self.k:
                    break
                m = 0 if pstory is None else pstory.shape[0]
                taken = next((x for x in chosen if j < m and x < m and pstory[j, x]), None)
                if taken is not None:
                    if skipped is not None:
                        skipped.append((qi, int(j), taken))
                    continue
                chosen.append(int(j))
            out.append([int(c.rows[qi, j]) for j in chosen])
        return out


# ====================================================================== judgments and metrics
class Judged:
    """Judgments keyed by corpus rows. A query or candidate is a record's ``webUrl`` (the dev set)
    or its file's path inside the corpus (``benchmarks/judgments/*.jsonl``); ``sets``: only the
    lines whose ``set`` is one of these."""

    def __init__(self, site: Site, path: str | os.PathLike = DEV, sets: tuple[str, ...] | None = None) -> None:
        self.grade: dict[int, dict[int, int]] = {}
        self.dup: dict[int, set[int]] = {}
        self.pairs: list[tuple[int, int, int, bool]] = []
        by_path: dict[str, int] = {}
        for i, p in enumerate(site.paths):
            parts = p.split("/")
            for k in range(1, min(4, len(parts)) + 1):
                by_path.setdefault("/".join(parts[-k:]), i)
        for line in Path(path).read_text(encoding="utf-8").split("\n"):   # U+2028 may sit inside a string
            if not line.strip():
                continue
            r = json.loads(line)
            if sets is not None and r.get("set") not in sets:
                continue
            q, c = (site.row_of.get(r[k], by_path.get(r.get(k + "_path", r[k]))) for k in ("query", "candidate"))
            if q is None or c is None:
                continue
            self.grade.setdefault(q, {})[c] = int(r["grade"])
            if r.get("dup"):
                self.dup.setdefault(q, set()).add(c)
            self.pairs.append((q, c, int(r["grade"]), bool(r.get("dup"))))
        self.queries = np.array(list(self.grade))

    def gain(self, q: int, c: int) -> float:
        if c in self.dup.get(q, ()):
            return 0.0
        return 2.0 ** self.grade.get(q, {}).get(c, 0) - 1.0


def ndcg(j: Judged, q: int, shown: list[int], k: int = 5) -> float:
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = sum(j.gain(q, c) * disc[i] for i, c in enumerate(shown[:k]))
    ideal = sorted((j.gain(q, c) for c in j.grade[q]), reverse=True)[:k]
    idcg = sum(g * disc[i] for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


@dataclass
class Result:
    name: str
    ndcg: np.ndarray          # per query
    dups: np.ndarray          # per query share of shown judged dup
    judged: np.ndarray        # per query share judged
    quality: float            # pooled mean raw quality shown
    lists: list[list[int]]

    @property
    def mean(self) -> float:
        return float(self.ndcg.mean())


def evaluate(lever: Lever, c: Cands, j: Judged) -> Result:
    lists = lever.lists(c)
    nd, du, ju, qs = [], [], [], []
    for q, shown in zip(c.queries, lists):
        q = int(q)
        top = shown[:5]
        nd.append(ndcg(j, q, top))
        du.append(sum(x in j.dup.get(q, ()) for x in top) / len(top) if top else 0.0)
        ju.append(sum(x in j.grade[q] for x in top) / len(top) if top else float("nan"))
        qs += [c.site.quality_raw[x] for x in top if np.isfinite(c.site.quality_raw[x])]
    return Result(lever.name, np.array(nd), np.array(du), np.array(ju), float(np.mean(qs)) if qs else float("nan"),
                  lists)


def paired(a: Result, b: Result, draws: int = 10000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``b - a`` over queries with a paired bootstrap 95 % interval."""
    d = b.ndcg - a.ndcg
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(d), size=(draws, len(d)))
    means = d[idx].mean(1)
    return float(d.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def loo(levers: list[Lever], c: Cands, j: Judged) -> tuple[float, list[str]]:
    """Leave-one-query-out nDCG@5 of picking the best of ``levers`` on the other queries."""
    res = [evaluate(lv, c, j) for lv in levers]
    M = np.stack([r.ndcg for r in res])          # (levers, Q)
    total = M.sum(1)
    out, picks = [], []
    for qi in range(M.shape[1]):
        other = (total - M[:, qi]) / (M.shape[1] - 1)
        best = int(np.argmax(other))
        out.append(M[best, qi])
        picks.append(levers[best].name)
    return float(np.mean(out)), picks


def row(r: Result, base: Result | None = None, loo_value: float | None = None) -> str:
    s = f"{r.name:52s} {r.mean:6.3f} {r.dups.mean():5.3f} {np.nanmean(r.judged):5.2f} {r.quality:6.1f}"
    if base is not None and base is not r:
        m, lo, hi = paired(base, r)
        s += f"  {m:+.3f} [{lo:+.3f},{hi:+.3f}]"
    if loo_value is not None:
        s += f"  LOO {loo_value:.3f}"
    return s


HEADER = f"{'ranker':52s} {'nDCG5':>6s} {'dups':>5s} {'judg':>5s} {'qual':>6s}  diff vs default [95% CI]"

def judged_pairs(site: Site, j: Judged):
    """The judged pairs of ``j`` (query rows, candidate rows, grades, repeat flags) and their features."""
    P = np.array(j.pairs)
    a, b, g, d = P[:, 0], P[:, 1], P[:, 2], P[:, 3].astype(bool)
    return a, b, g, d, site.pair_features(a, b, bm25=False)


PLAIN = Lever("plain MiniLM cosine", w={}, w_quality=0.0, min_similarity=-1.0, story=None)
TODAY = Lever("today's defaults", quality_share=False)


NEW = Lever("new defaults", w={"tfidf": 0.3, "ent": 0.2, "recip_gated": 0.2}, w_quality=0.2, quality_gate=0.2,
            story=rule_new)
ROUND2 = NEW.with_("issue 10 round 2 (time clauses any type)", story=rule_round2, quality_share=False)


def add_reciprocal(c: Cands, depth: int = 60) -> None:
    """Feature ``recip_inv``: 1 / (1 + candidate's neighbours closer to it than the query)."""
    cnt = (c.site.nn_sim[c.rows][:, :, :depth] > c.f["cos"][:, :, None] + 1e-5).sum(-1)
    c.f["recip_inv"] = 1.0 / (1.0 + cnt)
    c.f["recip_gated"] = c.f["recip_inv"] * np.clip((c.f["cos"] - 0.3) / 0.2, 0, 1)   # gated like quality


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--azure", default="/work/rank-ws/azure")
    p.add_argument("--judgments", default=str(DEV))
    args = p.parse_args(argv)
    site = Site(args.azure)
    j = Judged(site, args.judgments)
    c = Cands.make(site, j.queries)
    base = evaluate(TODAY, c, j)
    print(HEADER)
    for lv in (PLAIN, TODAY):
        print(row(evaluate(lv, c, j), base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
