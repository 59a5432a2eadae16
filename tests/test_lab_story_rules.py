"""The ranker lab's vectorised story rule (benchmarks/story_rules.py) is relate.story's rule.

Every figure in docs/ranking.md about the story rule comes from the lab's twin; this keeps the
two equal on a grid around every threshold of the shipped defaults.
"""
from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np

from relate.config import RankConfig
from relate.story import same_story

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import story_rules  # noqa: E402


def test_lab_rule_is_the_shipped_rule_around_every_threshold():
    cfg = RankConfig()
    grid = list(itertools.product(
        (0.5, 0.54, 0.55, 0.6, 0.65, 0.7, 0.74, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0),  # cosine
        (0.0, 0.5, 0.8, 1.0),                                                # title-word overlap
        (math.nan, 0.5, 1.0, 1.5, 2.5, 3.0, 3.5, 6.9, 7.0, 8.0, 14.0, 14.5, 20.0, 45.0, 50.0),  # days apart
        (0.0, 0.39, 0.4, 0.8),                                               # key-term overlap
        (False, True, None), (False, True), (False, True), (False, True),   # one provider (None: unknown), figures, news, headline
        (False, True)))                                                      # other parts of a series
    cos, title, days, terms, figures, news, headline, part = (np.array(v, dtype=np.float64) for i, v in
                                                               enumerate(zip(*grid)) if i != 4)
    prov = np.array([g[4] is True for g in grid], dtype=np.float64)
    known = np.array([g[4] is not None for g in grid], dtype=np.float64)
    f = {"cos": cos, "title": title, "days": days, "ent": terms, "same_prov": prov, "prov_known": known,
         "figures": figures, "news": news, "headline": headline, "other_part": part, "url_same": np.zeros(len(grid))}
    lab = story_rules.rule_new(f)
    shipped = np.array([same_story(c, t, d, cfg, terms=e, same_provider=p, figures=bool(g), news=bool(n),
                                   headline=bool(h), other_part=bool(o))
                        for c, t, d, e, p, g, n, h, o in grid])
    assert shipped.any() and not shipped.all()
    wrong = [grid[i] for i in np.nonzero(lab != shipped)[0]]
    assert not wrong, f"{len(wrong)} pairs differ, e.g. {wrong[:3]}"
