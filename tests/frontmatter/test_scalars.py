"""frontmatter.scalars: the fast reader's one-line scalars against libyaml."""
from __future__ import annotations

import math
import re

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from relate.frontmatter import scalars as S

# The fast reader's pieces against libyaml, on odd plain and double-quoted scalars.


_PLAIN_ALPHABET = st.sampled_from(list("ab :#-?,.[]{}&*!|>'\"%@`\t\\/=<~0123456789eE+xXoO_TtZz")
                                  + ["\u00a0", "é", "😀", "\x85", "\u2028"])


_DQ_PARTS = st.sampled_from(["a", '"', "\\", "\\\\", '\\"', "\\n", "\\t", "\\\t", "\\x41", "\\x4", "\\u00e9",
                             "\\ud800", "\\U0001F600", "\\U00110000", "\\N", "\\_", "\\L", "\\P", "\\/",
                             "\\ ", "\\q", "\\0", "\t", " ", "é", "😀", "\x85", "\u2028", "#", ": "])


def _libyaml(value_text: str):
    try:
        return yaml.load("a: " + value_text + "\n", Loader=yaml.CSafeLoader)["a"]
    except (yaml.YAMLError, ValueError) as exc:
        return exc


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_PLAIN_ALPHABET, min_size=1, max_size=10).map("".join),
                 st.sampled_from(["1:30", "0o17", "0x1F", "+1", "1_000", "yes", "No", "~", ".5", "1e5",
                                  "1.0e+5", "-.INF", "2002-12-14", "2020-1-1t1:2:3z", "190:20:30.15"])))
@example("0b_")
@example("-0x_")   # an int to YAML 1.1 with no digits: libyaml's constructor fails, relate keeps the text
def test_plain_scalars_read_like_libyaml(s):
    if re.fullmatch(S.PLAIN_PATTERN, s):
        ref = _libyaml(s)
        try:
            got = S.plain_value(s)
        except S.NotFast:
            assert isinstance(ref, Exception)
            return
        if not isinstance(ref, Exception):
            assert type(got) is type(ref) and (got == ref or math.isnan(got))
    if S.plain_safe(s):
        assert _libyaml(s) == s and yaml.safe_load("a: " + s) == {"a": s}


@settings(max_examples=400, deadline=None)
@given(st.lists(_DQ_PARTS, max_size=8).map(lambda parts: '"' + "".join(parts) + '"'))
def test_double_quoted_scalars_read_like_libyaml(s):
    if not re.fullmatch(S.DQ_PATTERN, s):
        return
    ref = _libyaml(s)
    try:
        got = S.dq_value(s)
    except S.NotFast:
        assert isinstance(ref, Exception)
        return
    assert got == ref
