"""Article addresses: the normal form of a URL, its AMP variants, and the id derived from it.

Example:
    >>> url_key("https://www.x.com/a%2cb/") == url_key("http://x.com/a,b")
    True
    >>> article_id("https://e.com/a")
    '0b120bda9a8a8363'
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote, urlsplit

__all__ = ["article_id", "url_key", "url_variants"]

_AMP_CDN = re.compile(r"^[^/]+\.cdn\.ampproject\.org/(?:[a-z]/)*(?:s/)?", re.IGNORECASE)
_SLASHES = re.compile(r"/+")
_AMP_PATH = re.compile(r"/amp(?=/|$)")
_AMP_QUERY = re.compile(r"[?&]amp(=[^&]*)?$")
#: How many URLs :func:`url_key` remembers: a run keys each address several times (ids, the
#: rank table, every list written), and parsing one costs about 10 µs.
_KEY_CACHE = 1 << 15


def url_key(url: str) -> str:
    """A normal form of a URL for comparing addresses.

    Scheme, ``www.``, percent-encoding, Unicode form, fragments and trailing slashes do
    not matter: ``https://www.x.com/a%2cb/`` and ``http://x.com/a,b`` give the same key.

    Example:
        >>> url_key("https://www.X.com//a%2cb/?q=1#top")
        'x.com/a,b?q=1'
    """
    return _url_key(url) if type(url) is str else _url_key.__wrapped__(url)


@lru_cache(maxsize=_KEY_CACHE)
def _url_key(url: str) -> str:
    u = unicodedata.normalize("NFC", unquote(url.strip()))
    parts = urlsplit(u if "://" in u else "//" + u)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    path = parts.path
    if "//" in path:
        path = _SLASHES.sub("/", path)
    key = host + path.rstrip("/")
    if parts.query:
        key += "?" + parts.query
    return key


def url_variants(url: str) -> set[str]:
    """Keys under which the same page may appear: itself, its AMP forms and the AMP cache.

    Example:
        >>> sorted(url_variants("https://x-com.cdn.ampproject.org/c/s/www.x.com/a/amp"))
        ['x-com.cdn.ampproject.org/c/s/www.x.com/a/amp', 'x.com/a', 'x.com/a/amp']
    """
    key = url_key(url)
    out = {key}
    m = _AMP_CDN.match(key)
    if m:
        key = key[m.end():]
        key = key.removeprefix("www.")
        out.add(key)
    if "amp" in key:  # both patterns need it
        key = _AMP_QUERY.sub("", _AMP_PATH.sub("", key))
    out.add(key.rstrip("/"))
    return out


def article_id(url: str) -> str:
    """Stable id of an article: the first 16 hex digits of SHA-1 of :func:`url_key`."""
    return hashlib.sha1(url_key(url).encode("utf-8")).hexdigest()[:16]
