"""Two checks around the configured planner that no planner can talk its way past.

- `policy_screen`: write, personal-data and prompt-injection refusals are final in every
  planner mode. The offline rules planner screens the question first; only its *final*
  refusals count, so an llm that always returns a plan still cannot answer them.
- `denial_probe`: the planner only sees the principal's scoped catalog, so a question about a
  hidden object would come back as a refusal, or worse as the nearest visible object. The
  probe first plans the question over the full catalog (offline, rules only): when that plan
  names an object the principal may not use, the answer is a worded `denied` refusal naming
  what the question itself asked for, and whom to ask. Otherwise (a clarification, say) the
  planner's outcome over the scoped catalog stands, so its options are all visible ones.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from assistant.access.scope import check_plan
from assistant.errors import Refusal

if TYPE_CHECKING:
    from assistant.access.models import Principal
    from assistant.catalog.models import Catalog
    from assistant.config import Config

_SCREENS: dict[tuple[float, bool], Any] = {}  # one rules planner (and its caches) per setting
_LOCK = threading.Lock()


def _rules(config: Config) -> Any:
    from assistant.planner.rules import RulesPlanner

    key = (config.min_confidence, config.allow_pii)
    with _LOCK:
        if key not in _SCREENS:
            _SCREENS[key] = RulesPlanner(min_confidence=key[0], allow_pii=key[1])
        return _SCREENS[key]


def policy_screen(question: str, catalog: Catalog, config: Config) -> None:
    try:
        _rules(config).plan(question, catalog, as_of=config.as_of)
    except Refusal as exc:
        if exc.final:
            raise
    except Exception:  # not the screen's business: the configured planner decides
        return


def denial_probe(question: str, catalog: Catalog, principal: Principal, config: Config,
                 choice: str | None = None) -> None:
    """Raise the `denied` refusal when the full catalog's plan names a hidden object."""
    try:
        outcome = _rules(config).plan(question, catalog, as_of=config.as_of, choice=choice)
    except Exception:  # the full catalog does not plan it either: the scoped outcome stands
        return
    check_plan(outcome.plan, catalog, principal)
