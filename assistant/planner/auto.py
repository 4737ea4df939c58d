"""The auto planner: the offline rules planner first, the llm only where rules are unsure.

Rules are fast, deterministic and free, so they answer whatever they are confident about.
The llm gets the rest: low-confidence plans, clarifications and refusals that are not
policy (a write, personal-data or prompt-injection refusal from the rules is final). If the
llm itself fails (unreachable, or no valid plan after its repair round), the rules' original
outcome or exception stands, so configuring an llm never makes an answer worse than rules alone.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from assistant.errors import PlanError, Refusal
from assistant.planner import Planner, PlanOutcome

if TYPE_CHECKING:
    from assistant.catalog.models import Catalog


class AutoPlanner:
    name = "auto"

    def __init__(self, rules: Planner, llm: Planner | None) -> None:
        self.rules = rules
        self.llm = llm
        self.min_confidence: float = getattr(rules, "min_confidence", 0.6)

    def plan(
        self, question: str, catalog: Catalog, *, as_of: date, choice: str | None = None
    ) -> PlanOutcome:
        try:
            outcome = self.rules.plan(question, catalog, as_of=as_of, choice=choice)
        except Refusal as exc:
            if self.llm is None or exc.final:
                raise  # a write, personal-data or injection refusal is policy, not doubt
            return self._ask_llm(question, catalog, as_of, choice, fallback=exc)
        except PlanError as exc:
            if self.llm is None:
                raise
            return self._ask_llm(question, catalog, as_of, choice, fallback=exc)
        if outcome.confidence >= self.min_confidence or self.llm is None:
            return outcome
        return self._ask_llm(question, catalog, as_of, choice, fallback=outcome)

    def _ask_llm(
        self,
        question: str,
        catalog: Catalog,
        as_of: date,
        choice: str | None,
        fallback: PlanOutcome | PlanError,
    ) -> PlanOutcome:
        assert self.llm is not None
        try:
            return self.llm.plan(question, catalog, as_of=as_of, choice=choice)
        except PlanError as exc:
            if exc.status != "error":  # the llm's own clarification or refusal is an answer
                raise
            if isinstance(fallback, PlanError):
                raise fallback from None
            return fallback
