"""The assistant: question in, grounded Answer out. Slack, the CLI and the console all call `ask`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.assistant.answer import Answer, Source
from bot.assistant.compose import compose
from bot.assistant.event_facts import EventReply, answer_from_event
from bot.assistant.llm import LLMAnswerer, load_chat_model
from bot.assistant.question import QuestionError, clean_question, strip_broadcasts, target_edition
from bot.config import Settings
from bot.events.facts import facts
from bot.index.embeddings import load_embeddings
from bot.index.retrieval import Hit, HybridRetriever
from bot.index.store import KnowledgeStore
from bot.knowledge.editions import Edition, Editions, discover
from bot.knowledge.pages import EVENT_FILE
from bot.templates import render

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EVENT_CONFIDENCE = 0.95  # facts from event.yaml, not a retrieval guess


class Assistant:
    def __init__(self, settings: Settings, store: KnowledgeStore, editions: Editions,
                 llm: LLMAnswerer | None = None) -> None:
        self.settings = settings
        self.store = store
        self.editions = editions
        self.retriever = HybridRetriever(store)
        self.llm = llm

    @classmethod
    def from_settings(cls, settings: Settings, store: KnowledgeStore | None = None) -> Assistant:
        store = store or KnowledgeStore(settings, load_embeddings(settings.embeddings))
        llm = LLMAnswerer(load_chat_model(settings.llm_model), settings.prompts_dir) if settings.llm_model else None
        return cls(settings, store, discover(settings.knowledge_dir), llm)

    def _render(self, name: str, **context: object) -> str:
        return render(self.settings.prompts_dir, name, **context)

    def contact(self, edition: Edition) -> str | None:
        """The edition's contact: from event.yaml, else the first address its pages publish."""
        if edition.contact:
            return edition.contact
        for text in self.retriever.snapshot(edition.id).texts:
            if match := EMAIL.search(text):
                return match.group(0)
        return None

    def ask(self, question: str, *, edition: str | None = None, now: datetime | None = None,
            history: list[str] | None = None) -> Answer:
        """Answer `question`; QuestionError for an empty or over-long one or an unknown edition id.

        `history` holds the earlier questions of a conversation (a Slack thread): a follow-up such as
        "and in 2023?" is read together with the question before it.
        """
        text = clean_question(question, self.settings.max_question_chars)
        now = (now or datetime.now(UTC)).astimezone(UTC)
        if edition is not None:
            target = self.editions.get(edition)
            if target is None:
                raise QuestionError(f"unknown edition '{edition}' (known: {', '.join(self.editions.ids())})")
            missing: list[int] = []
        else:
            target, missing = target_edition(text, self.editions)
        previous = (history or [])[-1:]
        if previous and edition is None and not missing and target is self.editions.default:
            target = target_edition(" ".join([*previous, text]), self.editions)[0] or target  # the thread's edition
        if target is None:
            return self._unknown_edition(text, missing)

        # A follow-up that stands on its own is answered alone; "and for posters?" needs the question before it.
        for query in ([text, " ".join([*previous, text])] if previous else [text]):
            retrieval = self.retriever.search(query, target.id)
            if target.event and (reply := answer_from_event(query, retrieval.terms.tokens, target.event, now)):
                return self._event_answer(text, target, reply, retrieval.hits, now)
            if self.llm:
                answer = self._llm_answer(text, target, retrieval.hits, now)
            else:
                composition = compose(retrieval, self.settings.answer_max_chars)
                answer = composition and self._answer(
                    text, target, composition.text, composition.hits, composition.confidence)
            if answer is not None and answer.answered:
                return answer
        return self._not_found(text, target)

    def _answer(self, question: str, edition: Edition, text: str, hits: list[Hit], confidence: float) -> Answer:
        return Answer(
            question=question,
            text=strip_broadcasts(text),
            answered=True,
            edition=edition.id,
            sources=[Source.from_metadata(h.metadata) for h in hits],
            confidence=confidence,
        )

    def _citing_hit(self, edition: Edition, needle: str, hits: list[Hit]) -> Hit | None:
        """The retrieved passage that states `needle` (a regex), else the edition's key facts."""
        for hit in hits:
            if re.search(needle, hit.body):
                return hit
        ids, texts, metas = self.store.passages({"source": f"{edition.id}/{EVENT_FILE}"})
        return Hit(ids[0], texts[0], metas[0], 0.0, None) if ids else None

    def _event_answer(self, question: str, edition: Edition, reply: EventReply, hits: list[Hit],
                      now: datetime) -> Answer:
        """Facts from event.yaml, each cited to a passage that states it."""
        cited: list[Hit] = []
        for i, needle in enumerate(reply.needles):
            source = self._citing_hit(edition, needle, hits)
            if source is None:
                continue
            if source.id not in {c.id for c in cited}:
                cited.append(source)
            number = [c.id for c in cited].index(source.id) + 1
            if reply.deadlines:
                reply.deadlines[i].source_index = number
        cite = " [1]" if cited and not reply.deadlines else ""
        text = self._render(reply.template, edition=edition.label, now=now, cite=cite, **reply.context)
        return self._answer(question, edition, text, cited, EVENT_CONFIDENCE)

    def _llm_answer(self, question: str, edition: Edition, hits: list[Hit], now: datetime) -> Answer:
        deadline_facts = facts(edition.event, edition.event.deadlines, now) if edition.event else []
        reply = self.llm.answer(question, hits[:4], {
            "edition": edition.label, "now": now, "deadlines": deadline_facts,
            "contact": self.contact(edition), "max_chars": self.settings.answer_max_chars,
        })
        if reply is None:
            return self._not_found(question, edition)
        confidence = max((h.similarity or 0.0) for h in reply.cited)
        return self._answer(question, edition, reply.text, reply.cited, round(confidence, 3))

    def _not_found(self, question: str, edition: Edition) -> Answer:
        text = self._render("assistant/not_found.txt.j2", edition=edition.label, contact=self.contact(edition))
        return Answer(question=question, text=text, answered=False, edition=edition.id)

    def _unknown_edition(self, question: str, years: list[int]) -> Answer:
        default = self.editions.default
        text = self._render(
            "assistant/unknown_edition.txt.j2",
            known=[e.label for e in self.editions.items], years=years,
            contact=self.contact(default) if default else None,
        )
        return Answer(question=question, text=text, answered=False, edition=None)

