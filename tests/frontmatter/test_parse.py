"""frontmatter.parse: one call reads a file's front matter, whichever reader applies, and says where things are."""
from __future__ import annotations

import multiprocessing
import os

import pytest
import yaml
from _helpers_articles import TINY, azure_files, check_against_yaml, needs_azure, record, yaml_mismatch, yaml_reference

from relate import corpus as C
from relate import frontmatter as F
from relate.errors import RecordError
from relate.frontmatter import loader


def test_body_bom_and_crlf_are_read():
    text = "\ufeff" + record('title: "T"', 'webUrl: "u"').replace("\n", "\r\n") + "# Body\r\n---\r\nmore"
    a = C.parse_article(text)
    assert (a.title, a.web_url) == ("T", "u")


def test_parse_split_offsets_and_newline():
    data = ("\ufeff" + record('title: "T"', 'webUrl: "u"').replace("\n", "\r\n") + "# Body\r\n").encode()
    fm = F.parse(data, "t.md")
    assert fm.newline == "\r\n" and fm.line0 == 2 and fm.path == "t.md"
    assert data[fm.start:fm.end].decode() == fm.text == 'title: "T"\r\nwebUrl: "u"\r\n'
    assert data[fm.end:fm.body] == b"---\r\n" and data[fm.body:] == b"# Body\r\n"
    sp = F.split_front_matter(data)
    assert (sp.start, sp.end, sp.body, sp.newline) == (fm.start, fm.end, fm.body, fm.newline)


def test_parse_fast_result_has_what_the_records_layer_needs():
    fm = F.parse(TINY.encode(), "tiny.md")
    assert fm.reader == "fast" and fm.has_related
    assert fm.key_order == ("category", "title", "excerpt", "publishedDateTime", "webUrl", "type", "quality", "heat",
                            "published", "provider", "topics", "related", "secured")
    assert "related" not in fm.data and fm.data["secured"] == "abc=="
    assert fm.related_urls == ["https://f.com/1", "https://g.com/2"]
    assert fm.related[0]["publishedDateTime"] == "2020-06-26T11:00:00Z"
    lines = TINY.split("\n")
    for key in ("category", "title", "provider", "topics", "secured"):
        assert lines[fm.key_line(key) - 1].startswith(key + ":"), key   # lines after the cut block too
    assert fm.key_line("related") is None and fm.key_line("nope") is None and fm.entry_line(0) is None
    assert fm.text[fm.block.start:fm.block.end].startswith("related:\n  - title: \"First\"")
    assert fm.text[fm.block.end:].startswith("\nsecured:")
    urls_only = F.parse(TINY.encode(), full_related=False)
    assert urls_only.related is None and urls_only.related_urls == fm.related_urls


def test_parse_yaml_result_for_an_unusual_layout():
    text = record('title: "T"', 'webUrl: "u"', "related:", "- title: \"A\"", "  webUrl: \"a\"",
                  "  publishedDateTime: 2020-06-26 13:00:00+02:00", "- x", 'secured: "s"')
    fm = F.parse(text.encode())
    assert fm.reader == "yaml" and fm.has_related and fm.related_urls is None
    assert fm.related == [{"title": "A", "webUrl": "a", "publishedDateTime": "2020-06-26T11:00:00Z"}, "x"]
    assert fm.key_order == ("title", "webUrl", "related", "secured") and "related" not in fm.data
    assert (fm.key_line("related"), fm.entry_line(0), fm.entry_line(1), fm.entry_line(5)) == (4, 5, 8, 5)
    assert fm.text[fm.block.start:fm.block.end] == "".join(f"{line}\n" for line in text.split("\n")[3:8])
    none = F.parse(record('title: "T"').encode())
    assert not none.has_related and none.related is None and none.related_urls == []
    assert none.block.at_end and not none.block.present


def test_parse_composes_an_unusual_front_matter_once(monkeypatch):
    calls = []
    real = loader.StrictLoader.get_single_node

    def counting(self):
        calls.append(1)
        return real(self)
    monkeypatch.setattr(loader.StrictLoader, "get_single_node", counting)
    F.parse(record('title: "T"', 'webUrl: "u"', '"related": [{webUrl: "x"}]').encode())
    assert len(calls) == 1
    with pytest.raises(RecordError):
        F.parse(b"---\n- a\n---\n")
    assert len(calls) == 2


def test_parse_errors_and_block_errors():
    with pytest.raises(RecordError) as info:
        F.parse(b"---\n- a\n---\n", "x.md")
    assert (info.value.code, info.value.line, info.value.path) == ("not-a-mapping", 2, "x.md")
    with pytest.raises(RecordError) as info:
        F.parse(b'---\ntitle: "T\n---\n', "x.md")
    assert info.value.code == "invalid-yaml"
    indented = F.parse(b"---\n  title: T\n  webUrl: u\n---\n", "i.md")   # readable, but not rewritable
    assert indented.data == {"title": "T", "webUrl": "u"}
    with pytest.raises(RecordError, match="column 0"):
        _ = indented.block


def test_parse_text_reads_text_without_a_file():
    fm = F.parse_text('title: "T"\nrelated:\n  - title: "A"\n    webUrl: "a"\n', "x.md", line0=5)
    assert fm.reader == "fast" and fm.related_urls == ["a"] and fm.key_line("title") == 5
    assert fm.start is None and fm.newline == "\n"


# --------------------------------------------------------------------------- the real corpus


@needs_azure
def test_sample_reads_like_yaml():
    for path in azure_files(step=250):
        check_against_yaml(path)


@needs_azure
@pytest.mark.slow
def test_every_file_reads_like_plain_yaml():
    """All 4,958 files; PyYAML is the slow side, so two processes share them. Spawned, not forked:
    by now the test process may run Ray's and ONNX Runtime's threads, and a child forked from
    them can hang on a lock one of them held (a CI run stopped here, a pool worker waiting for ever)."""
    with multiprocessing.get_context("spawn").Pool(min(2, os.cpu_count() or 1)) as pool:
        wrong = [m for m in pool.map(yaml_mismatch, azure_files(), chunksize=64) if m]
    assert not wrong, wrong[:5]


def test_yaml_reference_is_plain_yaml():
    ref, related = yaml_reference(TINY.encode())
    assert ref == {k: v for k, v in yaml.safe_load(TINY.split("---\n")[1]).items() if k != "related"}
    assert [e["webUrl"] for e in related] == ["https://f.com/1", "https://g.com/2"]
