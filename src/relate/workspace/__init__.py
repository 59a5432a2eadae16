"""Workspaces: which folder (one resolution rule), the files in it, and the lock that guards it.

- :class:`Workspace` (:mod:`.workspace`): resolution (:meth:`Workspace.resolve`), the file
  layout, params, the scratch copy for dry runs and clearing; the temp-file sweep (:mod:`.sweep`).
- :class:`WorkspaceLock` (:mod:`.lock`): one run per workspace, never stuck by a dead owner.
- :mod:`.articles`: the articles as ``articles.jsonl`` lines, and back (an article, or straight
  to a related entry); :class:`FileLines` (:mod:`.lines`): those lines read from the file when asked;
  :class:`Spill`: what a run keeps of each record it reads, in a nameless file.
"""
from .articles import article_from_json, article_from_line, article_lines, article_to_json, entry_from_line
from .lines import FileLines, Spill
from .lock import LOCK_NAME, WorkspaceLock, WorkspaceLocked, is_stale, read_owner
from .sweep import sweep_record_folders, sweep_temp_files
from .workspace import (
    ARTICLES,
    FACTS,
    FOLDER_NAME,
    FORMAT_VERSION,
    IDS,
    INDEX,
    LEDGER,
    NEIGHBOURS,
    PARAMS,
    PENDING,
    PICK_SCORES,
    PICKS,
    SAVING,
    SOURCES,
    STATS,
    TERMS,
    VECTORS,
    WINDOW_SIMS,
    WINDOWS,
    Workspace,
    write_json,
)

__all__ = [
    "ARTICLES", "FACTS", "FOLDER_NAME", "FORMAT_VERSION", "IDS", "INDEX", "LEDGER", "LOCK_NAME", "NEIGHBOURS", "PARAMS",
    "PENDING", "PICK_SCORES", "PICKS", "SAVING", "SOURCES", "STATS", "TERMS", "VECTORS", "WINDOWS", "WINDOW_SIMS",
    "FileLines", "Spill", "Workspace", "WorkspaceLock", "WorkspaceLocked", "article_from_json", "article_from_line", "article_lines",
    "article_to_json", "entry_from_line", "is_stale", "read_owner", "sweep_record_folders", "sweep_temp_files", "write_json",
]
