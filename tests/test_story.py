"""The same-story rule: hand-worked cases, and on real records (issue 10).

The slow tests run the shipped defaults on the real corpora: no judged repeat of the dev set
may reach the top 5 of a dev query's list, and no powerapps list may hold one item twice (one
address twice) nor two copies of one video (near-identical title and text from one channel).
Set RELATE_TEST_AZURE_WORKSPACE / RELATE_TEST_POWERAPPS_WORKSPACE to reuse built workspaces.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from relate.config import RankConfig
from relate.story import same_story

NAN = float("nan")


@pytest.fixture
def cfg():
    return RankConfig()   # the shipped defaults


def test_near_identical_within_dup_days_or_undated(cfg):
    assert same_story(0.96, 0.1, 10.0, cfg)          # syndicated copy, 10 days later
    assert same_story(0.50, 0.85, 3.0, cfg)          # same headline, rewritten text
    assert same_story(0.96, 0.1, NAN, cfg)           # a date unknown
    assert not same_story(0.99, 0.6, 30.0, cfg)      # next month's "updates" post


def test_a_repost_is_the_same_item_at_any_date(cfg):
    assert same_story(0.99, 1.0, 120.0, cfg)         # same title words, near-identical text
    assert same_story(0.85, 1.0, 25.0, cfg)          # a press release re-posted weeks later, excerpt rewritten
    assert not same_story(0.75, 1.0, 120.0, cfg)     # same title, another text: another post
    assert not same_story(0.9, 0.8, 120.0, cfg)      # next month's post changes a word of the title


def test_a_repost_with_a_typo_fixed_is_the_same_item(cfg):
    """A headline re-posted with a typo made or fixed is one headline (azure: "Open source API
    portal now generally availabile", 54 days after "... available"; "dPublic preview: Event Grid
    integration with AKS", 91 days after "Public preview: ..."); other edits are not."""
    from relate.story import same_headline
    from relate.words import title_tokens

    def one(a, b):
        return same_headline(title_tokens(a), title_tokens(b))

    assert one("Open source API Portal now generally available", "Open source API portal now generally availabile")
    assert one("Public preview: Event Grid integration with AKS", "dPublic preview: Event Grid integration with AKS")
    assert one("Azure Monitor alerts", "Azure Monitor alerts") and not one("", "")
    assert not one("Azure Sphere OS update 20.07", "Azure Sphere OS update 20.08")   # figures exact
    assert not one("Azure updates: week 12", "Azure updates: week 13")
    assert not one("Teams adds rooms", "Teams adds room")                           # short words exact
    assert not one("Azure Defender for Storage is now available", "Azure Defender for Servers is now available")
    assert not one("Azure Stack Hub preview", "Azure Stack Hub reviews")              # two letters apart
    assert not one("Power Apps: April recap", "Power Apps: March recap")
    assert same_story(0.87, 0.71, 54.0, cfg, headline=True)
    assert not same_story(0.87, 0.71, 54.0, cfg)                 # word overlap alone: another post
    assert not same_story(0.75, 0.71, 54.0, cfg, headline=True)  # one headline, another text


def test_title_words_part_at_dashes_and_month_names_date_a_title(cfg):
    """A dash parts two words, as a space does: "Azure Cache for Redis—Enterprise features coming
    soon" and "Redis Enterprise features on Azure Cache for Redis coming soon" (azure, one
    announcement) have the same words; before, "redisenterprise" kept them apart. Month names
    count as figures, so monthly posts whose titles differ only in the month ("… features—June
    2021", "… July 2021", 30 days apart) stay two posts."""
    from relate.story import same_figures
    from relate.words import jaccard, title_tokens

    a = title_tokens("Azure Cache for Redis—Enterprise features coming soon")
    assert a == title_tokens("Redis Enterprise features on Azure Cache for Redis coming soon")
    assert {"software", "part"} <= title_tokens("Advancing global network reliability through intelligent software—part 1 of 2")
    assert title_tokens("The Essential Starter’s Guide") == title_tokens("The Essential Starters Guide")   # as before
    june = title_tokens("General availability: Azure IoT Central new and updated features—June 2021")
    july = title_tokens("General availability: Azure IoT Central new and updated features—July 2021")
    assert jaccard(june, july) >= cfg.dup_title and not same_figures(june, july)
    assert not same_story(0.9, jaccard(june, july), 30.0, cfg, figures=same_figures(june, july))
    assert same_figures(title_tokens("Notice effective September 2020"), title_tokens("Notice effective September 15, 2020"))


def test_two_parts_of_a_series_are_two_items(cfg):
    """Titles that name different parts of a series are never one story, whatever else the clauses
    see: azure's "Minecraft Earth and Azure Cosmos DB part 1: …" and "… part 2: …" (one day,
    cosine 0.94), powerapps' "Excel Data To Multiple PDFs … - Part 1/2" and "… Part 2/2" (one
    excerpt, cosine 1.00). The same part, or a title that names none, leaves the rule as it was."""
    from relate.story import other_parts
    from relate.words import series_parts, title_tokens

    def parts(title):
        return sorted(series_parts(title_tokens(title)))

    assert parts("Minecraft Earth and Azure Cosmos DB part 1: Extending Minecraft into our real world") == ["part:1"]
    assert parts("Advancing global network reliability through intelligent software—part 2 of 2") == ["part:2"]
    assert parts("Excel Data To Multiple PDFs (No PowerApps Premium, Free!) - Part 2/2") == ["part:2"]
    assert parts("Create a Text Classification model using AI Builder – Power Platform AI Builder Series – Part Three") \
        == ["part:3"]
    assert parts("Design Patterns from Mr. Dang (Part 1)") == parts("Canvas App Troubleshooting  Part I") == ["part:1"]
    assert parts("Microsoft Azure Monthly Update: June 2021, Episode 5") == ["part:5"]
    assert parts("Stairway to Microsoft Azure SQL Database Part 3 : Purchase Models") == ["part:3"]
    assert parts("Security is part of the plan") == parts("Lessons learned in 2020") == parts("Counterpart 2") == []
    one = title_tokens("Excel Data To Multiple PDFs (No PowerApps Premium, Free!) - Part 1/2")
    two = title_tokens("Excel Data To Multiple PDFs (No PowerApps Premium, Free!) - Part 2/2")
    assert other_parts(one, two) and not other_parts(one, one)
    assert not other_parts(one, title_tokens("Excel Data To Multiple PDFs (No PowerApps Premium, Free!)"))
    assert same_story(1.0, 0.91, 0.0, cfg) and not same_story(1.0, 0.91, 0.0, cfg, other_part=True)
    assert not same_story(0.94, 0.38, 0.0, cfg, other_part=True)       # the time clause: two parts of one day


def test_a_near_identical_title_alone_is_one_story_between_news_only(cfg):
    """A catalogue names its modules alike: "Explore Power Apps portals" and "Explore Power Apps
    portals Studio" (powerapps, Microsoft Learn, undated, cosine 0.71) share 4 of 5 title words,
    so the near-identical clause called them one item. Between records that are not news it now
    wants near-identical texts or the same title words; an article's copy under a near-identical
    headline is still one."""
    from relate.words import jaccard, title_tokens

    overlap = jaccard(title_tokens("Explore Power Apps portals Studio"), title_tokens("Explore Power Apps portals"))
    assert overlap >= cfg.dup_title
    assert same_story(0.71, overlap, NAN, cfg)                       # two articles: one story, as before
    assert not same_story(0.71, overlap, NAN, cfg, news=False)       # two modules
    assert same_story(0.96, overlap, NAN, cfg, news=False)           # near-identical texts: one item
    assert same_story(0.71, 1.0, NAN, cfg, news=False)               # one name: "Introduction to Power Apps portals"
    assert same_story(0.85, 1.0, 5.0, cfg, news=False)               # one video uploaded twice (re-post)
    assert same_story(0.90, 0.9, 5.0, cfg, figures=True, news=False)  # ... with its title edited (re-issue)
    assert not same_story(0.78, 0.8, 0.2, cfg, news=False) and same_story(0.78, 0.8, 0.2, cfg)


def test_a_release_announced_again_with_an_edited_headline(cfg):
    from relate.story import same_figures

    assert same_story(0.96, 0.86, 15.0, cfg, figures=True)        # "Pure Storage brings cloud block storage ..."
    assert not same_story(0.96, 0.86, 15.0, cfg)                  # figures not known: no re-issue
    assert not same_story(0.96, 0.86, 50.0, cfg, figures=True)    # past reissue_days
    assert not same_story(0.80, 0.86, 15.0, cfg, figures=True)    # texts not alike enough
    assert not same_story(0.97, 0.80, 29.0, cfg, figures=False)   # "Azure Sphere OS update 20.07" / "20.08"
    assert not same_figures(frozenset({"update", "20", "07"}), frozenset({"update", "20", "08"}))
    assert same_figures(frozenset({"september", "2020"}), frozenset({"september", "15", "2020"}))


def test_close_in_time_and_similar(cfg):
    assert same_story(0.61, 0.1, 2.5, cfg)           # story_similarity 0.6, story_days 3
    assert not same_story(0.59, 0.1, 2.5, cfg)
    assert not same_story(0.70, 0.1, 3.5, cfg, terms=0.0)


def test_another_outlet_retelling_within_a_week(cfg):
    assert same_story(0.85, 0.2, 6.0, cfg)                       # retell_similarity 0.8, retell_days 7
    assert not same_story(0.85, 0.2, 6.0, cfg, same_provider=True)   # one provider's two posts
    assert not same_story(0.85, 0.2, 8.0, cfg)
    assert not same_story(0.78, 0.2, 6.0, cfg)


def test_another_outlets_write_up_within_two_weeks_sharing_the_key_terms(cfg):
    """A trade outlet writes an announcement up a week or two later (issue 10, fifteenth round)."""
    assert same_story(0.86, 0.2, 10.0, cfg, terms=0.5)               # late_retell_similarity 0.85, days 14
    assert same_story(0.86, 0.2, 14.0, cfg, terms=0.4)               # story_terms 0.4
    assert not same_story(0.86, 0.2, 14.5, cfg, terms=0.9)
    assert not same_story(0.84, 0.2, 10.0, cfg, terms=0.9)
    assert not same_story(0.86, 0.2, 10.0, cfg, terms=0.3)           # few of the story's names: another story
    assert not same_story(0.86, 0.2, 10.0, cfg, terms=0.9, same_provider=True)   # one provider's follow-up
    assert not same_story(0.86, 0.2, 10.0, cfg, terms=0.9, same_provider=None)   # a provider unknown
    assert not same_story(0.86, 0.2, 10.0, cfg, terms=0.9, news=False)


@pytest.mark.slow
@pytest.mark.model
def test_a_trade_outlets_write_up_a_week_or_two_later_is_not_shown_under_the_announcement(azure_engine):
    """InfoQ writes up Microsoft's announcements a week or two after them, and other outlets re-tell a
    partner's launch as late: the fourteenth round's lists showed these under the announcement
    (cosine 0.85 to 0.93, 8 to 14 days apart, the same names); each pair is one story now, under
    either of the two."""
    engine = azure_engine

    def one(title, domain):
        found = [r for r in engine._rows if r.title.strip() == title and r.provider_domain == domain]
        assert len(found) == 1, title
        return found[0]

    def shown(article):
        return {e["webUrl"] for e in engine.suggest(article, k=5)}

    pairs = [(("Azure Firewall Premium now in preview", "microsoft.com"),                  # 10 days apart
              ("Microsoft Releases Azure Firewall Premium in Public Preview", "infoq.com")),
             (("Tamr on Azure Provides Flexible Approach to Data Mastering", "dbta.com"),   # 9 days
              ("Tamr Data Mastering Platform Now Available on Microsoft Azure", "benzinga.com")),
             (("Microsoft Introduces Azure Health Bot", "infoq.com"),                      # 13 days
              ("Microsoft launches Azure Health Bot", "itpro.co.uk"))]
    for first, second in pairs:
        a, b = one(*first), one(*second)
        assert b.url not in shown(a) and a.url not in shown(b), (first, second)


def test_other_outlets_reports_of_one_day_are_one_story(cfg):
    """Outlets report one event the day it happens in their own words (issue 10, thirteenth round)."""
    assert same_story(0.56, 0.1, 0.5, cfg)                      # other_outlet_similarity 0.55, other_outlet_days 1
    assert same_story(0.56, 0.1, 1.0, cfg)
    assert not same_story(0.56, 0.1, 0.5, cfg, same_provider=True)   # a vendor announces several things at once
    assert not same_story(0.56, 0.1, 0.5, cfg, same_provider=None)   # a provider unknown: not known to be another
    assert same_story(0.85, 0.2, 6.0, cfg, same_provider=None)       # (the re-telling clause reads it as another)
    assert not same_story(0.56, 0.1, 1.5, cfg)
    assert not same_story(0.54, 0.1, 0.5, cfg)
    assert not same_story(0.56, 0.1, 0.5, cfg, news=False)      # two videos of one day are a series
    assert not same_story(0.56, 0.1, NAN, cfg)


def test_time_clauses_are_for_news_only(cfg):
    """Two videos of one channel uploaded the same day are two parts of a series (issue 10);
    the title clauses still catch one video uploaded twice."""
    from relate.story import is_news

    assert same_story(0.70, 0.2, 0.0, cfg) and not same_story(0.70, 0.2, 0.0, cfg, news=False)
    assert not same_story(0.85, 0.3, 1.0, cfg, terms=0.9, news=False)
    assert same_story(0.97, 0.9, 0.0, cfg, news=False)                # near-identical
    assert same_story(0.85, 1.0, 90.0, cfg, news=False)               # re-posted
    assert is_news("article", cfg) and is_news("", cfg) and not is_news("video", cfg)
    assert is_news("course", RankConfig(story_types=["article", "Course"]))


def test_key_terms_extend_the_window_to_a_week(cfg):
    # another outlet re-telling the event three days later, with its names and figures
    assert same_story(0.68, 0.2, 3.5, cfg, terms=0.41)
    assert not same_story(0.68, 0.2, 3.5, cfg, terms=0.39)       # below story_terms
    assert not same_story(0.59, 0.2, 3.5, cfg, terms=0.9)        # below story_evidence_similarity
    assert not same_story(0.68, 0.2, 7.5, cfg, terms=0.9)        # past story_evidence_days
    assert not same_story(0.68, 0.2, NAN, cfg, terms=0.9)        # no date: only near-identical counts


def test_one_providers_own_posts_need_closer_texts(cfg):
    # the provider's posts about one product family share every name
    assert not same_story(0.70, 0.2, 3.5, cfg, terms=0.8, same_provider=True)
    assert same_story(0.79, 0.3, 6.4, cfg, terms=0.46, same_provider=True)


def test_rank_is_same_story_is_the_story_rule(cfg):
    from relate.rank import is_same_story

    for args in [(0.7, 0.1, 1.0), (0.68, 0.2, 3.5), (0.99, 1.0, 200.0), (0.5, 0.1, NAN)]:
        assert is_same_story(*args, cfg, 0.5) == same_story(*args, cfg, 0.5)


# ------------------------------------------------------------------ real records
def _days(a, b):
    if a.published_at is None or b.published_at is None:
        return math.nan
    return abs((a.published_at - b.published_at).total_seconds()) / 86400.0


@pytest.mark.slow
@pytest.mark.model
def test_no_judged_repeat_reaches_the_top_5(azure_engine, judgments_file):
    from relate.evaluation import Judgments

    engine = azure_engine
    judgments = Judgments.from_file(judgments_file)
    by_url = {a.url: a for a in engine.articles.values()}
    queries = [by_url[q] for q in judgments.queries if q in by_url]
    assert len(queries) == len(judgments.queries)
    lists = engine.suggest_many(queries, k=5)
    leaked = [(q.title, e["title"]) for q in queries for e in lists[q.id]
              if judgments.is_dup(q.url, e.get("webUrl", ""))]
    assert not leaked, f"judged repeats shown: {leaked}"
    assert all(lists[q.id] for q in queries)


@pytest.mark.slow
@pytest.mark.model
def test_no_azure_list_shows_one_headline_twice(azure_engine):
    """No list repeats its article's headline, or one headline twice: the same title words (or
    the same but for a typo) and texts alike (cosine >= 0.8), at any date, or near-identical
    titles with the same figures and texts closely alike (>= 0.85) within 45 days. The re-post
    and re-issue clauses that ensure it changed 50 and 54 of the 4,943 azure lists: press
    releases re-posted weeks later ("Synopsys, TSMC and Microsoft Azure Deliver ..." 25 days
    apart), "Pure Storage brings cloud block storage ..." twice; forgiving typos, a few more
    ("Open source API portal now generally availabile", 54 days after "... available")."""
    from relate.story import same_figures, same_headline
    from relate.words import jaccard, title_tokens

    engine = azure_engine
    rows, vectors = engine._rows, engine.vectors
    repeats = []
    for aid, picks in engine.rank_many(k=5):
        shown = [engine._row_of[aid]] + [p.row for p in picks]
        for i in range(1, len(shown)):
            for j in range(i):
                a, b = rows[shown[i]], rows[shown[j]]
                ta, tb = title_tokens(a.title), title_tokens(b.title)
                sim = float(vectors[shown[i]] @ vectors[shown[j]])
                if same_headline(ta, tb) and sim >= 0.8:
                    repeats.append((a.title, b.title, "headline"))
                elif (jaccard(ta, tb) >= 0.8 and same_figures(ta, tb) and sim >= 0.85
                      and _days(a, b) <= 45):
                    repeats.append((a.title, b.title, "edited headline"))
    assert not repeats, f"{len(repeats)} repeated headlines, e.g. {repeats[:3]}"


def _norm_title(t):
    return re.sub(r"\W+", " ", (t or "").lower()).strip()


@pytest.mark.slow
@pytest.mark.model
def test_no_powerapps_list_holds_one_item_twice(powerapps_engine, azure_dir):
    from relate.corpus import read_corpus
    from relate.words import jaccard, title_tokens

    corpus = read_corpus(azure_dir.parent / "powerapps")
    engine = powerapps_engine
    # one video under two files: the second file's record is skipped as the same originalUrl
    twice = [s for s in corpus.skipped if "same id" in str(s)]
    assert twice, "expected the corpus's duplicated videos to be reported"
    rows = engine._rows
    lists = {aid: [p.row for p in picks] for aid, picks in engine.rank_many(k=5)}
    bad = []
    for aid, shown in lists.items():
        for i in range(len(shown)):
            for j in range(i):
                a, b = rows[shown[i]], rows[shown[j]]
                urls_a = {a.web_url, a.original_url} - {None}
                urls_b = {b.web_url, b.original_url} - {None}
                if a.id == b.id or urls_a & urls_b:
                    bad.append((aid, a.title, b.title, "same address"))
                    continue
                if a.type != "video" or b.type != "video":
                    continue   # two posts of one blog may share a headline ("... named a Leader in 2023 ...")
                same_channel = (a.provider_name or "") == (b.provider_name or "")
                sim = float(engine.vectors[shown[i]] @ engine.vectors[shown[j]])
                near_title = (_norm_title(a.title) == _norm_title(b.title)
                              or jaccard(title_tokens(a.title), title_tokens(b.title)) >= 0.8)
                if same_channel and near_title and sim >= 0.9:
                    bad.append((aid, a.title, b.title, f"same channel, near-identical title, cos {sim:.2f}"))
    assert not bad, f"{len(bad)} lists show one item twice, e.g. {bad[:3]}"
    assert np.mean([len(v) for v in lists.values()]) > 4.5


EDITOR_JUDGMENTS = Path(__file__).resolve().parents[1] / "benchmarks" / "judgments"


@pytest.mark.slow
@pytest.mark.model
def test_series_parts_are_shown_and_score_on_the_powerapps_judgments(powerapps_engine):
    """A channel's videos or a course's modules published on one day are parts of a series, not
    one story: the story rule's time clauses apply between articles only (``story_types``). On
    the powerapps judgments read by an editor (benchmarks/judgments/powerapps.jsonl, 60 queries)
    the shipped lists score above the same ranker with the time clauses between any two records
    (issue 10's second round: 0.625 against 0.650 in ``benchmarks/tune_ranker.py``), and show
    no more judged repeats."""
    from relate.evaluation import Judgments, judged_metrics, relate_lists

    engine = powerapps_engine
    judgments = Judgments.from_file(EDITOR_JUDGMENTS / "powerapps.jsonl")
    by_url = {a.url: a for a in engine._rows}
    queries = [by_url[q] for q in judgments.queries]
    assert len(queries) == 60
    every_type = sorted({a.type for a in engine._rows if a.type})
    assert len(every_type) >= 4                                   # articles, videos, courses, samples ...
    ours = judged_metrics(relate_lists(engine, queries, k=5), judgments)
    before = judged_metrics(relate_lists(engine, queries, k=5, story_types=every_type), judgments)
    assert np.mean(list(ours["ndcg"].values())) > np.mean(list(before["ndcg"].values())) + 0.01
    assert np.mean(list(ours["dup_rate"].values())) <= np.mean(list(before["dup_rate"].values()))
    assert np.mean(list(ours["judged"].values())) > 0.95          # the lists are the judged ones
    # the Meeting Capture sample's videos, uploaded within seconds of each other: each shows the others
    capture = [a for a in engine._rows if a.type == "video" and "Meeting Capture" in a.title]
    assert len(capture) >= 3
    for video in capture:
        shown = {engine._rows[p.row].title for p in dict(engine.rank_many([video], k=5))[video.id]}
        assert len(shown & {a.title for a in capture if a is not video}) >= 2, (video.title, shown)


@pytest.mark.slow
@pytest.mark.model
def test_a_new_part_not_yet_indexed_lists_the_parts_before_it(azure_engine):
    """``suggest`` for an article the index does not hold yet: a third part of the Minecraft series,
    posted the day of parts 1 and 2 and told in part 2's words (cosine near 1 to it), lists parts
    1 and 2, though the clauses call each of them its story, and call those two one story (one
    day, cosine 0.94); the same text under part 2's own title is part 2 again, not shown, and
    lists part 1."""
    engine = azure_engine
    one, two = ([r for r in engine._rows if r.title.startswith(t)][0] for t in SERIES["azure"][0])
    new = {"title": "Minecraft Earth and Azure Cosmos DB part 3: What we learned", "excerpt": two.excerpt,
           "webUrl": "https://example.com/minecraft-earth-part-3", "publishedDateTime": two.published_at.isoformat(),
           "type": "article", "provider": {"name": "Microsoft", "domain": "azure.microsoft.com"}}
    shown = {e["webUrl"] for e in engine.suggest(new, k=5)}
    assert {one.web_url, two.web_url} <= shown
    again = {e["webUrl"] for e in engine.suggest({**new, "title": two.title}, k=5)}
    assert one.web_url in again and two.web_url not in again


#: A Microsoft Learn module (or collection) and another one named alike, undated: the near-identical
#: clause called them one item by their titles until issue 10's eleventh round.
MODULES = [("Work with data in a Power Apps canvas app", "Work with external data in a Power Apps canvas app"),
           ("Author a basic formula to change properties in a Power Apps canvas app",
            "Author a basic formula to change behaviors in a Power Apps canvas app")]


@pytest.mark.slow
@pytest.mark.model
def test_modules_named_alike_are_two_items(powerapps_engine):
    """A learning path's modules are named alike, and so are a collection and its modules; with
    texts that differ (cosine 0.78 to 0.88) each lists the other, where the near-identical clause
    called them one item by their titles."""
    engine = powerapps_engine
    for first, second in MODULES:
        a, b = ([r for r in engine._rows if r.title == t] for t in (first, second))
        assert len(a) == len(b) == 1 and a[0].published_at is None is b[0].published_at, (first, second)
        shown = {engine._rows[p.row].id for p in dict(engine.rank_many(a, k=5))[a[0].id]}
        assert b[0].id in shown, (first, second)


#: Two parts of one series each, that the story rule called one story before issue 10's eleventh
#: round (benchmarks/eleventh_round.py): near-identical texts, or one day's posts.
SERIES = {
    "azure": [("Minecraft Earth and Azure Cosmos DB part 1", "Minecraft Earth and Azure Cosmos DB part 2"),
              ("Office Licensing Service and Azure Cosmos DB part 1", "Office Licensing Service and Azure Cosmos DB part 2"),
              ("Azure.com operates on Azure part 1", "How Azure.com operates on Azure part 2"),
              ("Advancing global network reliability through intelligent software—part 1 of 2",
               "Advancing global network reliability through intelligent software—part 2 of 2")],
    "powerapps": [("Excel Data To Multiple PDFs (No PowerApps Premium, Free!) - Part 1/2",
                   "Excel Data To Multiple PDFs (No PowerApps Premium, Free!) - Part 2/2"),
                  ("Create a Text Classification model using AI Builder", "Train, Publish and Test Text Classification AI Model")],
}


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("corpus", sorted(SERIES))
def test_each_part_of_a_series_lists_the_other(corpus, request):
    """A reader of part 1 wants part 2 (the rubric's direct follow-up): each part's list shows
    the other part, though their texts are near-identical (one excerpt for the series) or they
    were posted on one day. Before the eleventh round each list left the other part out as its
    own story. Under another article, two parts with one excerpt would read as one item twice:
    such a list shows one of them."""
    engine = request.getfixturevalue(f"{corpus}_engine")

    def shown(article):
        return {engine._rows[p.row].id for p in dict(engine.rank_many([article], k=5))[article.id]}

    def one(title):
        found = [r for r in engine._rows if r.title.startswith(title)]
        assert len(found) == 1, title
        return found[0]

    for first, second in SERIES[corpus]:
        a, b = one(first), one(second)
        assert b.id in shown(a), (first, second)
        assert a.id in shown(b), (second, first)
    if corpus == "azure":
        parts = {one(t).id for t in SERIES["azure"][3]}            # one excerpt, cosine 1.00
        other = one("Advancing in-datacenter critical environment infrastructure")
        assert len(shown(other) & parts) == 1


@pytest.mark.slow
@pytest.mark.model
def test_repeats_on_azure_queries_the_rule_was_not_tuned_on(azure_engine):
    """On the 40 azure queries read for issue 10 (benchmarks/judgments/azure-extra.jsonl: 83
    judged repeats) the second round's rule showed 5.0 % repeats in the top 5 (the held-out set
    showed twice the dev set's repeats); the shipped rule catches other outlets' re-tellings
    within three days, or within a week when nearly identical, or the same day, and shows less than
    half as many."""
    from relate.evaluation import Judgments, judged_metrics, relate_lists

    engine = azure_engine
    judgments = Judgments.from_file(EDITOR_JUDGMENTS / "azure-extra.jsonl")
    by_url = {a.url: a for a in engine._rows}
    queries = [by_url[q] for q in judgments.queries]
    assert len(queries) == 40

    def repeats(**options):
        got = judged_metrics(relate_lists(engine, queries, k=5, **options), judgments)
        return float(np.mean(list(got["dup_rate"].values())))
    shipped = repeats()
    second_round = repeats(story_days=2.0, story_similarity=0.65, retell_similarity=2.0, other_outlet_similarity=2.0)
    assert shipped <= 0.03 < second_round


@pytest.mark.slow
@pytest.mark.model
def test_no_judged_repeat_another_outlet_published_the_same_day_reaches_the_top_5(azure_engine):
    """Under "Amazon blasts the White House for a 'blatant attempt' to derail a probe …" (Business
    Insider) the twelfth round's lists showed "DoD: Pentagon okay in giving $10B 'war cloud' contract
    to Microsoft …", another outlet's report of the same watchdog finding, published 14 minutes
    apart (cosine 0.59, under the time clause's 0.6): judged a repeat in the azure extra set.
    Every such judged repeat (another provider, within a day) stays out of the top 5."""
    import relate
    from relate.evaluation import Judgments

    engine = azure_engine
    judgments = Judgments.from_file(EDITOR_JUDGMENTS / "azure-extra.jsonl")
    by_url = {a.url: a for a in engine._rows}
    queries = [by_url[q] for q in judgments.queries]
    lists = engine.suggest_many(queries, k=5)
    table = engine._table
    row = engine._row_of

    def same_day_other_outlet(q, url):
        a, b = row[q.id], row[relate.article_id(url)]
        return (table.provider_key[a] != table.provider_key[b]
                and abs(table.published[a] - table.published[b]) <= 86400)

    pairs = [(q, j.candidate) for q in queries for j in judgments
             if j.query == q.url and j.dup and same_day_other_outlet(q, j.candidate)]
    assert len(pairs) >= 3
    leaked = [(q.title, e["title"]) for q in queries for e in lists[q.id]
              if judgments.is_dup(q.url, e["webUrl"]) and same_day_other_outlet(q, e["webUrl"])]
    assert not leaked, f"judged same-day repeats shown: {leaked}"
