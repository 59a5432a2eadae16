"""Article records: the record model, its validation, URLs and ids, and times (shim during the reshape)."""
from ..articles import Article, article_id, format_time, parse_time, url_key, url_variants  # noqa: F401
from ..frontmatter import IMAGE_FIELDS, PROVIDER_FIELDS, RELATED_FIELDS  # noqa: F401
