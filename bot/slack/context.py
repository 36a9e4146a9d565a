"""What every Slack listener needs: the assistant, the database, templates, who organizes.

The assistant and the database come from `parts`: built when first used, or, while `serve` is still
loading them, waited for. A request is acknowledged before its listener asks for the assistant, so
an event that arrives during the start is answered once it is ready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.events.channels import channel_of
from bot.parts import Parts
from bot.templates import render

if TYPE_CHECKING:  # loaded by `parts`, in the background while `serve` starts
    from bot.assistant.answer import Answer
    from bot.assistant.assistant import Assistant
    from bot.knowledge.editions import Edition, Editions
    from bot.outbox.ledger import Outbox
    from bot.outbox.sender import Sender
    from bot.storage.db import Database

GROUP_CACHE_SECONDS = 300
T = TypeVar("T")


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener threads, counting the work in flight, so that whoever stops the bot (or checks
    that a request led to nothing) can wait until every accepted request has been handled."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers, thread_name_prefix="slack")
        self._busy = 0
        self._changed = threading.Condition()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._changed:
            self._busy += 1

        def counted() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._changed:
                    self._busy -= 1
                    self._changed.notify_all()

        return super().submit(counted)

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout)


@dataclass
class SlackContext:
    settings: Settings
    parts: Parts
    answering: ThreadPoolExecutor = field(init=False)
    listeners: ListenerPool = field(init=False)
    _group: tuple[float, frozenset[str]] = (0.0, frozenset())  # (fetched at, members) of ORGANIZER_GROUP
    _public: dict[str, bool] = field(default_factory=dict)  # channel id → anyone in the workspace can read it
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.answering = ThreadPoolExecutor(self.settings.answer_workers, thread_name_prefix="answer")
        self.listeners = ListenerPool(self.settings.slack_workers)

    @property
    def editions(self) -> Editions:
        """At once: the editions need neither the model nor the index."""
        return self.parts.registry.editions

    @property
    def assistant(self) -> Assistant:
        return self.parts.assistant

    def edition_viewed(self, channel: str | None, client: WebClient) -> Edition | None:
        """The edition someone looking at `channel` most likely asks about: the one whose own channel it
        is (its event.yaml's), when the bot is a member there; else the default edition. A channel the
        bot is not in, or that several editions share, says nothing."""
        if channel is None:
            return self.editions.default
        owners = [edition for edition in self.editions.items if channel in {
            channel_of(edition.event, self.settings), channel_of(edition.event, self.settings, "workshop")}]
        if len(owners) == 1:
            try:
                if client.conversations_info(channel=channel)["channel"].get("is_member"):
                    return owners[0]
            except SlackApiError:
                pass
        return self.editions.default

    def answer(self, question: str, history: list[str] | None = None,
               on_text: Callable[[str], None] | None = None) -> Future[Answer]:
        """The answer, computed by a worker process (ANSWER_PROCESSES), else by one of this process's threads.
        At once: while the bot still loads, the answer waits for the assistant (or the workers), not the
        caller, who shows a placeholder meanwhile. `on_text` receives a model's answer as it is written
        (in this process only: a worker's answer arrives whole)."""
        if not self.settings.answer_processes:
            return self.answering.submit(lambda: self.assistant.ask(question, history=history, on_text=on_text))

        def in_a_worker() -> Answer:
            processes = self.parts.answer_processes
            assert processes is not None  # ANSWER_PROCESSES is set
            return processes.submit(question, history).result()

        return self.answering.submit(in_a_worker)

    @property
    def db(self) -> Database:
        return self.parts.db

    @property
    def outbox(self) -> Outbox:
        return self.parts.outbox

    @property
    def sender(self) -> Sender:
        """Sends what organizers approve or announce, through the outbox."""
        return self.parts.sender

    def show_closed(self, client: WebClient, escalation_id: int) -> None:
        """If the escalation is closed, its organizers' message loses its buttons and says who closed it.

        Its poster (storing where the message is) and an organizer (closing it) may act at the same
        moment: each calls this after its own write, and it reads the escalation afresh, so whichever
        of the two comes second sees both and updates the message."""
        from bot.slack.blocks import fallback, notice_blocks
        from bot.storage.models import EscalationStatus

        escalation = self.db.escalation(escalation_id)
        if escalation is None or escalation.status == EscalationStatus.OPEN:
            return
        if escalation.organizers_channel and escalation.organizers_ts:
            text = self.text("escalation_closed", status=escalation.status, by=escalation.closed_by,
                             answer=escalation.answer or "")
            client.chat_update(channel=escalation.organizers_channel, ts=escalation.organizers_ts,
                               text=fallback(text), blocks=notice_blocks(text))

    def text(self, template: str, **context: object) -> str:
        return render(self.settings.prompts_dir, f"slack/{template}.md.j2", **context)

    def is_public(self, channel: str, client: WebClient) -> bool:
        """Whether a channel is public (asked once per channel): only what was asked there may be quoted
        to the mailing list. Private channels, DMs and anything Slack won't tell count as private."""
        with self._lock:
            known = self._public.get(channel)
        if known is None:
            try:
                info = client.conversations_info(channel=channel)["channel"]
                known = bool(info.get("is_channel")) and not info.get("is_private") and not info.get("is_im")
            except SlackApiError:
                known = False
            with self._lock:
                self._public[channel] = known
        return known

    def organizer_pressed(self, client: WebClient, body: dict) -> bool:
        """Whether an organizer pressed the button; anyone else who does is told so, privately."""
        if self.is_organizer(body["user"]["id"], client):
            return True
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"],
                                  text=self.text("not_organizer"))
        return False

    def is_organizer(self, user_id: str, client: WebClient) -> bool:
        """Listed in ORGANIZER_USER_IDS, or a member of the ORGANIZER_GROUP user group (cached 5 min)."""
        if user_id in self.settings.organizer_ids:
            return True
        if not self.settings.organizer_group:
            return False
        with self._lock:
            fetched, members = self._group
            if time.monotonic() - fetched > GROUP_CACHE_SECONDS:
                try:
                    users = client.usergroups_users_list(usergroup=self.settings.organizer_group)["users"]
                except SlackApiError:
                    users = []
                members = frozenset(users)
                self._group = (time.monotonic(), members)
        return user_id in members

    def organizer_answer(self, ack: Ack, body: dict, view: dict, client: WebClient) -> str | None:
        """The answer an organizer wrote in a modal's `answer` field, the submission acknowledged; None (the
        modal says why, and stays open) when it is empty or whoever submitted it is no organizer."""
        answer = (view["state"]["values"]["answer"]["answer"].get("value") or "").strip()
        if not answer:
            ack(response_action="errors", errors={"answer": self.text("answer_empty")})
            return None
        if not self.is_organizer(body["user"]["id"], client):
            ack(response_action="errors", errors={"answer": self.text("not_organizer")})
            return None
        ack()
        return answer
