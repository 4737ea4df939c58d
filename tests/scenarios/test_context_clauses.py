"""Words read as the question's context are said in the answer, never silently dropped."""

from __future__ import annotations

from assistant.pipeline import Assistant


def test_a_purpose_clause_is_set_aside_and_said_so(config):
    answer = Assistant(config).ask("for the board deck: revenue in May")
    assert answer.status == "answered", answer.message
    assert answer.extra["set_aside"] == ["for the board deck"]
    assert '"for the board deck" as context' in answer.message


def test_what_the_asker_will_do_after_the_question_is_set_aside_and_said_so(config):
    answer = Assistant(config).ask("how many engaged users? deciding which teams get the "
                                   "next onboarding call")
    assert answer.status == "answered", answer.message
    assert answer.rows == Assistant(config).ask("how many engaged users?").rows
    assert answer.extra["set_aside"] == ["deciding which teams get the next onboarding call"]


def test_greetings_and_thanks_are_not_called_context(config):
    answer = Assistant(config).ask("hi team, how many PQLs? thanks so much")
    assert answer.status == "answered", answer.message
    assert "set_aside" not in answer.extra and "context" not in answer.message
