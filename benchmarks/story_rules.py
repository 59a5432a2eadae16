"""The same-story rules of the ranker lab, over pair-feature arrays (``ranker_lab.Site.pair_features``).

Vectorised twins of ``relate.story``: a rule takes a dict of feature arrays (``cos``, ``title``,
``days``, ``ent``, ``same_prov``, ``news``, ``figures``, ``headline``, ``other_part``, ``url_same``) and returns a
boolean array, true where the pair tells one story. Also the precision/recall helper and the inputs of the
logistic same-story model that ``tune_ranker.py`` cross-validates.
"""
from __future__ import annotations

import numpy as np


def rule_today(f, sim=0.65, days=2.0, dup_sim=0.95, dup_title=0.8, dup_days=14.0):
    """Today's rule (relate.rank.is_same_story), vectorised."""
    d = f["days"]
    near = (f["cos"] >= dup_sim) | (f["title"] >= dup_title)
    return (near & ((d <= dup_days) | np.isnan(d))) | ((d <= days) & (f["cos"] >= sim))


def rule_evidence(f, sim=0.65, days=2.0, dup_sim=0.95, dup_title=0.8, dup_days=14.0,
                  ev_sim=0.6, ev_days=7.0, ev_terms=0.4, repost=True, ev_sim_same=None, repost_sim=0.8,
                  reissue_sim=0.85, reissue_days=45.0, news_only=True, retell_sim=None, retell_days=7.0,
                  other_sim=None, other_days=1.0, late_sim=None, late_days=14.0,
                  late_terms=None):
    """relate.story.same_story, vectorised: today's rule, re-posts, the key-term clause, (with
    ``retell_sim``) other outlets' re-tellings within ``retell_days`` and (with ``other_sim``)
    other outlets' reports within ``other_days``, (with ``late_sim``) another outlet's write-up sharing
    the key terms (``late_terms``, else ``ev_terms``) within ``late_days`` (``news_only``: the
    time-window clauses, and a near-identical title short of the same words, only between news
    records, ``f["news"]``)."""
    d = f["days"]
    unknown = np.isnan(d)
    news = (f["news"] > 0) if news_only and "news" in f else True
    near = (f["cos"] >= dup_sim) | (f["title"] >= np.where(news, dup_title, 1.0))
    out = near & (unknown | (d <= dup_days))
    if repost:
        out |= ((f["title"] >= 1.0) | (f.get("headline", 0.0) > 0)) & (f["cos"] >= repost_sim)
    if reissue_days:
        out |= (~unknown & (d <= reissue_days) & (f["title"] >= dup_title) & (f["cos"] >= reissue_sim)
                & (f.get("figures", 1.0) > 0))
    out |= news & ~unknown & (d <= days) & (f["cos"] >= sim)
    need = ev_sim if ev_sim_same is None else np.where(f["same_prov"] > 0, ev_sim_same, ev_sim)
    out |= news & ~unknown & (d <= ev_days) & (f["cos"] >= need) & (f["ent"] >= ev_terms)
    if retell_sim is not None:
        out |= news & ~unknown & (d <= retell_days) & (f["cos"] >= retell_sim) & (f["same_prov"] == 0)
    known = f.get("prov_known", 1.0) > 0           # both providers known
    if other_sim is not None:
        out |= news & ~unknown & (d <= other_days) & (f["cos"] >= other_sim) & (f["same_prov"] == 0) & known
    if late_sim is not None:
        terms = ev_terms if late_terms is None else late_terms
        out |= (news & ~unknown & (d <= late_days) & (f["cos"] >= late_sim) & (f["ent"] >= terms)
                & (f["same_prov"] == 0) & known)
    out &= ~(f.get("other_part", 0) > 0)    # the query's other parts of a series (0 between candidates: ranker_lab.Cands)
    return out | (f.get("url_same", 0) > 0)


def story_inputs(f) -> np.ndarray:
    """The inputs of the logistic same-story model (see relate.story)."""
    d = np.where(np.isnan(f["days"]), 30.0, f["days"])
    return np.stack([f["cos"], f["ent"], f["title"], np.log1p(np.minimum(d, 365.0)), f["same_prov"]], -1)


def rule_logistic(coef, intercept, threshold=0.5, max_days=14.0):
    """A logistic same-story model over :func:`story_inputs`, only within ``max_days``."""
    coef = np.asarray(coef, dtype=np.float64)

    def rule(f):
        z = story_inputs(f) @ coef + intercept
        p = 1.0 / (1.0 + np.exp(-z))
        d = f["days"]
        near = (d <= max_days) | np.isnan(d)
        same = (f["cos"] >= 0.95) | (f["title"] >= 0.8)
        return ((p >= threshold) & near) | (same & near) | (f.get("url_same", 0) > 0)
    return rule


#: :func:`rule_evidence`'s thresholds that make it relate.story's rule with the RankConfig defaults.
SHIPPED = dict(sim=0.6, days=3.0, ev_sim=0.6, ev_terms=0.4, ev_sim_same=0.75, ev_days=7.0, retell_sim=0.8,
               other_sim=0.55, other_days=1.0, late_sim=0.85, late_days=14.0)


def rule_new(f):
    """The new default same-story rule (relate.story with the RankConfig defaults)."""
    return rule_evidence(f, **SHIPPED)


def rule_twelfth(f):
    """The default rule until issue 10's thirteenth round: without other outlets' same-day reports."""
    return rule_evidence(f, **{**SHIPPED, "other_sim": None, "late_sim": None})


def rule_fourteenth(f):
    """The default rule until issue 10's fifteenth round: without other outlets' write-ups within two weeks."""
    return rule_evidence(f, **{**SHIPPED, "late_sim": None})


def rule_round2(f):
    """The rule of issue 10's second round: its time-window clauses between records of any type."""
    return rule_evidence(f, ev_sim=0.6, ev_terms=0.4, ev_sim_same=0.75, ev_days=7.0, news_only=False)


def sub(f: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in f.items()}


def pr(flag: np.ndarray, dup: np.ndarray) -> tuple[float, float, int, int]:
    tp = int((flag & dup).sum())
    return (tp / flag.sum() if flag.sum() else float("nan")), tp / max(dup.sum(), 1), int(flag.sum()), tp
