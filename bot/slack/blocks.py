"""Block Kit for every message the bot posts: answers, escalations, the modal, App Home.

Text that users, pages or an LLM wrote is escaped; limits are respected (3,000 characters a
section, 50 blocks, 10 context elements) and every message has a fallback `text`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextActionsBlock,
    ContextBlock,
    DateTimePickerElement,
    DividerBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.announcements.templates import Fields
from bot.assistant.answer import Answer
from bot.digest.review import KIND as DIGEST_REVIEW
from bot.inbound.answers import DRAFT_KIND as EMAIL_DRAFT
from bot.text.mrkdwn import SECTION_LIMIT, escape, link, localize_utc, split_sections
from bot.outbox.keys import RecordKey
from bot.storage.models import OutboxMessage

MAX_BLOCKS = 50
MAX_CONTEXT_ELEMENTS = 10
FALLBACK_LIMIT = 3000

# action_id → what the button does; listeners are registered on these ids.
HELPFUL, NOT_HELPFUL, ESCALATE, SHARE = "feedback_helpful", "feedback_not_helpful", "escalate", "share_answer"
AI_FEEDBACK = "feedback_ai"  # Slack's own feedback element, on answers in the assistant pane
ORGANIZER_ANSWER, ORGANIZER_RESOLVE = "organizer_answer", "organizer_resolve"
ANSWER_MODAL = "organizer_answer_modal"
DRAFT_ANNOUNCE, DRAFT_DISMISS = "draft_announce", "draft_dismiss"
EMAIL_SEND, EMAIL_EDIT, EMAIL_IGNORE = "email_reply_send", "email_reply_edit", "email_reply_ignore"
EMAIL_EDIT_MODAL = "email_reply_edit_modal"
DIGEST_EXCLUDE, DIGEST_INCLUDE = "digest_exclude", "digest_include"
ANNOUNCE_COMPOSE, ANNOUNCE_CONFIRM = "announce_compose", "announce_confirm"
ANNOUNCE_TEMPLATE = "announce_template"  # the compose modal's template select
DESTINATIONS = {"slack": "Announcements channel", "email": "Mailing list (email)"}  # the media /announce offers
MULTILINE_FIELDS = frozenset({"body"})


def fallback(mrkdwn: str) -> str:
    """A message's `text`, from mrkdwn already escaped: Slack renders it (and notifies with it)."""
    return mrkdwn if len(mrkdwn) <= FALLBACK_LIMIT else mrkdwn[: FALLBACK_LIMIT - 1] + "…"


def answer_fallback(answer: Answer) -> str:
    """The answer's `text`, escaped as its blocks are: it may quote what anyone asked (an FAQ heading)."""
    return fallback(escape(answer.text))


def text_sections(mrkdwn: str, room: int = MAX_BLOCKS) -> list[Block]:
    pieces = split_sections(mrkdwn)
    if len(pieces) > room:
        pieces = [*pieces[: room - 1], pieces[room - 1][:2900] + "\n_…(shortened)_"]
    return [SectionBlock(text=MarkdownTextObject(text=p)) for p in pieces]


def answer_blocks(answer: Answer, question_id: int, *, shareable: bool = False,
                  ai_feedback: bool = False) -> list[dict]:
    """The answer, its sources as links (with the edition), and what the reader can do next."""
    tail = answer_tail(answer, question_id, shareable=shareable, ai_feedback=ai_feedback)
    body = text_sections(localize_utc(escape(answer.text)), MAX_BLOCKS - len(tail))
    return [*(b.to_dict() for b in body), *tail]


def answer_tail(answer: Answer, question_id: int, *, shareable: bool = False,
                ai_feedback: bool = False) -> list[dict]:
    """What follows an answer's text (also below a streamed answer): its sources, and what the reader can
    do next. With `ai_feedback` (the assistant pane), Helpful / Not helpful are Slack's own feedback
    element for AI messages; elsewhere, buttons."""
    actions = [] if ai_feedback else [
        ButtonElement(text="Helpful", action_id=HELPFUL, value=str(question_id)),
        ButtonElement(text="Not helpful", action_id=NOT_HELPFUL, value=str(question_id)),
    ]
    if not answer.answered:
        actions.insert(0, ButtonElement(text="Ask an organizer", action_id=ESCALATE, value=str(question_id),
                                        style="primary"))
    if shareable:
        actions.append(ButtonElement(text="Share in channel", action_id=SHARE, value=str(question_id)))
    tail: list[Block] = []
    if answer.sources:
        labels = [
            f"[{n}] " + link(s.url, f"{s.title} › {s.section}" if s.section else s.title) + f" · {escape(s.edition)}"
            for n, s in enumerate(answer.sources[:MAX_CONTEXT_ELEMENTS], start=1)
        ]
        tail.append(ContextBlock(elements=[MarkdownTextObject(text=label) for label in labels]))
    if actions:
        tail.append(ActionsBlock(block_id=f"answer-{question_id}", elements=actions))
    if ai_feedback:
        tail.append(ContextActionsBlock(block_id=f"feedback-{question_id}", elements=[FeedbackButtonsElement(
            action_id=AI_FEEDBACK,
            positive_button=FeedbackButtonObject(text="Helpful", value=f"helpful:{question_id}"),
            negative_button=FeedbackButtonObject(text="Not helpful", value=f"not_helpful:{question_id}"))]))
    return [b.to_dict() for b in tail]


def notice_blocks(mrkdwn: str, *buttons: ButtonElement) -> list[dict]:
    blocks: list[Block] = text_sections(mrkdwn, MAX_BLOCKS - 1)
    if buttons:
        blocks.append(ActionsBlock(elements=list(buttons)))
    return [b.to_dict() for b in blocks]


def outbox_fallback(message: OutboxMessage) -> str:
    return fallback(json.loads(message.body)["text"] if message.kind == DIGEST_REVIEW else message.body)


def review_blocks(preview: str, excluded: Mapping[int, str]) -> list[dict]:
    """A digest preview (its outbox body): the heading, then each question with a button to exclude it,
    or, once excluded (entry id → by whom), to include it again."""
    shown = json.loads(preview)
    blocks: list[Block] = text_sections(shown["text"], MAX_BLOCKS - 2 * len(shown["entries"]))
    for entry in shown["entries"]:
        by = excluded.get(entry["id"])
        button = (ButtonElement(text="Include again", action_id=DIGEST_INCLUDE, value=str(entry["id"])) if by else
                  ButtonElement(text="Exclude", action_id=DIGEST_EXCLUDE, value=str(entry["id"]), style="danger"))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=entry["text"][:SECTION_LIMIT]), accessory=button))
        if by:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Excluded by <@{by}>")]))
    return [b.to_dict() for b in blocks]


def outbox_blocks(message: OutboxMessage) -> list[dict]:
    """An outbox row as posted: its text, and for a drafted announcement the organizers' two buttons."""
    if message.kind == DIGEST_REVIEW:
        return review_blocks(message.body, {})
    if message.kind == "extension_draft":  # the organizers decide with one click
        key = RecordKey.parse(message.key)
        assert key is not None  # draft_extension() queues these rows under draft_key()
        draft = str(key.id)
        return notice_blocks(message.body,
                             ButtonElement(text="Announce", action_id=DRAFT_ANNOUNCE, value=draft, style="primary"),
                             ButtonElement(text="Dismiss", action_id=DRAFT_DISMISS, value=draft))
    if message.kind == EMAIL_DRAFT:  # a reply to an email question, waiting for an organizer
        key = RecordKey.parse(message.key)
        assert key is not None  # queued under email_draft_key(), the reply row's id
        return email_draft_blocks(message.body, key.id)
    return notice_blocks(message.body)


def email_draft_blocks(mrkdwn: str, reply_id: int) -> list[dict]:
    """A drafted email reply: Send it as it is, Edit it first, or Ignore it (the buttons carry the reply's row)."""
    row = str(reply_id)
    return notice_blocks(mrkdwn,
                         ButtonElement(text="Send", action_id=EMAIL_SEND, value=row, style="primary"),
                         ButtonElement(text="Edit", action_id=EMAIL_EDIT, value=row),
                         ButtonElement(text="Ignore", action_id=EMAIL_IGNORE, value=row))


def email_edit_modal(reply_id: int, answer: str, place: str) -> dict:
    """The drafted reply's text to edit; submitting sends it. `place` (channel and ts of the draft's message,
    for updating it) travels in the metadata with the row id."""
    return View(
        type="modal",
        callback_id=EMAIL_EDIT_MODAL,
        private_metadata=json.dumps({"row": reply_id, "place": place}),
        title="Edit the reply",
        submit="Send",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id="answer",
                label="The answer (sent by email, with the sources; it also joins the FAQ)",
                element=PlainTextInputElement(action_id="answer", multiline=True, max_length=2900,
                                              initial_value=answer[:2900] or None),
            ),
        ],
    ).to_dict()


def escalate_button(question_id: int) -> ButtonElement:
    return ButtonElement(text="Ask an organizer", action_id=ESCALATE, value=str(question_id), style="primary")


def escalation_blocks(mrkdwn: str, escalation_id: int, permalink: str | None) -> list[dict]:
    blocks: list[Block] = text_sections(mrkdwn, MAX_BLOCKS - 2)
    if permalink:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=link(permalink, "Open the question"))]))
    blocks.append(ActionsBlock(block_id=f"escalation-{escalation_id}", elements=[
        ButtonElement(text="Answer", action_id=ORGANIZER_ANSWER, value=str(escalation_id), style="primary"),
        ButtonElement(text="Mark resolved", action_id=ORGANIZER_RESOLVE, value=str(escalation_id)),
    ]))
    return [b.to_dict() for b in blocks]


def answer_modal(escalation_id: int, question: str) -> dict:
    return View(
        type="modal",
        callback_id=ANSWER_MODAL,
        private_metadata=str(escalation_id),
        title="Answer the question",
        submit="Post answer",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=split_sections("> " + escape(question), 2900)[0])),
            InputBlock(
                block_id="answer",
                label="Your answer (posted in the asker's thread and added to the FAQ)",
                element=PlainTextInputElement(action_id="answer", multiline=True, max_length=2900),
            ),
        ],
    ).to_dict()


def field_block(name: str) -> str:
    """The compose modal's input for a template field: the same id in every template, so Slack keeps
    what was typed in a field two templates share when the organizer switches between them."""
    return f"field-{name}"


def announce_modal(templates: list[str], template: str, fields: Fields) -> dict:
    """Compose: the template (choosing another shows its fields), one input per field (optional ones
    optional, `body` multiline), destinations, an optional time."""
    return View(
        type="modal", callback_id=ANNOUNCE_COMPOSE, title="Announce", submit="Preview", close="Cancel",
        blocks=[
            InputBlock(block_id="template", label="Template", dispatch_action=True, element=StaticSelectElement(
                action_id=ANNOUNCE_TEMPLATE, initial_option=Option(value=template, label=template),
                options=[Option(value=t, label=t) for t in templates])),
            *(InputBlock(block_id=field_block(name), label=name, optional=name in fields.optional,
                         element=PlainTextInputElement(action_id=name, multiline=name in MULTILINE_FIELDS))
              for name in fields.order),
            InputBlock(block_id="destinations", label="Send to", element=CheckboxesElement(
                action_id="destinations", options=[Option(value=m, label=label) for m, label in DESTINATIONS.items()],
                initial_options=[Option(value="slack", label=DESTINATIONS["slack"])])),
            InputBlock(block_id="at", label="Send at (leave empty for now)", optional=True,
                       element=DateTimePickerElement(action_id="at")),
        ],
    ).to_dict()


def announce_preview(heading: str, slack: str | None, email: str | None, metadata: str) -> dict:
    """Confirm: when and where, then exactly what each destination will get (`heading` and `email` are
    mrkdwn; `slack` the message as posted)."""
    blocks: list[Block] = text_sections(heading, 1)
    if slack is not None:
        blocks += text_sections(slack, (MAX_BLOCKS - 2) // 2 if email is not None else MAX_BLOCKS - 1)
    if email is not None:
        blocks += [DividerBlock(), *text_sections(email, MAX_BLOCKS - len(blocks) - 1)]
    return View(type="modal", callback_id=ANNOUNCE_CONFIRM, title="Announce", submit="Send", close="Back",
                private_metadata=metadata, blocks=blocks).to_dict()


def notice_modal(title: str, mrkdwn: str) -> dict:
    """A modal that only says something (a refusal), with nothing to submit."""
    return View(type="modal", title=title, close="Close", blocks=text_sections(mrkdwn, MAX_BLOCKS)).to_dict()


def home_view(parts: list[str]) -> dict:
    blocks: list[Block] = []
    for i, part in enumerate(parts):
        if i:
            blocks.append(DividerBlock())
        blocks.extend(text_sections(part, MAX_BLOCKS - len(blocks)))
    return View(type="home", blocks=blocks[:MAX_BLOCKS]).to_dict()
