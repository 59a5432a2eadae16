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
from urllib.parse import unquote, urlsplit

__all__ = ["article_id", "url_key", "url_variants"]

_AMP_CDN = re.compile(r"^[^/]+\.cdn\.ampproject\.org/(?:[a-z]/)*(?:s/)?", re.IGNORECASE)


def url_key(url: str) -> str:
    """A normal form of a URL for comparing addresses.

    Scheme, ``www.``, percent-encoding, Unicode form, fragments and trailing slashes do
    not matter: ``https://www.x.com/a%2cb/`` and ``http://x.com/a,b`` give the same key.

    Example:
        >>> url_key("https://www.X.com//a%2cb/?q=1#top")
        'x.com/a,b?q=1'
    """
    u = unicodedata.normalize("NFC", unquote(url.strip()))
    parts = urlsplit(u if "://" in u else "//" + u)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    key = host + path
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
    no_amp = re.sub(r"/amp(?=/|$)", "", key)
    no_amp = re.sub(r"[?&]amp(=[^&]*)?$", "", no_amp).rstrip("/")
    out.add(no_amp)
    return out


def article_id(url: str) -> str:
    """Stable id of an article: the first 16 hex digits of SHA-1 of :func:`url_key`."""
    return hashlib.sha1(url_key(url).encode("utf-8")).hexdigest()[:16]
