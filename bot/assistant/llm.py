"""The LLM path: a chain that answers only from retrieved passages, citing them by number."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.assistant.question import strip_broadcasts
from bot.index.retrieval import Hit
from bot.templates import render

if TYPE_CHECKING:  # LangChain loads only when LLM_MODEL is set: a second off every start without it
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

NOT_FOUND = "NOT_FOUND"
CITATION = re.compile(r"\[(\d+)\]")
# A marker, a Slack token or a word, cut short: held until whole (bounded: a stray "<" holds nothing for long).
UNFINISHED = re.compile(r"(?:\[\d{0,3}|<[^<>]{0,80}|[\w@]{1,80})\Z")


@dataclass
class LLMReply:
    text: str
    cited: list[Hit]


def load_chat_model(name: str) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    return init_chat_model(name, temperature=0)


class LLMAnswerer:
    """Prompt templates from `prompts/assistant/`; the model is any LangChain chat model."""

    def __init__(self, model: BaseChatModel, prompts_dir: Path) -> None:
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.runnables import RunnableLambda

        self.prompts_dir = prompts_dir
        self.chain: Runnable = RunnableLambda(self._messages) | model | StrOutputParser()

    def _messages(self, inputs: dict) -> list:
        from langchain_core.messages import HumanMessage, SystemMessage

        system = render(self.prompts_dir, "assistant/system.md.j2", **inputs["system"])
        user = render(self.prompts_dir, "assistant/user.md.j2", **inputs["user"])
        return [SystemMessage(system), HumanMessage(user)]

    def answer(self, question: str, hits: list[Hit], system: dict,
               on_text: Callable[[str], None] | None = None) -> LLMReply | None:
        """The model's cited answer, or None when it says the passages don't hold one. With `on_text`, the
        answer is handed over piece by piece as the model writes it (citations already renumbered);
        nothing is handed over before the reply is known not to be a refusal."""
        cited = Cited(len(hits))
        kept: list[str] = []

        def release(text: str) -> None:
            if text:
                kept.append(text)
                if on_text is not None:
                    on_text(text)

        written = ""
        begun = False
        inputs = {"system": system, "user": {"edition": system["edition"], "hits": hits, "question": question}}
        for piece in self.chain.stream(inputs):
            if begun:
                release(cited.feed(piece))
                continue
            written += piece
            head = written.lstrip()
            if head.upper().startswith(NOT_FOUND):
                return None
            if len(head) >= len(NOT_FOUND) or not NOT_FOUND.startswith(head.upper()):
                begun = True
                release(cited.feed(head))
        if not begun and (head := written.strip()):  # a reply shorter than the refusal's word ("No.")
            release(cited.feed(head))
        release(cited.close())
        text = "".join(kept).strip()
        if not text:
            return None
        return LLMReply(text, [hits[n - 1] for n in cited.numbers] or hits[:1])


class Cited:
    """The model's text as it arrives: citation markers renumbered in order of first use (the sources
    are listed in that order), markers beyond the passages dropped, broadcasts removed. A piece that
    ends inside a marker, a Slack token or a word is held back until it is whole, so the text comes out
    the same however the model cuts it."""

    def __init__(self, passages: int) -> None:
        self.passages = passages
        self.numbers: dict[int, int] = {}  # the model's number → the one shown
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        held = UNFINISHED.search(text)
        cut = held.start() if held else len(text)
        self._held = text[cut:]
        return self._release(text[:cut])

    def close(self) -> str:
        text, self._held = self._held, ""
        return self._release(text)

    def _release(self, text: str) -> str:
        def renumber(marker: re.Match[str]) -> str:
            n = int(marker.group(1))
            return f"[{self.numbers.setdefault(n, len(self.numbers) + 1)}]" if 1 <= n <= self.passages else ""

        return strip_broadcasts(CITATION.sub(renumber, text))
