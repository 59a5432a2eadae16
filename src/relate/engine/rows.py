"""A workspace's rows as articles: each parsed from its ``articles.jsonl`` line only when asked.

Example:
    >>> rows = LineRows(['{"title": "A", "web_url": "https://e.com/a"}'])
    >>> rows[0].title
    'A'
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

from ..records import Article
from ..workspace import article_from_line, entry_from_line


class LineRows(Sequence):
    """The article of each row, parsed from its ``articles.jsonl`` line when asked.

    Only the lines are held (a few hundred bytes a row), and the last :data:`KEEP_PARSED`
    articles parsed; so a million-row workspace holds no million ``Article`` objects.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._parsed: OrderedDict[int, Article] = OrderedDict()

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self.lines)
        found = self._parsed.get(row)
        if found is None:
            found = self._parsed[row] = article_from_line(self.lines[row])
            if len(self._parsed) > KEEP_PARSED:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(row)
        return found

    def __iter__(self) -> Iterator[Article]:
        """Every row's article in order, each parsed as it comes and not kept (a pass over every row
        holds one at a time)."""
        parsed = self._parsed
        for row, line in enumerate(self.lines):
            found = parsed.get(row)
            yield found if found is not None else article_from_line(line)

    def entry(self, row: int) -> dict:
        """The row's article as a related entry (:meth:`relate.records.Article.related_entry`),
        made from its line when the article is not parsed already (the line is not kept parsed)."""
        found = self._parsed.get(row)
        return found.related_entry() if found is not None else entry_from_line(self.lines[row])

    def forget(self, row: int) -> None:
        """Drops the parsed article of a row whose line changed."""
        self._parsed.pop(row, None)


class ArticlesView(Mapping):
    """Live articles by id (a view over the rows; nothing is copied)."""

    def __init__(self, row_of: dict[str, int], rows: LineRows) -> None:
        self._row_of = row_of
        self._rows = rows

    def __getitem__(self, article_id: str) -> Article:
        return self._rows[self._row_of[article_id]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._row_of


#: Parsed articles a :class:`LineRows` keeps.
KEEP_PARSED = 65_536
