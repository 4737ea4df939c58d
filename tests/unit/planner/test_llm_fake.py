"""The llm and auto planners' logic, with a langchain fake chat model standing in for OpenAI.

The fake replays queued AIMessages whose tool call is `LlmReply` (what structured output via
function calling reads) and records every conversation it was sent, so tests can assert on
the repair round. HTTP shape is covered by test_llm_stub_server.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import Field

from assistant import messages
from assistant.errors import ClarificationNeeded, PlanError, Refusal
from assistant.plan import Intent, QueryPlan, SegmentRef
from assistant.planner import PlanOutcome
from assistant.planner.auto import AutoPlanner
from assistant.planner.llm import LLM_CONFIDENCE, LlmPlanner

AS_OF = date(2026, 6, 30)
_ids = itertools.count(1)


class ToolFakeChatModel(GenericFakeChatModel):
    """Replays queued replies, accepts tools, and records each conversation it receives."""

    received: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        self.received.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class BrokenChatModel(ToolFakeChatModel):
    """A model whose every call fails the way a network timeout does."""

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        raise TimeoutError("read timed out after 30 s")


def reply(**args: Any) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[
            {"name": "LlmReply", "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}
        ],
    )


def answer(plan: dict[str, Any]) -> AIMessage:
    return reply(status="answer", plan=plan, reason="fits the catalog")


ENGAGED = {"intent": "count", "segment": {"name": "engaged_users"}}
UNKNOWN_SEGMENT = {"intent": "count", "segment": {"name": "at_risk_users"}}
OUT_OF_BOUNDS = {
    "intent": "count",
    "segment": {"name": "engaged_users"},
    "overrides": [{"parameter": "min_logins_per_week", "value": 80}],
}


def llm_with(*replies: AIMessage | str) -> tuple[LlmPlanner, ToolFakeChatModel]:
    model = ToolFakeChatModel(messages=iter(replies))
    return LlmPlanner(model), model


def sent_text(conversation: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in conversation)


# -- answers ---------------------------------------------------------------------------------


def test_a_valid_plan_is_the_llm_planners_outcome(catalog):
    planner, model = llm_with(answer(ENGAGED))

    outcome = planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    assert outcome == PlanOutcome(
        QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="engaged_users")),
        LLM_CONFIDENCE,
        "llm",
    )
    assert len(model.received) == 1


def test_the_prompt_carries_catalog_examples_as_of_and_the_question(catalog):
    planner, model = llm_with(answer(ENGAGED))

    planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    system, user = model.received[0]
    assert isinstance(system, SystemMessage) and isinstance(user, HumanMessage)
    assert "lifecycle_stage" in system.content and "min_logins_per_week" in system.content
    assert "How many champions do we have?" in system.content  # a verified example
    assert "as_of = 2026-06-30" in system.content
    assert '"q3" = 2025-07-01 .. 2025-09-30' in system.content  # time phrases pre-resolved
    assert "{{" not in system.content and "{catalog}" not in system.content
    assert user.content == "Question: how many engaged users?"


def test_a_choice_from_a_clarification_is_passed_to_the_model(catalog):
    planner, model = llm_with(
        answer({"intent": "count", "segment": {"name": "lifecycle_stage", "member": "at_risk"}})
    )

    planner.plan("how many at risk users?", catalog, as_of=AS_OF, choice="lifecycle_stage:at_risk")

    user = model.received[0][1].content
    assert "`lifecycle_stage:at_risk` (Lifecycle stage: At risk)" in user
    assert "do not ask again" in user


# -- the repair round ------------------------------------------------------------------------


def test_an_unknown_segment_gets_one_repair_round_with_the_reason(catalog):
    planner, model = llm_with(answer(UNKNOWN_SEGMENT), answer(ENGAGED))

    outcome = planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    assert outcome.plan.segment == SegmentRef(name="engaged_users")
    assert len(model.received) == 2
    rejected, repair = model.received[1][-2:]
    assert isinstance(rejected, AIMessage) and rejected.tool_calls[0]["args"]["plan"] == (
        UNKNOWN_SEGMENT
    )
    assert isinstance(repair, ToolMessage)  # answers the rejected tool call, as OpenAI requires
    assert repair.tool_call_id == rejected.tool_calls[0]["id"]
    assert repair.content.startswith(
        "Your plan was rejected: There is no governed segment `at_risk_users`."
    )
    assert "using only the governed names" in repair.content


def test_an_out_of_bounds_override_is_repaired(catalog):
    planner, model = llm_with(answer(OUT_OF_BOUNDS), answer(ENGAGED))

    planner.plan("engaged users at 80 logins a week?", catalog, as_of=AS_OF)

    assert "Override `min_logins_per_week`=80 for `engaged_users` is outside its bounds 1..50" in (
        model.received[1][-1].content
    )


def test_a_reply_that_breaks_the_schema_is_repaired(catalog):
    planner, model = llm_with(answer({"intent": "bogus"}), answer(ENGAGED))

    planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    repair = model.received[1][-1].content
    assert "does not match the LlmReply schema" in repair and "`plan.intent`" in repair


def test_a_reply_without_the_tool_call_is_repaired_as_a_user_message(catalog):
    planner, model = llm_with("There are 42 engaged users.", answer(ENGAGED))

    planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    repair = model.received[1][-1]
    assert isinstance(repair, HumanMessage)
    assert "did not call the `LlmReply` tool" in repair.content


def test_two_rejected_plans_raise_a_plan_error_naming_what_was_wrong(catalog):
    planner, model = llm_with(answer(UNKNOWN_SEGMENT), answer(OUT_OF_BOUNDS))

    with pytest.raises(PlanError) as caught:
        planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    exc = caught.value
    assert type(exc) is PlanError and exc.status == "error"
    assert exc.message.startswith(
        "The language model could not turn this question into a "
        "valid plan: Override `min_logins_per_week`=80"
    )
    assert "Traceback" not in exc.message and "Error(" not in exc.message
    assert exc.details["reason"] == "llm_plan_rejected"
    assert "`at_risk_users`" in exc.details["errors"][0]
    assert len(model.received) == 2  # one repair round, no more


def test_a_definition_plan_must_name_a_governed_definition(catalog):
    planner, model = llm_with(
        answer({"intent": "definition", "metric": {"name": "weekly_active_users"}}),
        answer({"intent": "definition", "metric": {"name": "active_users"}}),
    )

    outcome = planner.plan("how do we define WAU?", catalog, as_of=AS_OF)

    assert outcome.plan.metric.name == "active_users"
    assert "There is no governed definition `weekly_active_users`" in (
        model.received[1][-1].content
    )


# -- clarifications and refusals ----------------------------------------------------------------


def test_clarify_raises_a_clarification_with_candidates_from_the_catalog(catalog):
    planner, _ = llm_with(
        reply(
            status="clarify",
            phrase="at risk",
            reason="three definitions of at risk",
            candidates=["lifecycle_stage:at_risk", "rfm_segment:at_risk", "churn_risk:high"],
        )
    )

    with pytest.raises(ClarificationNeeded) as caught:
        planner.plan("how many at risk users?", catalog, as_of=AS_OF)

    exc = caught.value
    assert exc.message == messages.CLARIFY_AMBIGUOUS.format(phrase="at risk")
    assert [c.choice for c in exc.candidates] == [
        "lifecycle_stage:at_risk",
        "rfm_segment:at_risk",
        "churn_risk:high",
    ]
    first = exc.candidates[0]
    assert (first.name, first.kind, first.member, first.label) == (
        "lifecycle_stage",
        "segment",
        "at_risk",
        "Lifecycle stage: At risk",
    )
    assert first.source == catalog.segments["lifecycle_stage"].source  # file:line
    assert first.description


def test_clarify_drops_ungoverned_candidates_and_repairs_when_none_is_left(catalog):
    planner, model = llm_with(
        reply(status="clarify", candidates=["at_risk_users"], reason="ambiguous"),
        reply(status="clarify", candidates=["churn_risk:high", "made_up"], reason="ambiguous"),
    )

    with pytest.raises(ClarificationNeeded) as caught:
        planner.plan("how many at risk users?", catalog, as_of=AS_OF)

    assert [c.choice for c in caught.value.candidates] == ["churn_risk:high"]
    assert "`at_risk_users`" in model.received[1][-1].content


@pytest.mark.parametrize(
    ("kind", "message", "reason"),
    [
        ("off_topic", messages.REFUSE_OFF_TOPIC, "off topic"),
        ("write", messages.REFUSE_WRITE, "write request"),
        ("pii", messages.REFUSE_PII.format(column="email"), "restricted column"),
    ],
)
def test_refuse_raises_a_refusal_in_governed_wording(catalog, kind, message, reason):
    planner, _ = llm_with(reply(status="refuse", refusal=kind, reason="not answerable"))

    with pytest.raises(Refusal) as caught:
        planner.plan("anything", catalog, as_of=AS_OF)

    assert caught.value.message == message
    assert caught.value.reason == f"{reason}: not answerable"


def test_off_topic_refusals_say_what_can_be_asked(catalog):
    planner, _ = llm_with(reply(status="refuse", reason="weather"))

    with pytest.raises(Refusal) as caught:
        planner.plan("what's the weather in Paris?", catalog, as_of=AS_OF)

    assert messages.CAN_ANSWER in caught.value.message


def test_a_failed_model_call_is_a_worded_plan_error(catalog):
    planner = LlmPlanner(BrokenChatModel(messages=iter([])))

    with pytest.raises(PlanError) as caught:
        planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    assert caught.value.message.startswith(
        "The language model could not be reached (it did not answer in time)."
    )
    assert "read timed out" not in caught.value.message
    assert "read timed out" in caught.value.details["error"]


def test_a_min_confidence_above_the_llms_refuses_instead_of_guessing(catalog):
    planner = LlmPlanner(ToolFakeChatModel(messages=iter([answer(ENGAGED)])), min_confidence=0.9)

    with pytest.raises(Refusal) as caught:
        planner.plan("how many engaged users?", catalog, as_of=AS_OF)

    assert caught.value.message == messages.LOW_CONFIDENCE


# -- auto: rules first ---------------------------------------------------------------------------


@dataclass
class FakeRules:
    """A rules planner that returns a fixed outcome or raises a fixed error."""

    outcome: PlanOutcome | None = None
    error: PlanError | None = None
    min_confidence: float = 0.6
    name: str = "rules"
    calls: list[str | None] = field(default_factory=list)

    def plan(self, question, catalog, *, as_of, choice=None) -> PlanOutcome:
        self.calls.append(choice)
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


RULES_PLAN = QueryPlan(intent=Intent.COUNT, segment=SegmentRef(name="pql"))


def test_auto_returns_confident_rules_without_asking_the_llm(catalog):
    rules = FakeRules(PlanOutcome(RULES_PLAN, 0.9, "rules"))
    llm, model = llm_with()

    outcome = AutoPlanner(rules, llm).plan("how many pqls?", catalog, as_of=AS_OF)

    assert outcome.planner == "rules" and outcome.plan == RULES_PLAN
    assert model.received == []


def test_auto_asks_the_llm_when_rules_are_not_confident(catalog):
    rules = FakeRules(PlanOutcome(RULES_PLAN, 0.3, "rules"))
    llm, model = llm_with(answer(ENGAGED))

    outcome = AutoPlanner(rules, llm).plan("how many regulars?", catalog, as_of=AS_OF)

    assert outcome.planner == "llm" and outcome.plan.segment.name == "engaged_users"
    assert len(model.received) == 1


def test_auto_asks_the_llm_when_rules_clarify_and_passes_the_choice(catalog):
    rules = FakeRules(error=ClarificationNeeded("which?", []))
    llm, model = llm_with(answer(ENGAGED))

    outcome = AutoPlanner(rules, llm).plan(
        "how many engaged?", catalog, as_of=AS_OF, choice="engaged_users"
    )

    assert outcome.planner == "llm"
    assert rules.calls == ["engaged_users"]
    assert "`engaged_users`" in model.received[0][1].content


def test_auto_keeps_the_rules_outcome_when_the_llm_fails(catalog):
    low = PlanOutcome(RULES_PLAN, 0.3, "rules")
    llm, _ = llm_with(answer(UNKNOWN_SEGMENT), answer(UNKNOWN_SEGMENT))

    assert AutoPlanner(FakeRules(low), llm).plan("pqls?", catalog, as_of=AS_OF) is low


def test_auto_reraises_the_rules_refusal_when_the_llm_fails(catalog):
    refusal = Refusal(messages.REFUSE_OFF_TOPIC, "off topic")
    llm = LlmPlanner(BrokenChatModel(messages=iter([])))

    with pytest.raises(Refusal) as caught:
        AutoPlanner(FakeRules(error=refusal), llm).plan("weather?", catalog, as_of=AS_OF)

    assert caught.value is refusal


def test_auto_lets_the_llms_own_clarification_stand(catalog):
    rules = FakeRules(error=Refusal(messages.LOW_CONFIDENCE, "low confidence"))
    llm, _ = llm_with(
        reply(status="clarify", candidates=["churn_risk:high", "lifecycle_stage:at_risk"])
    )

    with pytest.raises(ClarificationNeeded) as caught:
        AutoPlanner(rules, llm).plan("how many at risk?", catalog, as_of=AS_OF)

    assert len(caught.value.candidates) == 2


def test_auto_without_an_llm_behaves_exactly_like_rules(catalog):
    low = PlanOutcome(RULES_PLAN, 0.3, "rules")
    refusal = Refusal(messages.REFUSE_WRITE, "write request")

    assert AutoPlanner(FakeRules(low), None).plan("pqls?", catalog, as_of=AS_OF) is low
    with pytest.raises(Refusal) as caught:
        AutoPlanner(FakeRules(error=refusal), None).plan("drop users", catalog, as_of=AS_OF)
    assert caught.value is refusal
    assert AutoPlanner(FakeRules(low), None).name == "auto"
