"""The LLM path: a chain that answers only from retrieved passages, citing them by number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.index.retrieval import Hit
from bot.templates import render

if TYPE_CHECKING:  # LangChain loads only when LLM_MODEL is set: a second off every start without it
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

NOT_FOUND = "NOT_FOUND"
CITATION = re.compile(r"\[(\d+)\]")


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

    def answer(self, question: str, hits: list[Hit], system: dict) -> LLMReply | None:
        """The model's cited answer, or None when it says the passages don't hold one."""
        edition = system["edition"]
        text = self.chain.invoke(
            {"system": system, "user": {"edition": edition, "hits": hits, "question": question}}
        ).strip()
        if not text or text.upper().startswith(NOT_FOUND):
            return None
        numbers = [n for n in dict.fromkeys(int(n) for n in CITATION.findall(text)) if 1 <= n <= len(hits)]
        if not numbers:
            return LLMReply(text, hits[:1])
        # Sources are listed in citation order, so the answer's markers are renumbered to match.
        renumber = {old: new for new, old in enumerate(numbers, start=1)}
        text = CITATION.sub(lambda m: f"[{renumber[int(m.group(1))]}]" if int(m.group(1)) in renumber else "", text)
        return LLMReply(text, [hits[n - 1] for n in numbers])
