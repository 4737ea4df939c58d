"""The Slack surface: thin Bolt listeners around `Assistant.ask` and the Block Kit renderer.

Every listener acknowledges at once and works in a lazy listener (a Bolt worker thread), so
Slack's 3-second deadline holds on a long-running server and on FaaS
(`process_before_response=True`) alike. A question is answered in its own thread, with an
hourglass reaction while it runs. Slack re-delivers an event it thinks was lost; each question
is claimed once in the query log (shared by every process serving the bot), so it is answered
once. `segq slack --http` serves the app with waitress (`serving.py`).

Buttons carry the answer id. Recent answers (with their rows) stay in a bounded LRU, so
"Download CSV" uploads the very rows that were answered; an answer that has left memory is
re-run from the plan recorded in the query log. Nothing here reads the environment: the
`segq slack` command (the edge) passes tokens in.

    app.py        create_app and SlackBot: which listener answers which request
    questions.py  @mentions, DMs and `/segment`
    buttons.py    Show SQL, Show definition, Download CSV, votes, clarification choices
    answers.py    asking, the LRU of recent answers, lookups and re-runs from the query log
    replies.py    posting, charts, the hourglass, and the worded reply on any failure
    dedupe.py     Slack's retries and duplicate events, answered once
    serving.py    HTTP mode: Bolt's WSGI adapter on waitress, and a graceful stop
    client.py     make_client for a custom Web API URL
"""

from __future__ import annotations

from assistant.slack_app.answers import RECENT_ANSWERS, RECENT_ROWS
from assistant.slack_app.app import SlackBot, create_app
from assistant.slack_app.client import make_client
from assistant.slack_app.dedupe import SEEN_EVENTS
from assistant.slack_app.questions import NOT_POSTABLE, question_from_text
from assistant.slack_app.replies import HOURGLASS

__all__ = [
    "HOURGLASS",
    "NOT_POSTABLE",
    "RECENT_ANSWERS",
    "RECENT_ROWS",
    "SEEN_EVENTS",
    "SlackBot",
    "create_app",
    "make_client",
    "question_from_text",
]
