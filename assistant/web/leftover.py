"""Words the rules planner cannot place in a question: a likely-wrong sign for answers that
another planner (the llm, through `auto`) made anyway."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

from assistant.errors import ClarificationNeeded, SegqError

_NOT_UNDERSTOOD = re.compile(r'did not understand "([^"]+)"')


def leftover_finder(models_dir: str | Path, as_of: date) -> Callable[[str], str | None]:
    """`question -> the words left over` (None when every word is used or it cannot tell)."""
    from assistant.catalog import load_catalog
    from assistant.planner.rules import RulesPlanner

    planner = RulesPlanner()
    catalog = lru_cache(maxsize=1)(lambda: load_catalog(models_dir))  # loaded on first use

    @lru_cache(maxsize=4096)
    def leftover(question: str) -> str | None:
        try:
            planner.plan(question, catalog(), as_of=as_of)
        except ClarificationNeeded as exc:
            found = _NOT_UNDERSTOOD.search(exc.message)
            return found[1] if found else None
        except SegqError:
            return None
        return None

    return leftover
