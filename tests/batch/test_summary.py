"""The run summary: exit codes, the printed report and its JSON form."""
from __future__ import annotations

import json

from relate.batch import Summary
from relate.errors import RecordError


def test_summary_exit_codes_and_report():
    s = Summary("regenerate", "data", ".relate", output="in place", records=40, selected=40, written=40,
                changed=12, seconds={"load": 0.5, "rank": 0.1, "total": 1.0})
    assert s.exit_code == 0
    text = s.format()
    assert "records read  40" in text and "lists changed 12" in text and "load 0.50" in text
    s.skipped.append(RecordError("missing title", path="bad.md", field="title", line=2))
    assert s.exit_code == 1
    assert "bad.md:2: field 'title': missing title" in s.format()
    d = s.to_dict()
    assert d["skipped"] == [{"path": "bad.md", "field": "title", "line": 2, "reason": "missing title",
                             "code": None}]
    assert json.loads(json.dumps(d))["exit_code"] == 1
    s.stopped = "disk full"
    assert s.exit_code == 3
