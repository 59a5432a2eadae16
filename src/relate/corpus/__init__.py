"""Files and folders of records: read, walk, cache and write back.

Example:
    >>> a = as_article({"title": "Hi", "webUrl": "https://e.com/a"})
    >>> [x.title for x in as_articles([a, {"title": "Ho", "webUrl": "https://e.com/b"}])]
    ['Hi', 'Ho']
"""
from ..records import article_from_dict
from .cache import default_cache_file
from .folder import RECORD_SUFFIXES, Corpus, as_articles, read_corpus
from .jsonl import JSON_SUFFIXES, json_records
from .read import article_from_bytes, as_article, parse_article, read_article
from .write import replace_related, write_related

__all__ = [
    "JSON_SUFFIXES", "RECORD_SUFFIXES", "Corpus", "article_from_bytes", "article_from_dict", "as_article",
    "as_articles", "default_cache_file", "json_records", "parse_article", "read_article", "read_corpus",
    "replace_related", "write_related",
]
