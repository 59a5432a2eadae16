"""The batch job's outputs: record files in place, a mirror tree, one JSONL file, a JSON corpus, a dry run.

Every write is atomic (each file is either as it was or fully rewritten); a file that
cannot be written is noted in the summary and the run goes on; a full disk stops it.
"""
from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import corpus as corpus_io
from ..errors import ConfigError, RecordError
from ..fileio import atomic_open, atomic_write_bytes
from ..progress import Progress
from ..records import article_id, url_key
from ..workspace import Workspace, sweep_record_folders, sweep_temp_files
from .ledger import WriteLedger
from .lists import json_default, list_changed, same_list, stored_urls
from .summary import Summary, disk_full, stop_if_disk_full
from .writes import each_in_threads, is_json_file, record_failure, relative


def check_out_dir(corpus: Path, out: Path) -> None:
    """Refuses a mirror folder that is an existing file, would overwrite the corpus or be read as part of it."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: that is an existing file, not a folder; give a folder for the mirror "
                          "(it is made if missing), or --jsonl FILE for one file")
    c, o = corpus.resolve(), out.resolve()
    if not corpus.is_dir():  # one .jsonl/.json file: only its own folder would overwrite it
        if o == c.parent:
            raise ConfigError(f"--out {out}: that is the corpus file's own folder; leave --out out to "
                              "rewrite the file in place, or choose another folder")
        return
    root = c
    if o == root or root in o.parents:
        raise ConfigError(f"--out {out}: the mirror folder must not be the corpus folder or inside it "
                          "(its copies would be read as records next time); choose a folder elsewhere")


def check_writable(folder: Path, flag: str, make: bool) -> None:
    """Refuses an output whose folder cannot be made or written, before any work (a usage error).

    ``flag`` names the option in the message (``--out DIR``, ``--jsonl FILE``); with ``make`` the
    folder is made (as the run would) and a file is made and removed in it, else (a dry run) only
    its nearest existing parent is looked at.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{flag}: {existing} is a file, not a folder" if existing == folder else
                          f"{flag}: {existing} is a file, so the folder {folder} cannot be made")
    if not make:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"{flag}: cannot write in the folder {folder}: {exc.strerror or exc}") from None


def write_records(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], root: Path,
                  out: Path | None, summary: Summary, progress: Progress, workspace: Workspace,
                  write_outside: bool = False) -> None:
    """The write stage for record outputs: in place (with the workspace's ledger), or mirrored to ``out``.

    In place, a record reached through a symbolic link that points outside the corpus is not
    written unless ``write_outside`` (``corpus.write_outside``); it is listed as not written.
    """
    t = time.perf_counter()
    outside = getattr(getattr(corpus_obj, "links", None), "outside", {})
    if out is None and outside and not write_outside:
        kept = []
        for a in targets:
            if a.path in outside:
                summary.failed.append((str(a.path), f"a symbolic link to {outside[a.path]}, outside the corpus; "
                                       "not written (pass --corpus-write-outside to write through it)"))
            else:
                kept.append(a)
        targets = kept
    files = [a.path for a in corpus_obj.articles] + [e.path for e in corpus_obj.skipped]
    if out is None:
        sweep_record_folders(files)
    else:
        sweep_record_folders(out / relative(Path(p), root) for p in files if p)
    try:
        if any(is_json_file(a.path) for a in corpus_obj.articles):
            write_json_corpus(corpus_obj, targets, lists, out, root, summary, progress)
        elif out is None:
            ledger = WriteLedger(workspace.ledger)
            try:
                write_in_place(targets, lists, summary, progress, ledger)
            finally:
                ledger.save()
        else:
            write_mirror(corpus_obj, targets, lists, root, out, summary, progress)
    finally:
        summary.seconds["write"] = time.perf_counter() - t


def write_in_place(targets: list[Any], lists: dict[str, list[dict]], summary: Summary,
                   progress: Progress, ledger: WriteLedger | None = None) -> None:
    """Each target's record file with its new list (only its ``related:`` block changes)."""
    jobs = []
    with progress.stage("write", total=sum(1 for a in targets if a.path), unit="file") as bar:
        for a in targets:
            if not a.path:
                continue
            entries = lists.get(a.id, [])
            digest = WriteLedger.digest(entries) if ledger is not None else ""
            if ledger is not None and ledger.holds(a.path, digest):
                summary.written += 1  # checked: it already holds exactly this list
                bar.update(1)
                continue
            jobs.append((a.path, entries, digest))

        def write(job):
            return corpus_io.write_related(job[0], job[1])

        full: list[OSError] = []
        for (path, _, digest), changed, exc in each_in_threads(jobs, write, stop=lambda: bool(full)):
            if disk_full(exc):
                full.append(exc)  # let the writes already started finish, start no more
                bar.update(1)
                continue
            if exc is not None:
                if ledger is not None:
                    ledger.forget(path)
                record_failure(summary, path, exc, path)
            else:
                summary.written += 1
                summary.changed += bool(changed)
                if ledger is not None:
                    ledger.record(path, digest)
            bar.update(1)
    if full:
        stop_if_disk_full(full[0], full[0].filename or "a record file")


def write_mirror(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], root: Path, out: Path,
                 summary: Summary, progress: Progress) -> None:
    """Every record file (and every skipped one, as it is) copied below ``out``, selected ones with new lists.

    A mirror file that already holds the right bytes is not touched.
    """
    target_ids = {a.id for a in targets}
    files: dict[str, Any] = {}
    for a in corpus_obj.articles:
        if a.path:
            files[str(a.path)] = a if a.id in target_ids else None
    for err in corpus_obj.skipped:
        if err.path and Path(err.path).is_file():
            files.setdefault(str(err.path), None)

    def mirror(job) -> bool | None:
        name, a = job
        src = Path(name)
        dst = out / relative(src, root)
        data = src.read_bytes()
        new = data if a is None else corpus_io.replace_related(data, lists.get(a.id, []), src)
        try:
            same = dst.read_bytes() == new
        except FileNotFoundError:
            same = False
        if not same:
            dst.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(dst, new, mode=src.stat().st_mode & 0o7777)
        return None if a is None else new != data

    full: list[OSError] = []
    with progress.stage("write", total=len(files), unit="file") as bar:
        for (name, a), changed, exc in each_in_threads(list(files.items()), mirror, stop=lambda: bool(full)):
            if disk_full(exc):
                full.append(exc)
                continue
            if exc is not None:
                record_failure(summary, name, exc, out)
            elif a is not None:
                summary.written += 1
                summary.changed += bool(changed)
            bar.update(1)
    if full:
        stop_if_disk_full(full[0], out)


def write_jsonl(path: Path, targets: list[Any], lists: dict[str, list[dict]] | Iterable[tuple[Any, list[dict]]],
                summary: Summary, progress: Progress) -> None:
    """One ``{"webUrl": ..., "related": [...]}`` line per target, written atomically.

    ``lists``: the lists by article id, or a stream of ``(article, entries)`` in target order
    (:func:`relate.batch.stages.rank_stream`): each line is written as its list comes, and
    the time spent waiting for the stream is not counted as writing.
    """
    t = time.perf_counter()
    items = ((a, lists.get(a.id, [])) for a in targets) if isinstance(lists, dict) else lists
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_temp_files(path.parent, [path.name])
        changed = written = 0
        encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode  # json.dumps's, made once
        with atomic_open(path, "w") as fh, progress.stage("write", total=len(targets), unit="list") as bar:
            for a, entries in items:
                fh.write(encode({"webUrl": a.url, "related": entries}) + "\n")
                changed += list_changed(a, entries)
                written += 1
                bar.update(1)
        summary.written, summary.changed = written, changed
    except OSError as exc:
        record_failure(summary, path, exc, path)
    finally:
        summary.seconds["write"] = time.perf_counter() - t - summary.seconds.get("rank", 0.0) * (
            not isinstance(lists, dict))


def jsonl_lines(text: str) -> list[str]:
    """The lines of a JSON-lines text: split at ``\\n`` only (a ``\\r`` before it dropped), never at
    the other breaks :meth:`str.splitlines` knows (U+2028, U+2029, ``\\x85``, ...), which JSON keeps
    raw inside strings.

    Example:
        >>> jsonl_lines('{"a": "x\\u2028y"}\\r\\n{}\\n')
        ['{"a": "x\\u2028y"}', '{}']
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def write_json_corpus(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], out: Path | None,
                      root: Path, summary: Summary, progress: Progress) -> None:
    """A ``.jsonl``/``.json`` corpus: each file is rewritten whole (atomically) with the new lists."""
    by_id = {a.id: a for a in targets}
    files = sorted({str(a.path) for a in corpus_obj.articles if a.path}
                   | {str(e.path) for e in corpus_obj.skipped if e.path and Path(e.path).is_file()})
    with progress.stage("write", total=len(targets), unit="list") as bar:
        for name in files:
            src = Path(name)
            dst = src if out is None else out / relative(src, root)
            try:
                text = src.read_text(encoding="utf-8-sig")
                lines = jsonl_lines(text) if src.suffix.lower() == ".jsonl" else None
                if lines is not None:
                    new_lines, written, changed = [], 0, 0
                    for line in lines:
                        rec = json_or_none(line)
                        a = by_id.get(article_id(rec_url(rec))) if isinstance(rec, dict) else None
                        if a is None:
                            new_lines.append(line)  # blank, bad or not selected: kept as it is
                            continue
                        entries = lists.get(a.id, [])
                        changed += not same_list(rec.get("related"), entries)
                        rec["related"] = entries
                        new_lines.append(json.dumps(rec, ensure_ascii=False, default=json_default))
                        written += 1
                    new = "\n".join(new_lines) + "\n"
                else:
                    values = json.loads(text)
                    items = values if isinstance(values, list) else [values]
                    written = changed = 0
                    for rec in items:
                        a = by_id.get(article_id(rec_url(rec))) if isinstance(rec, dict) else None
                        if a is None:
                            continue
                        entries = lists.get(a.id, [])
                        changed += not same_list(rec.get("related"), entries)
                        rec["related"] = entries
                        written += 1
                    new = json.dumps(values, ensure_ascii=False, indent=2, default=json_default) + "\n"
                try:
                    same = dst.read_text(encoding="utf-8") == new
                except FileNotFoundError:
                    same = False
                if not same:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_bytes(dst, new.encode("utf-8"))
                summary.written += written
                summary.changed += changed
                bar.update(written)
            except (OSError, ValueError, RecursionError) as exc:
                record_failure(summary, src, exc, dst)


def json_or_none(line: str) -> Any:
    try:
        return json.loads(line) if line.strip() else None
    except (ValueError, RecursionError):   # a line the reader skipped: kept as it is
        return None


def rec_url(rec: Any) -> str:
    if not isinstance(rec, dict):
        return ""
    url = rec.get("webUrl") or rec.get("originalUrl") or ""
    return url if isinstance(url, str) else ""


def dry_run(corpus_obj: Any, targets: list[Any], lists: dict[str, list[dict]], summary: Summary,
            examples: int, progress: Progress) -> None:
    """Counts the lists that would change (exactly as an in-place run would) and keeps a few examples."""
    t = time.perf_counter()
    titles = titles_by_url(corpus_obj.articles)
    with progress.stage("write", total=len(targets), unit="list") as bar:
        for a in targets:
            entries = lists.get(a.id, [])
            if a.path and not is_json_file(a.path):
                try:
                    data = Path(a.path).read_bytes()
                    changed = corpus_io.replace_related(data, entries, a.path) != data
                except (OSError, RecordError) as exc:
                    record_failure(summary, a.path, exc, a.path)
                    bar.update(1)
                    continue
            else:
                changed = list_changed(a, entries)
            if changed:
                summary.changed += 1
                if len(summary.examples) < examples:
                    summary.examples.append({
                        "path": str(a.path or a.url),
                        "title": a.title,
                        "before": [titles.get(url_key(u), u) for u in stored_urls(a)],
                        "after": [str(e.get("title", e.get("webUrl", "?"))) for e in entries],
                    })
            bar.update(1)
    summary.seconds["write"] = time.perf_counter() - t


def titles_by_url(articles: Iterable[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for a in articles:
        for u in a.urls:
            out.setdefault(url_key(u), a.title)
    return out
