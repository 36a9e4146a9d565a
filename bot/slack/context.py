"""What every Slack listener needs: the assistant, the database, templates, who organizes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.assistant.assistant import Assistant
from bot.config import Settings
from bot.scheduler.sender import Sender
from bot.storage.db import Database
from bot.templates import render

GROUP_CACHE_SECONDS = 300


@dataclass
class SlackContext:
    settings: Settings
    assistant: Assistant
    db: Database
    sender: Sender | None = None  # sends approved announcements through the outbox
    answering: ThreadPoolExecutor = field(init=False)
    _group: tuple[float, frozenset[str]] = (0.0, frozenset())  # (fetched at, members) of ORGANIZER_GROUP
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.answering = ThreadPoolExecutor(self.settings.answer_workers, thread_name_prefix="answer")

    def text(self, template: str, **context: object) -> str:
        return render(self.settings.prompts_dir, f"slack/{template}.md.j2", **context)

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
