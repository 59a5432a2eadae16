"""The on-disk vector cache, and :func:`encode_cached`, the one path by which texts become vectors.

Example:
    >>> import tempfile
    >>> cache = VectorCache(tempfile.mkdtemp(), "my-model|torch|128")
    >>> cache.add([text_key("a text")], np.ones((1, 3), dtype=np.float32))
    >>> vecs, missing = cache.get([text_key("a text"), text_key("a new text")])
    >>> vecs.tolist(), missing
    ([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]], [1])

    ``encode_cached(encoder, texts, cache)`` fills the missing rows with ``encoder.encode``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ..fileio import atomic_save_npy, atomic_write_bytes
from ..mapped import let_go, scratch_array
from .encoder import TextEncoder

logger = logging.getLogger(__name__)

__all__ = ["VectorCache", "encode_cached", "text_key"]


def text_key(text: str) -> str:
    """Cache key of one text: the first 20 hex digits of its SHA-1."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


#: Segments a cache may have before a save merges them into its base file (a save merges
#: sooner once the segments hold a quarter as many rows as the base).
MAX_SEGMENTS = 256


class VectorCache:
    """Vectors of texts already encoded, on disk, keyed by model and text.

    Files: ``<folder>/<model-hash>.npy`` (float32 rows) and ``<model-hash>.json`` (keys and
    model id), the base; each save after that appends a segment, ``<model-hash>.<i>.npy`` and
    ``.json``, holding only the vectors added since the last save, so saving every few hundred
    texts costs the same at a million texts as at a thousand. Once the segments hold a quarter
    as many rows as the base (or there are :data:`MAX_SEGMENTS` of them), a save merges
    everything into the base again: the base grows geometrically, and a cache of ``n`` texts
    has been written about ``5 n`` rows' worth in all. Nothing is
    pickled; every file is written atomically, vectors before the keys that describe them, and
    a key read twice (a merge interrupted before its segments were removed) counts once. The
    files are read on first use, so a cache nobody asks anything of costs nothing, and their
    vectors are memory-mapped: asking whether a text is known reads only the keys, and
    :meth:`get` reads only the rows it returns (a nightly run asking for a thousand new texts
    of a million-text cache reads those, not 1.5 GB).

    Args:
        folder: where the files are (created by :meth:`save`).
        model: the encoder's ``id``; a file written for another model is not used.
    """

    def __init__(self, folder: str | os.PathLike, model: str) -> None:
        self.folder = Path(folder)
        self.model = model
        self._stem = hashlib.sha1(model.encode()).hexdigest()[:12]
        self._vec_path = self.folder / f"{self._stem}.npy"
        self._key_path = self.folder / f"{self._stem}.json"
        self._keys: list[str] = []         # every key, saved or not, in row order
        self._blocks: list[np.ndarray] = []  # their vectors, in blocks (joined when read)
        self._row: dict[str, int] = {}
        self._loaded = False
        self._saved = 0                    # rows already in the files
        self._segments = 0                 # segments on disk
        self._base = 0                     # rows in the base file

    def _segment(self, i: int) -> tuple[Path, Path]:
        return self.folder / f"{self._stem}.{i}.npy", self.folder / f"{self._stem}.{i}.json"

    def _read(self, vec_path: Path, key_path: Path) -> tuple[list[str], np.ndarray] | None:
        if not (key_path.exists() and vec_path.exists()):
            return None
        try:
            meta = json.loads(key_path.read_text(encoding="utf-8"))
            vecs = np.load(vec_path, mmap_mode="r", allow_pickle=False)   # rows read when used
        except (OSError, ValueError, EOFError) as exc:   # cut short, emptied, garbage: a cache, so encode again
            logger.warning("vector cache %s is damaged (%s); its texts are encoded again", vec_path, exc)
            return None
        if (not isinstance(meta, dict) or meta.get("model") != self.model or vecs.ndim != 2
                or len(meta.get("keys", [])) != len(vecs)):
            logger.warning("vector cache %s does not match its keys; starting it again", vec_path)
            return None
        return list(meta["keys"]), vecs

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        parts = []
        base = self._read(self._vec_path, self._key_path)
        if base is not None:
            parts.append(base)
            self._base = len(base[0])
        i = 1
        while (seg := self._read(*self._segment(i))) is not None:
            parts.append(seg)
            i += 1
        self._segments = i - 1
        for part_keys, vecs in parts:
            fresh = [j for j, k in enumerate(part_keys) if k not in self._row]
            for j in fresh:
                self._row[part_keys[j]] = len(self._keys)
                self._keys.append(part_keys[j])
            if fresh:
                self._blocks.append(vecs[fresh] if len(fresh) < len(part_keys) else vecs)
        self._saved = len(self._keys)

    def _vectors(self) -> np.ndarray | None:
        """Every vector as one array (the blocks joined once, when read)."""
        if len(self._blocks) > 1:
            self._blocks = [np.concatenate(self._blocks)]
        return self._blocks[0] if self._blocks else None

    def __len__(self) -> int:
        self._load()
        return len(self._row)

    def __contains__(self, key: str) -> bool:
        self._load()
        return key in self._row

    @property
    def dim(self) -> int | None:
        """The vectors' width (``None`` while the cache is empty)."""
        self._load()
        return self._blocks[0].shape[1] if self._blocks else None

    def get(self, keys: Sequence[str], out: np.ndarray | None = None) -> tuple[np.ndarray | None, list[int]]:
        """Vectors for ``keys`` (rows of missing ones left zero) and the positions missing.

        ``out``: a zero-filled ``(len(keys), dim)`` array to fill instead of a new one (e.g. a
        :func:`relate.mapped.scratch_array`, whose pages are let go as it is filled).
        """
        self._load()
        missing = [i for i, k in enumerate(keys) if k not in self._row]
        if not self._blocks:
            return None, missing
        if out is None:
            out = np.zeros((len(keys), self._blocks[0].shape[1]), dtype=np.float32)
        have = [(i, self._row[k]) for i, k in enumerate(keys) if k in self._row]
        if have:
            dst, src = (np.array(x, dtype=np.int64) for x in zip(*have))
            del have
            start = 0
            for block in self._blocks:          # gathered block by block: the blocks are not joined first
                part = (src >= start) & (src < start + len(block))
                if part.any():
                    _gather(out, dst[part], block, src[part] - start)
                start += len(block)
        let_go(out, 0, len(out))
        return out, missing

    def add(self, keys: Sequence[str], vecs: np.ndarray) -> None:
        """Adds vectors (kept in memory until :meth:`save`)."""
        self._load()
        new = [(k, i) for i, k in enumerate(keys) if k not in self._row]
        if not new:
            return
        for k, _ in new:
            self._row[k] = len(self._keys)
            self._keys.append(k)
        self._blocks.append(np.asarray(vecs, dtype=np.float32)[[i for _, i in new]])

    def _unsaved(self) -> np.ndarray:
        """The vectors of the rows not yet saved (the last blocks)."""
        need, tail = len(self._keys) - self._saved, []
        for block in reversed(self._blocks):
            if need <= 0:
                break
            tail.append(block[-need:] if len(block) > need else block)
            need -= len(block)
        return np.concatenate(tail[::-1])

    def save(self) -> None:
        """Writes what was added since the last save: a new segment, or everything into the base."""
        self._load()
        if self._saved == len(self._keys):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if (self._segments >= MAX_SEGMENTS or self._saved == 0
                or len(self._keys) - self._base >= max(self._base, 1) / 4):
            atomic_save_npy(self._vec_path, self._vectors())
            atomic_write_bytes(self._key_path, json.dumps({"model": self.model, "keys": self._keys}).encode())
            for i in range(self._segments, 0, -1):      # last first: what stays is always a prefix
                for path in self._segment(i):
                    path.unlink(missing_ok=True)
            self._segments = 0
            self._base = len(self._keys)
        else:
            vec_path, key_path = self._segment(self._segments + 1)
            atomic_save_npy(vec_path, self._unsaved())
            atomic_write_bytes(key_path, json.dumps({"model": self.model, "keys": self._keys[self._saved:]}).encode())
            self._segments += 1
        self._saved = len(self._keys)


def _gather(out: np.ndarray, dst: np.ndarray, block: np.ndarray, src: np.ndarray) -> None:
    """``out[dst] = block[src]``; from a memory-mapped file a slice of :data:`GATHER_ROWS` rows at
    a time, each slice's pages let go once read (and those of ``out`` once written, where it is
    mapped too), so that what a full run reads of a million-row cache is not held by the
    process twice: in the map and in ``out``."""
    if not isinstance(block.base, mmap.mmap) or len(src) < GATHER_ROWS:
        out[dst] = block[src]
        return
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    for first in range(0, len(block), GATHER_ROWS):
        lo, hi = np.searchsorted(src, [first, first + GATHER_ROWS])
        if lo == hi:
            continue
        out[dst[lo:hi]] = block[src[lo:hi]]
        let_go(block, first, first + GATHER_ROWS)
        let_go(out, 0, len(out))


#: Rows of a memory-mapped cache file read between two releases of its pages (:func:`_gather`).
GATHER_ROWS = 65_536

#: ``encode_chunks``: lists of texts in, one ``(len(chunk), dim)`` array per chunk out, in order.
EncodeChunks = Callable[[Iterable[list[str]]], Iterable[np.ndarray]]


def encode_cached(encoder: TextEncoder, texts: Sequence[str], cache: VectorCache | None,
                  show_progress: bool = False, *, chunk: int | None = None, skip: Collection[str] = (),
                  save_every: int | None = None, encode_chunks: EncodeChunks | None = None,
                  on_start: Callable[[int], None] | None = None,
                  on_chunk: Callable[[int], None] | None = None,
                  scratch: str | os.PathLike | None = None) -> tuple[np.ndarray | None, int]:
    """Vectors for ``texts``, encoding only those not in ``cache`` (each distinct text once).

    Two ways to run, by ``chunk``:

    - ``None`` (an engine's update): the texts to encode go to the encoder in one call, in
      input order (a repeated text at its last place; the encoder sorts by length and batches
      itself), and the vectors of every text are returned. Without a cache every text is encoded.
    - ``n`` (the batch job): texts whose key is in ``skip`` (already indexed) are left out,
      the rest are sorted by length and encoded ``n`` at a time, each chunk added to the
      cache as it comes back; the vectors are not gathered (the first result is ``None``),
      so a corpus larger than memory can be encoded. A cache is required.

    Args:
        encoder: any :class:`~relate.embed.TextEncoder`.
        texts: the texts (as from :func:`relate.text.article_text`).
        cache: the vector cache of ``encoder.id``, or ``None``.
        show_progress: passed to ``encoder.encode`` (sentence-transformers' own bar).
        chunk: texts per encode call, or ``None`` for one call (see above).
        skip: keys (:func:`text_key`) not to encode (``chunk`` only).
        save_every: save the cache after at least this many texts were added since the last
            save, and at the end; ``None``: never (the caller saves).
        encode_chunks: how a stream of chunks is encoded, e.g. a runner's
            ``lambda chunks: runner.map(EncodeBatch(...), chunks)``; the default calls
            ``encoder.encode`` on each chunk in turn.
        on_start: called once with how many texts will be encoded (0 when none).
        on_chunk: called with the size of each chunk once its vectors are in the cache.
        scratch: a folder: the vectors returned (``chunk`` ``None``, with a cache) are gathered into
            a nameless file there (:func:`relate.mapped.scratch_array`), not into memory.

    Returns:
        The ``(n, dim)`` vectors (``None`` with ``chunk``) and how many texts were encoded now.
    """
    if chunk is not None and cache is None:
        raise ValueError("encode_cached: chunked encoding stores its vectors in a cache; pass one")
    if skip and chunk is None:
        raise ValueError("encode_cached: skip needs chunk (the vectors of skipped texts are not returned)")
    if encode_chunks is None:
        def encode_chunks(chunks: Iterable[list[str]]) -> Iterator[np.ndarray]:
            return (encoder.encode(c, show_progress) for c in chunks)

    if cache is None:
        if on_start is not None:
            on_start(len(texts))
        (vecs,) = encode_chunks([list(texts)])
        if on_chunk is not None:
            on_chunk(len(texts))
        return vecs, len(texts)

    keys = [text_key(t) for t in texts]
    if chunk is None:
        missing = [i for i, k in enumerate(keys) if k not in cache]
        todo = sorted({keys[i]: i for i in missing}.values())
        size = max(len(todo), 1)
    else:
        skip = skip if isinstance(skip, (set, frozenset)) else set(skip)
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k not in skip:
                first.setdefault(k, i)
        todo = sorted((i for k, i in first.items() if k not in cache), key=lambda i: len(texts[i]))
        size = max(1, int(chunk))
    if on_start is not None:
        on_start(len(todo))
    if todo:
        parts = [todo[s:s + size] for s in range(0, len(todo), size)]
        unsaved = 0
        for part, vecs in zip(parts, encode_chunks([texts[i] for i in p] for p in parts)):
            cache.add([keys[i] for i in part], vecs)
            unsaved += len(part)
            if save_every is not None and unsaved >= save_every:
                cache.save()
                unsaved = 0
            if on_chunk is not None:
                on_chunk(len(part))
        if save_every is not None and unsaved:
            cache.save()
    if chunk is not None:
        return None, len(todo)
    dim = cache.dim
    out = None if scratch is None or dim is None else scratch_array((len(keys), dim), np.float32, scratch)
    vecs, _ = cache.get(keys, out=out)
    return vecs, len(todo)
