"""The text relate reads of an article: cleaned title and excerpt (shim during the reshape)."""
from .embed import article_text, clean_text  # noqa: F401
