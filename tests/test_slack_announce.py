"""/announce: organizers only; compose in a modal with one input per template field, preview, send once,
to the channel and the mailing list; others are refused."""

import email
import email.policy
from pathlib import Path

from sqlalchemy import select

from bot.storage.models import Announcement, OutboxMessage, OutboxStatus

from .reminder_harness import keys_posted
from .slack_harness import ORGANIZER
from .waiting import wait_until

LIST = "mlforsystems@googlegroups.com"


def compose_values(template: str = "general", to: tuple[str, ...] = ("slack",), **fields: str | None) -> dict:
    """The compose modal's state as Slack submits it: one input per field of `template`."""
    return {"template": {"announce_template": {"type": "static_select", "selected_option": {"value": template}}},
            **{f"field-{name}": {name: {"type": "plain_text_input", "value": value}} for name, value in fields.items()},
            "destinations": {"destinations": {"type": "checkboxes",
                                              "selected_options": [{"value": medium} for medium in to]}},
            "at": {"at": {"type": "datetimepicker", "selected_date_time": None}}}


def choose_template(slack_bot, template: str, *, user: str = ORGANIZER):
    """The organizer picks another template in the open compose modal (a block action in a view)."""
    return slack_bot.interact({
        "type": "block_actions", "user": {"id": user}, "trigger_id": "t2",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "hash": "h-before", "type": "modal", "callback_id": "announce_compose",
                 "state": {"values": compose_values(template)}},
        "actions": [{"type": "static_select", "action_id": "announce_template", "block_id": "template",
                     "selected_option": {"value": template}}],
    })


def inputs(view: dict) -> list[tuple[str, bool, bool]]:
    """(block id, optional, multiline) of each input the modal shows."""
    return [(b["block_id"], b.get("optional", False), b["element"].get("multiline", False))
            for b in view["blocks"] if b["type"] == "input"]


def texts(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


def test_announce_modal_preview_then_send(slack_bot):
    settings = slack_bot.ctx.settings
    settings.announcements_channel = "CANN"

    slack_bot.command("/announce", "", user="U1")
    assert "only the workshop organizers" in slack_bot.slack.wait_for("response_url")[0].body["text"]
    assert slack_bot.slack.of("views.open") == []

    slack_bot.command("/announce", "", user=ORGANIZER)
    modal = slack_bot.slack.wait_for("views.open")[0].body["view"]
    assert modal["callback_id"] == "announce_compose"
    select_block = modal["blocks"][0]
    assert select_block["dispatch_action"] is True
    assert [o["value"] for o in select_block["element"]["options"]] == ["deadline_extended", "general"]
    assert select_block["element"]["initial_option"]["value"] == "deadline_extended"  # the first, with its fields
    assert inputs(modal) == [("template", False, False), ("field-deadline", False, False),
                             ("field-new_date", False, False), ("field-old_date", False, False),
                             ("field-note", True, False), ("destinations", False, False), ("at", True, False)]
    destinations = modal["blocks"][-2]["element"]
    assert [(o["value"], o["text"]["text"]) for o in destinations["options"]] == [
        ("slack", "Announcements channel"), ("email", "Mailing list (email)")]
    assert [o["value"] for o in destinations["initial_options"]] == ["slack"]

    missing = slack_bot.submit_view("announce_compose", "", compose_values(title="Rooms", body=None),
                                    user=ORGANIZER).json()
    assert missing == {"response_action": "errors",
                       "errors": {"field-body": "template 'general' needs --var for: body"}}  # on its input

    fields = compose_values(title="Poster <session> moves", body="Now in Hall B & C.")
    preview = slack_bot.submit_view("announce_compose", "", fields, user=ORGANIZER).json()
    assert preview["response_action"] == "push" and preview["view"]["callback_id"] == "announce_confirm"
    shown = texts(preview["view"])
    assert shown.startswith("*Preview*: sent now to <#CANN>.")
    assert "Poster &lt;session&gt; moves" in shown and "Hall B &amp; C." in shown and "By email" not in shown

    sent = slack_bot.submit_view("announce_confirm", preview["view"]["private_metadata"], {}, user=ORGANIZER)
    assert sent.json() == {"response_action": "clear"}
    [post] = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == "CANN")
    assert "*Poster &lt;session&gt; moves*" in post.body["text"]
    assert keys_posted(slack_bot.slack, "CANN") == ["announcement:1"]


def test_choosing_another_template_shows_its_fields(slack_bot):
    assert choose_template(slack_bot, "general").status_code == 200
    [update] = slack_bot.slack.wait_for("views.update")
    assert (update.body["view_id"], update.body["hash"]) == ("V1", "h-before")
    view = update.body["view"]
    assert view["callback_id"] == "announce_compose"
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "general"
    assert inputs(view) == [("template", False, False), ("field-title", False, False), ("field-body", False, True),
                            ("destinations", False, False), ("at", True, False)]

    choose_template(slack_bot, "deadline_extended")
    back = slack_bot.slack.wait_for("views.update", 2)[1].body["view"]
    assert [block for block, *_ in inputs(back)][1:5] == ["field-deadline", "field-new_date", "field-old_date",
                                                           "field-note"]


def test_a_non_organizer_choosing_a_template_is_refused(slack_bot):
    choose_template(slack_bot, "general", user="U1")
    [update] = slack_bot.slack.wait_for("views.update")
    assert "callback_id" not in update.body["view"] and "submit" not in update.body["view"]
    assert "only the workshop organizers" in texts(update.body["view"])


def test_an_announcement_to_the_channel_and_the_mailing_list(slack_bot):
    settings = slack_bot.ctx.settings
    settings.announcements_channel, settings.mailing_list, settings.mail_from = "CANN", LIST, "bot@mlforsystems.org"
    values = compose_values("deadline_extended", ("slack", "email"), deadline="Camera-ready",
                            new_date="September 5, 2025", old_date="August 29, 2025", note=None)
    preview = slack_bot.submit_view("announce_compose", "", values, user=ORGANIZER).json()
    shown = texts(preview["view"])
    assert shown.startswith(f"*Preview*: sent now to <#CANN> and the mailing list ({LIST}).")

    slack_bot.submit_view("announce_confirm", preview["view"]["private_metadata"], {}, user=ORGANIZER)
    [post] = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == "CANN")
    assert "*Camera-ready extended* to *September 5, 2025*" in post.body["text"]

    def sent() -> list[OutboxMessage]:
        rows = slack_bot.ctx.outbox.of_key("announcement:1")
        return rows if rows and all(r.status == OutboxStatus.SENT for r in rows) else []

    rows = wait_until(sent, 30, what="both rows of the announcement sent")
    assert sorted(r.destination for r in rows) == ["email", "slack:CANN"]
    [mailed] = [r for r in rows if r.destination == "email"]
    raw = Path(mailed.external_id).read_bytes()  # no SMTP_HOST: the .eml under BOT_DATA_DIR/outbox/mail
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert (mail["To"], mail["From"]) == (LIST, "bot@mlforsystems.org")
    assert "Camera-ready" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "September 5, 2025" in text and "August 29, 2025" in text
    assert f"*By email*, subject: {mail['Subject']}\n> " in shown  # the preview showed the email as sent
    previewed = [line[2:] for line in shown.splitlines() if line.startswith("> ") and line[2:].strip()]
    sent_words = " ".join(text.split())  # the email's text is wrapped at 72 columns
    assert previewed and all(" ".join(line.split()) in sent_words for line in previewed)  # as sent, in the layout


def test_email_without_a_mailing_list_is_refused_on_the_destinations(slack_bot):
    settings = slack_bot.ctx.settings
    settings.announcements_channel, settings.mailing_list = "CANN", ""
    values = compose_values(to=("slack", "email"), title="Rooms", body="Hall B.")
    refused = slack_bot.submit_view("announce_compose", "", values, user=ORGANIZER).json()
    assert refused == {"response_action": "errors",
                       "errors": {"destinations": "email: MAILING_LIST is not set: nowhere to send"}}
    slack_bot.settle()
    with slack_bot.ctx.db.session() as s:  # nothing stored, nothing queued, nothing posted
        assert s.scalars(select(Announcement)).all() == [] and s.scalars(select(OutboxMessage)).all() == []
    assert slack_bot.slack.of("chat.postMessage") == []
