"""`segq slack`: the variables each mode needs, and the manifest matching what the code calls."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.cli import build_parser
from assistant.cli.slack import slack_settings
from assistant.errors import ConfigError

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"
SOCKET = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}


def test_socket_mode_needs_bot_and_app_tokens() -> None:
    settings = slack_settings(
        {**SOCKET, "SEGQ_SLACK_API_URL": "http://127.0.0.1:9/api"}, http=False
    )
    assert (settings.bot_token, settings.app_token) == ("xoxb-1", "xapp-1")
    assert settings.api_url == "http://127.0.0.1:9/api"


def test_missing_app_token_is_named() -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set") as error:
        slack_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, http=False)
    assert "SLACK_BOT_TOKEN" not in error.value.message


def test_http_mode_needs_the_signing_secret_not_the_app_token() -> None:
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        slack_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, http=True)
    settings = slack_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, http=True)
    assert settings.signing_secret == "s" and settings.app_token is None


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        slack_settings({}, http=False)
    assert "SLACK_BOT_TOKEN is not set" in error.value.message
    assert "SLACK_APP_TOKEN is not set" in error.value.message


def test_tokens_swapped_are_caught() -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN starts with `xoxb-`"):
        slack_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, http=False)


def test_segq_slack_parses_http_and_port() -> None:
    args = build_parser().parse_args(["slack", "--http", "--port", "8080"])
    assert (args.http, args.port) == (True, 8080)
    assert build_parser().parse_args(["slack"]).http is False


def test_segq_slack_http_listens_on_every_address_with_four_answer_workers_by_default() -> None:
    args = build_parser().parse_args(["slack", "--http"])
    assert (args.host, args.port, args.workers) == ("0.0.0.0", 3000, 4)
    args = build_parser().parse_args(["slack", "--http", "--host", "127.0.0.1", "--workers", "2"])
    assert (args.host, args.workers) == ("127.0.0.1", 2)


def test_segq_slack_refuses_zero_answer_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["slack", "--http", "--workers", "0"])
    assert "must be 1 or more" in capsys.readouterr().err


def test_manifest_grants_what_the_bot_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",
        "assistant:write",  # the assistant pane's suggested prompts
        "chat:write",
        "commands",
        "im:history",
        "im:read",
        "im:write",
        "reactions:write",
        "files:write",
        "users:read",  # users.info: who asked (access policy, docs/access.md)
        "users:read.email",  # their profile email, matched by `emails` and `domains`
        "usergroups:read",  # usergroups.list: their Slack user groups
    }
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "app_home_opened", "assistant_thread_started"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/segment"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
