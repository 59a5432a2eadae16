"""Files and folders of records: read, walk, cache and write back (shim during the reshape)."""
from ..articles import (RECORD_SUFFIXES, Corpus, article_from_dict, as_article, default_cache_file,  # noqa: F401
                        parse_article, read_article, read_corpus, replace_related, write_related)
