"""The engine: a workspace opened once, answering related-list requests.

- :class:`Engine` (:mod:`.engine`): build or open a workspace, then ``suggest`` /
  ``suggest_many`` / ``rank_many``; any encoder with ``id``, ``dim`` and ``encode`` works. Its
  ``update`` (:mod:`.updating`) brings the workspace up to date with a corpus.
- :class:`EngineState` (:mod:`.state`): an open engine as plain data (what Ray ships).
- :func:`suggest` and :func:`default_engine` (:mod:`.suggest`): the one-call entry point.
"""
from .engine import Engine
from .state import EngineState, build_table
from .suggest import SAMPLE_DATA, default_engine, suggest

__all__ = ["SAMPLE_DATA", "Engine", "EngineState", "build_table", "default_engine", "suggest"]
