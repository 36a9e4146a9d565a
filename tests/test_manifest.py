"""The manifest an organizer pastes must grant what the code uses and subscribe to what it handles."""

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parent.parent / "deploy" / "slack-app-manifest.yaml"


def test_manifest_grants_and_subscribes_what_the_bot_uses():
    manifest = yaml.safe_load(MANIFEST.read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels", "app_home_opened"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history", "channels:history", "channels:read",
            "usergroups:read"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_the_assistant_pane_is_declared_with_its_scope_and_events():
    manifest = yaml.safe_load(MANIFEST.read_text())
    view = manifest["features"]["assistant_view"]
    assert view["assistant_description"] and all({"title", "message"} == set(p) for p in view["suggested_prompts"])
    assert "assistant:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert {"assistant_thread_started", "assistant_thread_context_changed", "message.im"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"])


def test_every_command_in_the_manifest_is_handled(slack_bot):
    commands = [c["command"] for c in yaml.safe_load(MANIFEST.read_text())["features"]["slash_commands"]]
    assert commands == ["/ask", "/workshop-bot", "/announce"]
    for command in commands:
        assert slack_bot.command(command, "").status_code == 200  # Bolt answers 404 to unhandled ones
    usage = [c.body["text"] for c in slack_bot.slack.wait_for("response_url", 3)]
    assert any("/ask When is the submission deadline?" in u for u in usage)
    assert any("`/workshop-bot stats`" in u for u in usage)
