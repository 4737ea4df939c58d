"""Planners turn a question into a QueryPlan (or a clarification / refusal). Never SQL.

    rules  offline, deterministic, the embedded default (planner/rules.py)
    llm    langchain + openai structured output into the same QueryPlan (planner/llm.py)
    auto   rules first; the llm only when rules are not confident and an llm is configured
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from assistant.plan import QueryPlan

if TYPE_CHECKING:
    from assistant.catalog.models import Catalog
    from assistant.config import Config


@dataclass(frozen=True)
class PlanOutcome:
    plan: QueryPlan
    confidence: float
    planner: str
    # Words of the question read as context, not as part of what is asked ("for the board
    # deck", "deciding which languages to translate next"): the answer says so.
    set_aside: tuple[str, ...] = ()


class Planner(Protocol):
    name: str

    def plan(self, question: str, catalog: Catalog, *, as_of: date,
             choice: str | None = None) -> PlanOutcome:
        """Return a plan, or raise ClarificationNeeded / Refusal."""
        ...


def make_planner(config: Config) -> Planner:
    """Build the configured planner; nothing constructs an OpenAI client without a key."""
    from assistant.planner.rules import RulesPlanner

    rules = RulesPlanner(min_confidence=config.min_confidence, allow_pii=config.allow_pii)
    if config.planner == "rules":
        return rules
    from assistant.planner.auto import AutoPlanner
    from assistant.planner.llm import LlmPlanner

    llm = LlmPlanner.from_config(config) if config.llm_configured else None
    if config.planner == "llm":
        if llm is None:
            from assistant import messages
            from assistant.errors import ConfigError

            raise ConfigError(messages.LLM_UNAVAILABLE)
        return llm
    return AutoPlanner(rules, llm)
