"""A scripted day and a half of questions for the workbench tests, through the real surfaces.

The models are a copy of `semantic_models/` in a fresh git repository (so history has
commits and authors). Stakeholders ask in Slack through the Slack app's own answering layer
(`assistant.slack_app.answers.Answers`: what the Bolt listeners call, recording
source=slack, user, channel and thread) and vote on answers; a clarification is resolved by a
choice in its thread, another is abandoned; the data team asks on the CLI path. Halfway
through, `engaged_users`'s default changes from 3 to 2 logins a week with a version bump,
committed by "Dana Data"; later answers use version 2. Two eval runs of a small suite, the
second with one gold changed, give a regression and a fix.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from assistant.cli import build_parser
from assistant.config import Config, load_config
from assistant.pipeline import Assistant
from assistant.querylog import QueryLog
from assistant.slack_app.answers import Answers
from assistant.slack_app.identity import SlackDirectory
from tests.llm_stub import LlmStub, _handler
from tests.slack_mock import MockSlackApi

REPO = Path(__file__).resolve().parents[1]
CHANNEL = "C0WORKBENCH"
ALICE, BOB, CARA = "U0ALICE", "U0BOB", "U0CARA"

EVAL_SUITE = """
- id: engaged-count
  question: how many engaged users?
  expect: {{sql: "{engaged_gold}"}}
- id: weather
  question: what's the weather in Paris?
  expect: {{status: {weather_status}}}
- id: define-engaged
  question: how do we define engaged users?
  expect: {{definition: engaged_users}}
"""


@contextmanager
def llm_stub_server() -> Iterator[LlmStub]:
    """`tests.llm_stub` for a whole module (its fixture lives for one test only)."""
    stub = LlmStub()
    server = ThreadingHTTPServer((stub.host, 0), _handler(stub))
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def git(repo: Path, *args: str, author: str = "Sam Seed <sam@example.com>",
        when: str | None = None) -> None:
    """git in `repo` as `author`, dated `when` (ISO) if given, with no user config."""
    name, email = author[:-1].split(" <")
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def models_repo(root: Path, when: str | None = None) -> Path:
    """A git repository whose `semantic_models/` is a copy of the product's, one commit."""
    repo = root / "models-repo"
    shutil.copytree(REPO / "semantic_models", repo / "semantic_models")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Governed definitions as shipped", when=when)
    return repo


def edit_engaged_default(models: Path, new_default: int, *, bump: bool) -> None:
    path = models / "engaged_users.yml"
    text = path.read_text()
    text = text.replace("        default: 3\n        min: 1\n        max: 50",
                        f"        default: {new_default}\n        min: 1\n        max: 50", 1)
    if bump:
        text = text.replace("    version: 1\n", "    version: 2\n", 1)
    path.write_text(text)


class Clock:
    """Each write 97 minutes after the last, from 2026-07-01 08:00 UTC: two days of traffic."""

    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=97)
        return self.now


@dataclass
class Session:
    config: Config
    models: Path
    log_path: Path
    ids: dict[str, str] = field(default_factory=dict)
    eval_runs: list[str] = field(default_factory=list)


def run_session(root: Path, warehouse: Path, llm: Any = None) -> Session:
    """The scripted session; with `llm` (the `llm_stub` fixture) one Slack question is planned
    by the `auto` planner's llm, which drops the question's period (a likely-wrong answer).

    Alice, Bob and Cara are on the data team: the bot learns it from Slack (users.info and
    usergroups.list on a local MockSlackApi), as the demo access policy expects."""
    slack = MockSlackApi().start()
    slack.usergroups[0]["users"] = [ALICE, BOB, CARA]
    directory = SlackDirectory(WebClient(token="xoxb-test", base_url=slack.url + "/"))
    try:
        return _run_session(root, warehouse, llm, directory)
    finally:
        slack.stop()


def _run_session(root: Path, warehouse: Path, llm: Any, directory: SlackDirectory) -> Session:
    repo = models_repo(root)
    models = repo / "semantic_models"
    log_path = root / "querylog.sqlite3"
    config = load_config(environ={"SEGQ_WAREHOUSE": str(warehouse),
                                  "SEGQ_SEMANTIC_MODELS": str(models),
                                  "SEGQ_QUERY_LOG": str(log_path)})
    log = QueryLog(log_path, clock=Clock())
    # the bot restarts after the edit
    bot = [Answers(Assistant(config, query_log=log), directory=directory)]
    session = Session(config, models, log_path)
    ts = iter(f"1751356800.{n:06d}" for n in range(1, 1000))

    def in_slack(key: str, question: str, user: str, thread: str | None = None,
                 choice: str | None = None) -> str:
        thread = thread or next(ts)
        answer = bot[0].ask(question, user=user, channel=CHANNEL, thread_ts=thread,
                            choice=choice)
        bot[0].set_thread(answer, CHANNEL, thread)
        session.ids[key] = answer.id
        session.ids[key + ":thread"] = thread
        return answer.id

    def on_cli(key: str, question: str) -> None:
        session.ids[key] = bot[0].assistant.ask(question, source="cli").id

    in_slack("engaged_v1", "how many engaged users do we have?", ALICE)
    bot[0].add_feedback(session.ids["engaged_v1"], "up", BOB)
    in_slack("at_risk_clarify", "how many at risk users?", BOB)
    in_slack("at_risk_chosen", "how many at risk users?", BOB,
             thread=session.ids["at_risk_clarify:thread"], choice="lifecycle_stage:at_risk")
    in_slack("per_seat_clarify", "orders in May 2026 per seat", CARA)
    in_slack("ltv", "what is the lifetime value of champions?", CARA)
    bot[0].add_feedback(session.ids["ltv"], "down", CARA)
    in_slack("at_risk_q1", "show me users in the at-risk lifecycle stage who signed up in Q1",
             ALICE)
    bot[0].add_feedback(session.ids["at_risk_q1"], "down", ALICE)
    in_slack("lifecycle_counts", "how many users in each lifecycle stage?", BOB)
    on_cli("weather", "what's the weather in Paris?")
    on_cli("flurbles", "how many flurbles signed up in Q1")
    on_cli("empty", "how many enterprise users in JP signed up in June 2026 from partner")
    if llm is not None:
        plan = {"intent": "metric", "metric": {"name": "orders"}}  # May 2026 dropped
        llm.queue_tool_call("LlmReply", {"status": "answer", "reason": "", "candidates": [],
                                         "plan": plan})
        auto = config.replace(planner="auto", openai_api_key="test-key",
                              openai_base_url=llm.base_url)
        saved, bot[0] = bot[0], Answers(Assistant(auto, query_log=log), directory=directory)
        in_slack("llm_orders", "orders in May 2026 per seat", CARA)
        bot[0] = saved

    edit_engaged_default(models, 2, bump=True)
    git(repo, "commit", "-q", "-am", "Engaged: 2 logins a week is enough",
        author="Dana Data <dana@example.com>")
    bot[0] = Answers(Assistant(config, query_log=log), directory=directory)
    in_slack("engaged_v2", "how many engaged users do we have?", ALICE)
    in_slack("lifecycle_v2", "how many users in each lifecycle stage?", BOB)
    bot[0].add_feedback(session.ids["lifecycle_v2"], "down", BOB)
    on_cli("revenue", "revenue from champions in Q2")
    session.eval_runs = [eval_run(root, config, log_path, first=True),
                         eval_run(root, config, log_path, first=False)]
    return session


def eval_run(root: Path, config: Config, log_path: Path, *, first: bool, logins: int = 8
             ) -> str:
    """One `segq eval` run; the first has a wrong gold for engaged, the second a wrong status
    for the weather case, so run 2 fixes one case and regresses another. `logins` is what
    engaged needs in 28 days under the models in use (8 after the session's edit)."""
    engaged = "SELECT 1 AS n" if first else (
        "SELECT count(*) FROM (SELECT user_id FROM events WHERE event_name = 'login' AND "
        "CAST(event_at AS DATE) > DATE '2026-06-30' - 28 AND CAST(event_at AS DATE) <= "
        f"DATE '2026-06-30' GROUP BY user_id HAVING count(*) >= {int(logins)})")
    suite = root / f"suite-{'a' if first else 'b'}.yaml"
    suite.write_text(EVAL_SUITE.format(engaged_gold=engaged,
                                       weather_status="refused" if first else "clarify"))
    before = {r["eval_run"] for r in QueryLog(log_path).eval_runs()}
    args = build_parser().parse_args(["eval", str(suite)])
    args.handler(args, config)
    after = {r["eval_run"] for r in QueryLog(log_path).eval_runs()}
    (run,) = after - before
    return run
