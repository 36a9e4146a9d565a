"""An answer streamed into its thread while it is written (Slack's chat streaming, through Bolt's
`say_stream`), where it is slow to come: a model writing it (LLM_MODEL), or the bot still loading.

The stream starts only when there is something to show: a model's text past the helper's buffer, or a
task line ("Reading the workshop's pages") once PLACEHOLDER_AFTER has passed. An answer that comes
quickly is never streamed, and is posted in one message as before. The message ends as the Answer
says: if what was streamed is not the final answer (the bot had nothing to stream, or the answer was
replaced after it was written), the message is updated to it.

Where Slack refuses a stream (a workspace without the AI-app feature), nothing is lost: the caller
posts the answer, or a placeholder, as it always did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt import SayStream
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.messages.chunk import TaskUpdateChunk
from slack_sdk.web.chat_stream import ChatStream

log = logging.getLogger(__name__)
Posted = tuple[str, str]  # (channel, ts) of the bot's message
TASK = "reading"  # the one task line's id


class StreamedAnswer:
    """One answer's stream. `text` is called from the thread computing the answer, `working` and `end`
    from the listener's: a lock keeps their calls to Slack in order."""

    def __init__(self, say_stream: SayStream, client: WebClient, channel: str, thread_ts: str) -> None:
        self._stream: ChatStream = say_stream(channel=channel, thread_ts=thread_ts)
        self._client = client
        self._channel = channel
        self._lock = threading.Lock()
        self._task: str | None = None  # the task line's title, once shown
        self.shown = ""  # the text streamed so far
        self.refused = False  # Slack refused to start or go on with the stream

    @property
    def started(self) -> bool:
        return self._stream.ts is not None

    def text(self, piece: str) -> None:
        """Append a piece of the answer as it is written (held in the helper's buffer until it is long enough
        to be worth a call)."""
        with self._lock:
            if not self.refused:
                self._call(lambda: self._stream.append(markdown_text=piece))
                self.shown += piece

    def working(self, title: str) -> bool:
        """Show at once that the answer is coming: a task line in the streamed message. False when Slack
        refuses a stream here, for the caller to post a placeholder instead."""
        with self._lock:
            if self.refused:
                return False
            self._task = title
            self._call(lambda: self._stream.append(chunks=[TaskUpdateChunk(id=TASK, title=title,
                                                                            status="in_progress")]))
            return not self.refused

    def end(self, answer_text: str | None, text: str, blocks: list[dict], tail: list[dict]) -> Posted | None:
        """End the stream with the message Slack should keep: the streamed text with `tail` (the sources and
        buttons) below it when it is `answer_text` in full, else the message updated to `text` and `blocks`.
        None when no stream was started: the caller posts the message itself."""
        with self._lock:
            if not self.started:
                return None
            assert self._stream.ts is not None
            whole = answer_text is not None and not self.refused and self.shown.strip() == answer_text.strip()
            done = [TaskUpdateChunk(id=TASK, title=self._task, status="complete")] if self._task else None
            if not self.refused:
                self._call(lambda: self._stream.stop(chunks=done, blocks=tail if whole else None))
            where = (self._channel, self._stream.ts)
        if not whole:
            self._client.chat_update(channel=where[0], ts=where[1], text=text, blocks=blocks)
        return where

    def _call(self, call: Callable[[], object]) -> None:
        try:
            call()
        except SlackApiError as error:
            log.info("Slack refused the answer's stream: %s", error.response.get("error"))
            self.refused = True
