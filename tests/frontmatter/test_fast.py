"""frontmatter.fast: the fast reader gives what YAML gives, and steps aside outside the seed's layout."""
from __future__ import annotations

import pytest
import yaml
from _helpers_articles import SEED

from relate import corpus as C
from relate import frontmatter as F
from relate import records as R
from relate.frontmatter.fast import parse_fast, related_line_start


@pytest.mark.parametrize("text", [
    # related: inside a multi-line quoted scalar is not the block
    'title: "T\nrelated:\n  - title: \\"x\\""\nwebUrl: "u"\n',
    "title: 'T\nrelated:\n  - title: \"x\"\n    webUrl: \"y\"\n'\nwebUrl: \"u\"\n",
    # block scalar with kept trailing lines right before the block
    'title: "T"\nwebUrl: "u"\nnote: |+\n  a\n\nrelated:\n  - title: "x"\n    webUrl: "y"\n\nsecured: "s"\n',
    # plain values, comments and odd spacing in the block
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: x\n    webUrl: "y"\n    quality: 0x1A\n  # c\n\n# d\nz: 1\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x"\n    webUrl: "a\\x41\\u00e9\\N\\_\\/"\n    type: 1:30\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x\u0085y"\n    webUrl: "y"\n',
    'title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x"\n    webUrl: "y"\n    provider:\n    quality: ~\n',
    ('title: "T"\nwebUrl: "u"\nrelated:\n  - title: "x"\n    webUrl: "y"\n    images:\n      - url: "i"\n'
     '        title: "t"\n      - url: "j"\n        isCached: no\n'),
    'related:\n  - title: "x"\n    webUrl: "y"\ntitle: "T"\nwebUrl: "u"\n',
    '"related":\n  - title: "x"\n    webUrl: "y"\ntitle: "T"\nwebUrl: "u"\n',
])
def test_fast_reader_agrees_with_yaml(text):
    a = C.parse_article("---\n" + text + "---\n")
    ref = yaml.safe_load(text)
    related = ref.pop("related", None)
    assert a.title == ref["title"]
    assert a.related == [dict(e, **({"publishedDateTime": R.norm_entry_time(e["publishedDateTime"])}
                                    if "publishedDateTime" in e else {})) for e in related or []] or (
        related is None and a.related is None)
    assert {k: v for k, v in a.extra.items()} == {k: v for k, v in ref.items() if k not in (
        "title", "webUrl", "quality")}


def test_quoted_lookalike_blocks_take_the_yaml_path():
    inside_scalar = "title: 'T\nrelated:\n  - title: \"x\"\n    webUrl: \"y\"\n'\nwebUrl: \"u\"\n"
    assert parse_fast(inside_scalar, True) is None
    assert F.parse(f"---\n{inside_scalar}---\n".encode()).reader == "yaml"
    seed_layout = C.read_article(SEED)
    text = SEED.read_text().split("---\n")[1]
    fast = parse_fast(text, True)
    assert fast is not None and fast.related == seed_layout.related
    fm = F.parse(SEED.read_bytes())
    assert fm.reader == "fast" and fm.related == seed_layout.related


def test_fast_reader_result_and_block():
    text = 'title: "T"\nrelated:\n  - title: "A"\n    webUrl: "https://a.com/1"\n\nsecured: "s"\n'
    r = parse_fast(text, True)
    assert r.data == {"title": "T", "secured": "s"} and r.related_urls == ["https://a.com/1"]
    assert text[r.block.start:r.block.end] == 'related:\n  - title: "A"\n    webUrl: "https://a.com/1"\n'
    assert (r.cut_line, r.cut_lines) == (1, 4)
    urls_only = parse_fast(text, False)
    assert urls_only.related is None and urls_only.related_urls == ["https://a.com/1"]


@pytest.mark.parametrize("text", [
    'title: "T"\n',                                                  # no related line at all
    'title: "T"\nrelated: [{webUrl: "x"}]\n',                        # flow style
    'title: "T"\nrelated:\n- title: "x"\n  webUrl: "y"\n',          # compact (no indent)
    'title: "T"\nrelated:\n  - webUrl: "y"\n    title: "x"\n',      # fields out of the seed's order
    'title: "T"\nrelated:\n  - title: "x"\n    webUrl: "y"\n    quality: =\n',  # a scalar left to YAML
    'a: [1,\nrelated:\n  - title: "x"\n    webUrl: "y"\n]\n',        # inside a flow collection
])
def test_fast_reader_steps_aside(text):
    assert parse_fast(text, True) is None


def test_related_line_start():
    assert related_line_start("related: []\n") == 0
    assert related_line_start('title: "related: x"\nrelated:\n') == 20
    assert related_line_start(" related:\n") == -1
