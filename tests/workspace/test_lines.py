"""A workspace's article lines read from its file when asked (FileLines) are the lines read_lines gives,
with the lines set or appended since, until the file is written again."""
from __future__ import annotations

import os
import random

import pytest

from relate.corpus import read_corpus
from relate.workspace import ARTICLES, FileLines, Spill, Workspace, article_lines


@pytest.fixture(scope="module")
def azure_lines(azure_dir):
    """The workspace line of each of 600 real azure records."""
    return article_lines(read_corpus(azure_dir).articles[:600])


def _workspace(tmp_path, lines):
    ws = Workspace(tmp_path / "ws", "test")
    ws.folder.mkdir(parents=True)
    ws.write_articles(lines)
    return ws


def test_file_lines_are_the_lines_read_lines_gives(tmp_path, azure_lines):
    ws = _workspace(tmp_path, azure_lines)
    # blank and whitespace-only lines (an ideographic space too) are skipped, a last line may lack its \n
    path = ws.path(ARTICLES)
    text = path.read_text(encoding="utf-8")
    path.write_text("\n" + text.replace("\n", "\n  \n", 3) + "\t\n\u3000\n" + azure_lines[5], encoding="utf-8")
    expected = ws.read_lines()
    assert len(expected) == len(azure_lines) + 1 and expected[:len(azure_lines)] == azure_lines

    lines = FileLines.open(path)
    assert len(lines) == len(expected) and list(lines) == expected
    rng = random.Random(4)
    rows = rng.sample(range(len(expected)), 100)
    assert [lines[r] for r in rows] == [expected[r] for r in rows]
    assert lines[-1] == expected[-1] and lines[10:20] == expected[10:20] and lines[::97] == expected[::97]
    with pytest.raises(IndexError):
        lines[len(expected)]
    assert ws.stored_lines()[:] == expected


def test_lines_set_or_appended_are_read_back_then_written_with_the_rest(tmp_path, azure_lines):
    ws = _workspace(tmp_path, azure_lines[:500])
    lines = ws.stored_lines()
    expected = list(azure_lines[:500])
    lines[3] = expected[3] = azure_lines[550]
    lines.extend(azure_lines[500:520])
    expected.extend(azure_lines[500:520])
    assert len(lines) == 520 and list(lines) == expected and lines[510] == azure_lines[510]
    assert lines[495:505] == expected[495:505]              # a slice across the file's end and the new lines

    ws.write_articles(lines)                    # what a save does: the file now holds every line
    lines.reread(ws.path(ARTICLES))
    assert not lines._set                       # nothing held in memory any more
    assert list(lines) == expected == ws.read_lines()
    with pytest.raises(ValueError, match="lines, but"):
        lines.reread(_workspace(tmp_path / "other", azure_lines[:7]).path(ARTICLES))
    assert list(lines) == expected                  # still readable after the refused reread


def test_lines_come_from_the_file_opened_even_after_it_is_replaced(tmp_path, azure_lines):
    ws = _workspace(tmp_path, azure_lines[:100])
    lines = ws.stored_lines()
    ws.write_articles(azure_lines[100:150])        # replaced atomically, as every workspace write is
    assert lines[:] == azure_lines[:100]
    assert ws.read_lines() == azure_lines[100:150]


def test_spilled_lines_are_read_back_from_a_file_that_has_no_name(tmp_path, azure_lines):
    lines = FileLines.spill(iter(azure_lines), tmp_path)
    assert list(lines) == azure_lines and lines[123] == azure_lines[123]
    assert os.listdir(tmp_path) == []           # nothing left behind, even while it is open
    lines.close()


def test_a_spill_gives_back_each_records_parts_in_any_order_from_a_nameless_file(tmp_path, azure_lines):
    """What a streamed run keeps of each record (its line and text) is written as it comes and read back
    by record, in the order asked, with gaps; nothing is left in the folder."""
    texts = [line[::-1] + "\nsecond line" for line in azure_lines]       # any text, newlines too
    spill = Spill(tmp_path, parts=2)
    assert [spill.add(line, text) for line, text in zip(azure_lines, texts)] == list(range(len(azure_lines)))
    assert len(spill) == len(azure_lines) and os.listdir(tmp_path) == []
    order = list(range(len(azure_lines)))
    random.Random(2).shuffle(order)
    asked = order[:300] + [-1] + order[300:350]
    lines, got = spill.column(asked, 0), spill.column(asked, 1)
    want_lines = [None if r < 0 else azure_lines[r] for r in asked]
    assert list(lines) == want_lines and lines[:] == want_lines and [lines[i] for i in (0, 300, 350)] == [
        want_lines[0], None, want_lines[350]]
    assert list(got) == [None if r < 0 else texts[r] for r in asked]
    present = got.present()
    assert list(present) == [texts[r] for r in asked if r >= 0]
    # in record order (a full read), read a block at a time: the same strings
    assert list(spill.column(range(len(azure_lines)), 0)) == azure_lines
    # a column is a list to the engine: lines set in it are read back; cleared, it is empty
    lines[300] = "set"
    assert lines[300] == "set" and lines.held == 1 and list(lines.present())[300] == "set"
    spill.close()
    assert list(got)[:3] == [texts[r] for r in asked[:3]]        # columns still read once the spill is closed
    lines.clear()
    assert len(lines) == 0 and list(lines) == []
    with pytest.raises(ValueError, match="2 part"):
        Spill(tmp_path, parts=2).add("only one")
