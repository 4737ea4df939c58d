"""`segq slack`: run the Slack bot, over Socket Mode (default) or HTTP (`--http`).

This is the edge: the only place the Slack variables are read. Socket Mode needs no public
URL (good behind a firewall); HTTP mode serves `/slack/events` with waitress, a production
WSGI server (`assistant/slack_app/serving.py`), and checks every request's signature with
SLACK_SIGNING_SECRET. Setup: docs/slack.md.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.config import Config
from assistant.errors import ConfigError

# Questions answered at once over HTTP; more wait their turn, already acked. Answering is mostly
# Python under the GIL, so more threads barely answer faster but slow every ack down: with 50
# mentions at once, 8 workers made the slowest ack 3x slower than 4 for the same throughput.
ANSWER_WORKERS = 4

BOT_TOKEN = "SLACK_BOT_TOKEN"
APP_TOKEN = "SLACK_APP_TOKEN"
SIGNING_SECRET = "SLACK_SIGNING_SECRET"
API_URL = "SEGQ_SLACK_API_URL"
EVENTS_PATH = "/slack/events"
PREFIXES = {BOT_TOKEN: "xoxb-", APP_TOKEN: "xapp-"}
WHAT = {
    BOT_TOKEN: "the bot token (OAuth & Permissions, starts with xoxb-)",
    APP_TOKEN: "an app-level token with connections:write (Basic Information, starts with xapp-)",
    SIGNING_SECRET: "the signing secret (Basic Information > App Credentials)",
}

log = logging.getLogger("segq.slack")


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    app_token: str | None
    signing_secret: str | None
    api_url: str | None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "slack",
        help="run the Slack bot (Socket Mode; --http for the Events API)",
        description="Answer @mentions, DMs and /segment in Slack. Socket Mode by default "
        f"({BOT_TOKEN} + {APP_TOKEN}); --http serves {EVENTS_PATH} ({BOT_TOKEN} + "
        f"{SIGNING_SECRET}). {API_URL} points the Web API elsewhere (e.g. a test server). "
        "Setup: docs/slack.md.",
    )
    p.add_argument(
        "--http",
        action="store_true",
        help=f"serve the Events API over HTTP at {EVENTS_PATH} instead of Socket Mode",
    )
    p.add_argument("--port", type=int, default=3000, help="HTTP port with --http (3000; 0: any)")
    p.add_argument(
        "--host", default="0.0.0.0", help="address to listen on with --http (0.0.0.0: all)"
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=ANSWER_WORKERS,
        help=f"questions answered at once with --http ({ANSWER_WORKERS}); the rest queue, acked",
    )
    p.set_defaults(handler=run)


def slack_settings(environ: Mapping[str, str], *, http: bool) -> SlackSettings:
    """The variables this mode needs, or one ConfigError naming every missing or wrong one."""
    needed = [BOT_TOKEN, SIGNING_SECRET] if http else [BOT_TOKEN, APP_TOKEN]
    problems = [
        f"{name} is not set: it should hold {WHAT[name]}."
        for name in needed
        if not environ.get(name, "").strip()
    ]
    for name, prefix in PREFIXES.items():
        value = environ.get(name, "").strip()
        if name in needed and value and not value.startswith(prefix):
            problems.append(f"{name} starts with `{value[:5]}`; it should hold {WHAT[name]}.")
    if problems:
        mode = "segq slack --http" if http else "segq slack"
        raise ConfigError(f"`{mode}` cannot start. " + " ".join(problems) + " See docs/slack.md.")
    return SlackSettings(
        bot_token=environ[BOT_TOKEN].strip(),
        app_token=environ.get(APP_TOKEN, "").strip() or None,
        signing_secret=environ.get(SIGNING_SECRET, "").strip() or None,
        api_url=environ.get(API_URL, "").strip() or None,
    )


def run(args: argparse.Namespace, config: Config, environ: Mapping[str, str] | None = None) -> int:
    from slack_bolt.error import BoltError

    from assistant.cli.ask import build_assistant
    from assistant.slack_app import create_app, make_client
    from assistant.slack_app.serving import answer_workers, http_server, serve

    settings = slack_settings(os.environ if environ is None else environ, http=args.http)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    assistant = build_assistant(config)
    _ = assistant.warehouse  # open (or build the demo) now, not on the first question
    client = make_client(settings.bot_token, settings.api_url)
    workers = answer_workers(args.workers) if args.http else None
    try:  # the app checks the bot token with auth.test right away
        app = create_app(
            assistant,
            client=client,
            signing_secret=settings.signing_secret,
            # Over HTTP, ack in the request thread: never behind answers waiting for a worker.
            process_before_response=args.http,
            listener_executor=workers,
        )
    except BoltError as exc:
        raise ConfigError(f"Slack did not accept {BOT_TOKEN}: {exc}") from None
    except OSError as exc:
        where = settings.api_url or "https://slack.com/api/"
        raise ConfigError(
            f"Slack's Web API at {where} cannot be reached ({exc}). Check the "
            f"network, or {API_URL} if you set it."
        ) from None
    if workers is not None:
        try:
            server = http_server(app, host=args.host, port=args.port, path=EVENTS_PATH)
        except OSError as exc:
            raise ConfigError(
                f"`segq slack --http` cannot listen on {args.host}:{args.port} ({exc}). "
                "Choose another --port or --host."
            ) from None
        log.info(
            "segq Slack bot: HTTP on http://%s:%s%s (waitress, %d answer workers)",
            server.effective_host,
            server.effective_port,
            EVENTS_PATH,
            args.workers,
        )
        serve(server, workers)
        return 0
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("segq Slack bot: connecting over Socket Mode")
    SocketModeHandler(app, settings.app_token).start()
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
