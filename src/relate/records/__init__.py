"""Article records: the record model, its validation, URLs and ids, and times.

This layer knows no files: :mod:`relate.frontmatter` reads the text of a record and
:mod:`relate.corpus` reads and writes files and folders on top of it.
"""
from .article import (
    ENTRY_URL_KEYS,
    IMAGE_FIELDS,
    MODELLED_FIELDS,
    PROVIDER_FIELDS,
    RELATED_FIELDS,
    Article,
    entry_url,
    related_entry_of,
)
from .times import entry_time_text, format_time, is_z_time, norm_entry_time, parse_time
from .urls import article_id, url_key, url_variants
from .validation import article_from_dict, build_article, check_related, kind_of, record_error

__all__ = [
    "ENTRY_URL_KEYS", "IMAGE_FIELDS", "MODELLED_FIELDS", "PROVIDER_FIELDS", "RELATED_FIELDS", "Article",
    "article_from_dict", "article_id", "entry_url", "build_article", "check_related", "entry_time_text", "format_time", "is_z_time", "kind_of",
    "norm_entry_time", "parse_time", "record_error", "related_entry_of", "url_key", "url_variants",
]
