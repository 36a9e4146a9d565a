"""/announce: organizers only; compose in a modal, preview, send once; others are refused."""

import json

from .reminder_harness import keys_posted
from .slack_harness import ORGANIZER


def compose_values(fields: str) -> dict:
    return {"template": {"template": {"type": "static_select", "selected_option": {"value": "general"}}},
            "fields": {"fields": {"type": "plain_text_input", "value": fields}},
            "destinations": {"destinations": {"type": "checkboxes", "selected_options": [{"value": "slack"}]}},
            "at": {"at": {"type": "datetimepicker", "selected_date_time": None}}}


def test_announce_modal_preview_then_send(slack_bot):
    settings = slack_bot.ctx.settings
    settings.announcements_channel = "CANN"

    slack_bot.command("/announce", "", user="U1")
    assert "only the workshop organizers" in slack_bot.slack.wait_for("response_url")[0].body["text"]
    assert slack_bot.slack.of("views.open") == []

    slack_bot.command("/announce", "", user=ORGANIZER)
    modal = slack_bot.slack.wait_for("views.open")[0].body["view"]
    assert modal["callback_id"] == "announce_compose"
    options = modal["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == ["deadline_extended", "general"]

    missing = slack_bot.submit_view("announce_compose", "", compose_values("title=Rooms"), user=ORGANIZER).json()
    assert missing == {"response_action": "errors", "errors": {"fields": "template 'general' needs --var for: body"}}

    fields = "title=Poster <session> moves\nbody=Now in Hall B & C."
    preview = slack_bot.submit_view("announce_compose", "", compose_values(fields), user=ORGANIZER).json()
    assert preview["response_action"] == "push" and preview["view"]["callback_id"] == "announce_confirm"
    shown = json.dumps(preview["view"]["blocks"])
    assert "Poster &lt;session&gt; moves" in shown and "Hall B &amp; C." in shown

    sent = slack_bot.submit_view("announce_confirm", preview["view"]["private_metadata"], {}, user=ORGANIZER)
    assert sent.json() == {"response_action": "clear"}
    [post] = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == "CANN")
    assert "*Poster &lt;session&gt; moves*" in post.body["text"]
    assert keys_posted(slack_bot.slack, "CANN") == ["announcement:1"]
