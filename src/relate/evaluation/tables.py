"""Tables of metric values: each value formatted one way, rows laid out as plain text or Markdown."""
from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["format_value", "text_table"]


def format_value(metric: str, v: float) -> str:
    """A metric value as a table shows it: ``-`` for none, one decimal for means of counts, else three.

    Example:
        >>> format_value("ndcg", 0.12345), format_value("quality", 61.26), format_value("gini", float("nan"))
        ('0.123', '61.3', '-')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if metric in ("quality", "gap_days", "providers", "shown"):
        return f"{v:.1f}"
    return f"{v:.3f}"


def text_table(header: Sequence[str], body: Sequence[Sequence[str]], markdown: bool) -> str:
    """Rows under a header as aligned plain text (first column left, the others right) or Markdown.

    Example:
        >>> print(text_table(["metric", "a"], [["nDCG@5", "0.500"]], markdown=True))
        | metric | a |
        |---|---:|
        | nDCG@5 | 0.500 |
    """
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]

    def fmt_row(row: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt_row(header), "  ".join("-" * w for w in widths), *(fmt_row(r) for r in body)])
