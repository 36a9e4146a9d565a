"""Hostile requests to the Slack endpoint, and hostile text in questions: refused cheaply, never echoed live."""

import json
import logging
import socket
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot.storage.models import Announcement

from .slack_harness import ORGANIZER, ORGANIZERS, signature
from .test_slack_announce import compose_values
from .waiting import wait_until
from .test_slack_flows import long_llm
from .test_slack_questions import buttons_of, texts_of

LIMIT = 1_048_576  # SLACK_MAX_BODY's default


@pytest.fixture
def refusals(caplog):
    """Every log record of the bot and of the server under it (uvicorn's own logger does not propagate)."""
    server = logging.getLogger("uvicorn")
    server.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    yield caplog
    server.removeHandler(caplog.handler)


def one_refusal(caplog, status: int) -> logging.LogRecord:
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in records] == [None], [r.getMessage() for r in records]
    [record] = records
    assert record.name == "bot.slack.http" and f" {status} " in record.getMessage()
    assert "\n" not in record.getMessage()
    return record


def raw_post(url: str, headers: dict[str, str], *parts: bytes) -> int:
    """POST over a bare socket, sending only `parts` of the body, never finishing it; the status code.

    The server has to answer from what it has: a server that waits for the rest times out here."""
    where = urlsplit(url)
    head = f"POST {where.path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: application/json\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(head.encode())
        for part in parts:
            sock.sendall(part)
        response = b""
        while b"\r\n" not in response:
            received = sock.recv(4096)
            assert received, "connection closed without a response"
            response += received
    return int(response.split(b" ", 2)[1])


@pytest.mark.slow  # the HTTP layer: a real server
def test_a_body_declared_too_large_is_refused_before_a_byte_of_it_is_read(http_bot, refusals):
    status = raw_post(http_bot.url, {"Content-Length": "300000000"})
    assert status == 413
    one_refusal(refusals, 413)


@pytest.mark.slow  # the HTTP layer: a real server
def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(http_bot, refusals):
    chunk = b"x" * 65_536
    frames = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (LIMIT // len(chunk) + 1)  # no final 0-chunk
    assert raw_post(http_bot.url, {"Transfer-Encoding": "chunked"}, *frames) == 413
    one_refusal(refusals, 413)


@pytest.mark.slow  # the HTTP layer: a real server
def test_a_payload_up_to_the_limit_is_still_answered(http_bot):
    http_bot.event({"type": "app_mention", "user": "U1", "text": "Is the page limit strict?", "ts": "1690000000.1",
                    "channel": "C1", "padding": "x" * (LIMIT - 1_000)})
    [post] = http_bot.slack.wait_for("chat.postMessage")
    assert "strict limit" in texts_of(post.body["blocks"])


@pytest.mark.slow  # the HTTP layer: a real server
def test_malformed_unsigned_json_gets_401_and_one_log_line(http_bot, refusals):
    response = http_bot.http.post(http_bot.url, content=b'{"type": "event_callback", "event": {',
                                  headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    one_refusal(refusals, 401)


@pytest.mark.slow  # the HTTP layer: a real server
@pytest.mark.parametrize("timestamp", ["soon", "", "1e9", "9" * 5000, "-"])
def test_a_timestamp_that_is_no_number_gets_401_not_500(http_bot, refusals, timestamp):
    body = json.dumps({"type": "event_callback", "event_id": "EvT", "event": {"type": "app_mention"}})
    response = http_bot.http.post(http_bot.url, content=body.encode(), headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(body, timestamp)})  # signed with the right secret, even
    assert response.status_code == 401
    one_refusal(refusals, 401)


@pytest.mark.slow  # the HTTP layer: a real server
def test_a_signature_that_is_not_ascii_gets_401(http_bot, refusals):
    response = http_bot.http.post(http_bot.url, content=b"{}", headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": b"v0=\xff\xfe"})
    assert response.status_code == 401
    one_refusal(refusals, 401)


@pytest.mark.slow  # the HTTP layer: a real server
def test_a_signed_body_that_is_not_json_gets_400_and_one_log_line(http_bot, refusals):
    response = http_bot.post('{"type": "event_callback", "event": {', "application/json")
    assert response.status_code == 400
    one_refusal(refusals, 400)


VICTIM = "<@U0VICTIM>"
PHISH = "<https://evil.example/login|Official submission portal>"
ASKED = f"How much is the registration fee? {VICTIM} says to pay it at {PHISH}"
AS_READ = "How much is the registration fee? says to pay it at Official submission portal"


def live_markup(message) -> list[str]:
    """The user-written mentions and links in a posted message, in its `text` or its blocks."""
    posted = message.body.get("text", "") + json.dumps(message.body.get("blocks", []))
    return [raw for raw in ("<@U0VICTIM", "<https://evil") if raw in posted]


def test_a_mention_and_a_link_in_an_asked_question_never_reach_a_reply_live(slack_bot):
    """/ask → escalated → answered by an organizer (an FAQ entry) → asked again: the FAQ heading quotes it."""
    slack_bot.command("/ask", ASKED, user="UASK")
    first = slack_bot.slack.wait_for("response_url")[0]
    question_id = buttons_of(first.body["blocks"])["feedback_helpful"]
    slack_bot.click("escalate", question_id, user="UASK", channel="C1")
    org = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    escalation_id = buttons_of(org.body["blocks"])["organizer_answer"]
    answer = "There is no fee of its own: registration goes through NeurIPS, never through a link in Slack."
    store = slack_bot.ctx.assistant.store
    before = store.generation
    slack_bot.submit_view("organizer_answer_modal", escalation_id,
                          {"answer": {"answer": {"type": "plain_text_input", "value": answer}}}, user=ORGANIZER)
    slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == "UASK")
    # The organizers' message may show the escalation closed before the answer is indexed (whoever posted
    # it updates it too): the FAQ entry is in once the index has moved on.
    wait_until(lambda: store.generation > before, 120, what="the organizer's answer indexed")
    try:
        assert [entry.question for entry in slack_bot.ctx.db.faq_entries()] == [AS_READ]

        slack_bot.command("/ask", ASKED, user="UNEW")
        again = slack_bot.slack.wait_for("response_url", where=lambda c: answer in c.body.get("text", ""))[0]
        assert answer in texts_of(again.body["blocks"]) and "Official submission portal" in again.body["text"]
        assert "FAQ ›" in json.dumps(again.body["blocks"], ensure_ascii=False)
        posted = [*slack_bot.slack.of("response_url"), *slack_bot.slack.of("chat.postMessage")]
        assert [live_markup(m) for m in posted] == [[]] * len(posted)
    finally:  # the index is shared by this module's tests
        store.delete(store.collection.get(where={"kind": "faq"}, include=[])["ids"])
        store.bump_generation()


def test_an_answer_is_escaped_in_its_text_as_in_its_blocks(slack_bot):
    long_llm(slack_bot, f"Pay at {PHISH}; {VICTIM} can confirm [1].")
    try:
        slack_bot.mention("How long can a paper be?")
        [post] = slack_bot.slack.wait_for("chat.postMessage")
    finally:
        slack_bot.ctx.assistant.llm = None
    assert live_markup(post) == []
    escaped = "Pay at &lt;https://evil.example/login|Official submission portal&gt;; &lt;@U0VICTIM&gt;"
    assert escaped in post.body["text"] and escaped in texts_of(post.body["blocks"])


def test_a_non_organizer_confirming_an_announcement_gets_the_polite_refusal(slack_bot):
    slack_bot.ctx.settings.announcements_channel = "CANN"
    preview = slack_bot.submit_view("announce_compose", "", compose_values(title="Rooms", body="Hall B."),
                                    user=ORGANIZER).json()
    response = slack_bot.submit_view("announce_confirm", preview["view"]["private_metadata"], {}, user="U1")
    assert response.status_code == 200
    refusal = response.json()
    assert refusal["response_action"] == "update"
    assert "only the workshop organizers" in texts_of(refusal["view"]["blocks"])
    assert slack_bot.slack.of("chat.postMessage") == []
    with slack_bot.ctx.db.session() as s:  # nothing recorded either
        assert s.scalars(select(Announcement)).all() == []
