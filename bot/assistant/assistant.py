"""The assistant: question in, grounded Answer out. Slack, the CLI and the console all call `ask`.

In order: the edition's facts (deadlines, the workshop day, venue, contact: from its pages, with its
event.yaml winning), its programme, then the pages' own lines; and when none of them answers, a plain
"the pages don't say" with the organizers' address.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from datetime import UTC, datetime

import numpy as np

from bot.assistant.answer import Answer, Source
from bot.assistant.compose import compose, fit_line, select_lines
from bot.assistant.decision import AnswerModel, default_model
from bot.assistant.intent import POINTING, Intent, asked_clause, asked_parts, intent_of, mended
from bot.assistant.llm import CITATION, LLMAnswerer, load_chat_model
from bot.assistant.items import ItemAnswer, item_reply
from bot.assistant.rules import chosen_rules, rule_verdict
from bot.assistant.suggestions import suggestions
from bot.assistant.verdict import YES_NO, affirms
from bot.assistant.people import Person, PersonAnswer, affiliation_untold, people, person_reply
from bot.assistant.programme import programme_reply
from bot.assistant.question import (
    QuestionError,
    clean_question,
    strip_broadcasts,
    target_edition,
    without_courtesies,
    without_names,
)
from bot.assistant.sections import SectionAnswer, section_reply
from bot.assistant.structured import Reply, answer_from_facts, asks_workshop_day, deadlines_only
from bot.config import Settings
from bot.index.embeddings import load_embeddings
from bot.index.retrieval import Hit, HybridRetriever, QueryTerms, Retrieval, Snapshot
from bot.index.rules import RuleReader
from bot.index.text import tokens
from bot.index.vectors import TextVectors, kept_file
from bot.index.mirror import Passages, open_mirror
from bot.knowledge.derive import EditionFacts, ProgrammeItem
from bot.knowledge.statement import Statement
from bot.knowledge.editions import Edition, Editions, Registry
from bot.knowledge.facts import deadline_facts, edition_facts
from bot.knowledge.rules import Rule
from bot.knowledge.site import EVENT_FILE
from bot.templates import render

FACTS_CONFIDENCE = 0.95  # facts the pages state in so many words, not a retrieval guess
# A yes/no question that asks more: which of two ("is he giving a keynote, or only on the panel?"), or what
# follows ("is she an organizer, and if so, what is her affiliation?"). The card says.
ALSO_ASKS = re.compile(r",?\s+or\s+(?!not\b)|\b(?:what|which|where|who|when|how)\b", re.IGNORECASE)
MIN_ITEM_ROOM = 300  # a listed paper's title and authors, whole


class Assistant:
    def __init__(self, settings: Settings, store: Passages, registry: Registry,
                 llm: LLMAnswerer | None = None, model: AnswerModel | None = None) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.retriever = HybridRetriever(store)
        self.llm = llm
        self.model = model or default_model()
        self.vectors = TextVectors(store.embed)
        self.rules = RuleReader(self.vectors, kept=partial(kept_file, settings.bot_data_dir, store.model_name))
        self._facts: dict[str, tuple[tuple, EditionFacts]] = {}
        self._people_cache: dict[str, tuple[EditionFacts, list[Person]]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, store: Passages | None = None,
                      registry: Registry | None = None) -> Assistant:
        if store is None:
            embeddings = load_embeddings(settings.embeddings)
            if (store := open_mirror(settings, embeddings)) is None:
                from bot.index.store import KnowledgeStore  # Chroma loads only when there is no copy to read

                store = KnowledgeStore(settings, embeddings)
        registry = registry or Registry(settings)
        llm = LLMAnswerer(load_chat_model(settings.llm_model), settings.prompts_dir) if settings.llm_model else None
        return cls(settings, store, registry, llm)

    @property
    def editions(self) -> Editions:
        return self.registry.editions

    def facts(self, edition: Edition) -> EditionFacts:
        """What the edition's pages (as indexed now) and its event.yaml state; rebuilt when either changes."""
        key = (self.store.generation, id(edition.event))
        cached = self._facts.get(edition.id)
        if cached is None or cached[0] != key:
            texts = self.retriever.snapshot(edition.id).sections()
            rules = self.rules.read(texts, edition.id)
            cached = (key, edition_facts(edition, texts, self._event_source(edition), rules))
            self._facts[edition.id] = cached
        return cached[1]

    def suggest(self, edition: Edition, now: datetime | None = None) -> list[str]:
        """The questions worth offering now about `edition` (the assistant pane's), each one answered."""
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        return suggestions(self.facts(edition), moment, self.settings.prompts_dir,
                           lambda question: self.ask(question, edition=edition.id, now=moment).answered)

    def warm(self) -> None:
        """Every edition's facts read now (the call for papers' rules are read by meaning, one embedding
        per sentence), so that the first question does not pay for it."""
        for edition in self.editions.items:
            self.facts(edition)

    def _people(self, edition: Edition) -> list[Person]:
        facts = self.facts(edition)
        cached = self._people_cache.get(edition.id)
        if cached is None or cached[0] is not facts:
            cached = (facts, people(self.retriever.snapshot(edition.id).sections(), facts))
            self._people_cache[edition.id] = cached
        return cached[1]

    @staticmethod
    def _event_source(edition: Edition) -> str:
        return edition.folder.source(edition.folder.event_file) if edition.folder else f"{edition.id}/{EVENT_FILE}"

    def _render(self, name: str, **context: object) -> str:
        return render(self.settings.prompts_dir, name, **context)

    def contact(self, edition: Edition) -> str | None:
        """The edition's contact: from event.yaml, else the address its pages give."""
        if edition.contact:
            return edition.contact
        found = self.facts(edition).contact
        return str(found.value) if found else None

    def ask(self, question: str, *, edition: str | None = None, now: datetime | None = None,
            history: list[str] | None = None, on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer `question`; QuestionError for an empty or over-long one or an unknown edition id.

        `history` holds the earlier questions of a conversation (a Slack thread): a follow-up such as
        "and in 2023?" is read together with the question before it. `on_text` receives a model's answer
        as it is written (to stream it); the Answer returned is what counts, and may differ from it.
        """
        text = without_courtesies(clean_question(question, self.settings.max_question_chars))
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

        parts = asked_parts(text)
        if len(parts) > 1 and not previous:  # "When is the deadline, and where do I submit?": both
            answers = [self._respond(part, target, now, [], context=text) for part in parts]
            return self._together(text, target, parts, answers)
        return self._respond(text, target, now, previous, on_text=on_text) or self._not_found(text, target)

    def _respond(self, text: str, target: Edition, now: datetime, previous: list[str],
                 context: str | None = None, on_text: Callable[[str], None] | None = None) -> Answer | None:
        """The answer to one question about `target`, or None when the pages don't hold it."""
        facts = self.facts(target)
        # A follow-up that stands on its own is answered alone; "and for posters?" needs the question before it.
        for query in ([text, " ".join([*previous, text])] if previous else [text]):
            retrieval = self.retriever.search(query, target.id)
            if answer := self._from_structure(text, query, target, facts, retrieval, now, context):
                if affiliation_untold(text, answer.text) or self._deadlines_for_day(query, answer, target, retrieval):
                    return self._not_found(text, target)
                return self._affirmed(text, answer, retrieval.terms)
            if self.llm:
                answer = self._llm_answer(self.llm, text, target, retrieval.hits, now, on_text)
            else:
                composition = compose(retrieval, intent_of(query), self.model, self.settings.answer_max_chars)
                answer = self._answer(text, target, composition.text, composition.hits,
                                      composition.confidence) if composition is not None else None
            if answer is not None and answer.answered and not affiliation_untold(text, answer.text) \
                    and not self._deadlines_for_day(query, answer, target, retrieval):
                # "which university is Jun Park at?" is not answered by a line naming him alone
                return answer if self.llm else self._affirmed(text, answer, retrieval.terms)
        return None

    def _deadlines_for_day(self, query: str, answer: Answer, edition: Edition, retrieval: Retrieval) -> bool:
        """Whether a question about the workshop's day ("what date is the ES-FoMo workshop?") got the
        important dates, whose every date is a deadline's: they do not say when the workshop is."""
        return deadlines_only(answer.text, self.facts(edition)) and asks_workshop_day(
            query, retrieval.terms, intent_of(query), self._own_name(edition, self.retriever.snapshot(edition.id)))

    def _affirmed(self, question: str, answer: Answer, terms: QueryTerms) -> Answer:
        """"Yes" before an answer that shows what a yes/no question asks is so ("Is Tao Lin an area
        chair?": the list of area chairs naming him); the answer as it is otherwise."""
        if not answer.answered or answer.text.startswith(("Yes", "No")) or not affirms(question, answer.text, terms):
            return answer
        return answer.model_copy(update={"text": self._render("assistant/affirmed.txt.j2", text=answer.text)})

    def _together(self, question: str, edition: Edition, parts: list[str], answers: list[Answer | None]) -> Answer:
        """One answer to a message asking several things: each part's answer, citations renumbered, and
        the parts the pages don't answer said plainly."""
        if not any(answer and answer.answered for answer in answers):
            return self._not_found(question, edition)
        sources: list[Source] = []
        texts, unanswered, seen = [], [], set()
        for part, answer in zip(parts, answers, strict=True):
            if answer is None or not answer.answered:
                unanswered.append(part)
                continue
            if answer.text in seen:
                continue  # one card answers "which company is he at, and what is his talk?"
            seen.add(answer.text)
            numbers: dict[int, int] = {}
            for n, source in enumerate(answer.sources, start=1):
                if source not in sources:
                    sources.append(source)
                numbers[n] = sources.index(source) + 1
            texts.append(_renumbered(answer.text, numbers))
        text = self._render("assistant/together.txt.j2", answers=texts, unanswered=unanswered,
                            contact=self.contact(edition))
        confidence = min(a.confidence for a in answers if a is not None and a.answered)
        return Answer(question=question, text=strip_broadcasts(text), answered=True, edition=edition.id,
                      sources=sources, confidence=confidence)

    def _from_structure(self, text: str, query: str, edition: Edition, facts: EditionFacts, retrieval: Retrieval,
                        now: datetime, context: str | None = None) -> Answer | None:
        """An answer from what the pages state in so many words: facts, programme rows, the call for
        papers' rules, a person's card, listed items, a section. Each reads the clause that asks, not the
        preamble around it (nor, for a part of a longer message that points back, "which company is *he*
        at?", without the message)."""
        snapshot = self.retriever.snapshot(edition.id)
        clause = asked_clause(context) if context and POINTING.search(query) else asked_clause(query)
        terms = snapshot.terms(clause) if clause != query else retrieval.terms
        intent = intent_of(clause)
        if intent.at is None and clause != query and (whole := intent_of(query)).at:
            intent = replace(intent, at=whole.at)  # "If I come in at 2:45, what session is on?"
        everyone = self._people(edition)
        topics = snapshot.topics() | {part for person in everyone for part in tokens(person.name)}
        own = self._own_name(edition, snapshot)
        if reply := answer_from_facts(clause, terms, intent, facts, now, topics, own):
            return self._facts_answer(text, edition, reply, retrieval.hits, now)
        timed = intent.when or intent.clock or intent.at or intent.relation
        if intent.who and not timed and not self.llm:
            if (person := person_reply(mended(clause), intent, everyone)) \
                    and (card := self._person_answer(text, edition, person, terms, clause)):
                return card  # "who is Rahul Arya?": his card
            if found := self._listed(text, edition, clause, terms, intent, snapshot):
                return found  # "who are the keynote speakers?": the speakers' list before the programme's rows
        if reply := programme_reply(mended(clause), terms, intent, facts, now, topics, own):
            return self._facts_answer(text, edition, reply, retrieval.hits, now)
        if self.llm:
            return None  # a model reads the passages for everything but exact dates, places and times
        if (asked := self._asked_vector(clause, edition, retrieval)) is not None \
                and (kind := self.rules.asked(asked)) \
                and (ruled := self._rule_answer(text, clause, edition, kind, facts.rules.get(kind, []), retrieval,
                                                asked)):
            return ruled  # the call for papers' rules: the sentences that state the one asked about
        if (person := person_reply(mended(clause), intent, everyone)) \
                and (card := self._person_answer(text, edition, person, terms, clause)):
            return card
        return self._listed(text, edition, clause, terms, intent, snapshot)

    @staticmethod
    def _own_name(edition: Edition, snapshot: Snapshot) -> set[str]:
        """The words that name the workshop: those its site prints on every page, and the short name and
        year its pages give it ("CRL", "2023") with the long name it abbreviates ("Causal Representation
        Learning"), which "when is the Causal Representation Learning workshop?" only says to be clear."""
        named = set(tokens(f"{edition.label} {edition.long_name or ''}")) if edition.name and not edition.event \
            else set()  # "CRL 2023"
        return snapshot.own_name() | named

    def _listed(self, text: str, edition: Edition, clause: str, terms: QueryTerms, intent: Intent,
                snapshot: Snapshot) -> Answer | None:
        message = snapshot.terms(text) if clause != text else terms
        own = self._own_name(edition, snapshot)
        if items := item_reply(clause, terms, intent, snapshot.sections(), own, message):
            return self._items_answer(text, edition, items, terms)
        if section := section_reply(clause, terms, intent, snapshot.sections(), own, snapshot.topics()):
            return self._section_answer(text, edition, section, terms)
        return None

    def _answer(self, question: str, edition: Edition, text: str, hits: list[Hit], confidence: float) -> Answer:
        return Answer(
            question=question,
            text=strip_broadcasts(text),
            answered=True,
            edition=edition.id,
            sources=[Source.from_metadata(h.metadata) for h in hits],
            confidence=confidence,
        )

    def _citing_hit(self, edition: Edition, statement: Statement, hits: list[Hit]) -> Hit | None:
        """The passage that states `statement`: its own line on its own page; for a fact from
        event.yaml, a retrieved passage that gives the same date, else the edition's key facts."""
        snapshot = self.retriever.snapshot(edition.id)
        line = statement.line.lstrip("- ").strip()
        if not statement.source.endswith(EVENT_FILE):
            for i, meta in enumerate(snapshot.metadatas):
                if meta["source"] == statement.source and line[:80] in snapshot.texts[i]:
                    return Hit(snapshot.ids[i], snapshot.texts[i], meta, 0.0, None)
            return None
        needle = _date_needle(statement.line)
        for hit in hits:
            if needle and re.search(needle, hit.body):
                return hit
        for i, meta in enumerate(snapshot.metadatas):
            if meta["source"] == statement.source:
                return Hit(snapshot.ids[i], snapshot.texts[i], meta, 0.0, None)
        return None

    def _facts_answer(self, question: str, edition: Edition, reply: Reply, hits: list[Hit], now: datetime) -> Answer:
        """A reply from the edition's facts, each statement cited to the passage that states it."""
        cited, numbers = self._cite(edition, reply.statements, hits)
        context = dict(reply.context)
        for fact, number in zip(reply.deadlines, numbers, strict=False):
            fact.source_index = number
        if "rows" in context:
            context["rows"] = [{"row": row.row, "day": row.day, "cite": n}
                               for row, n in zip(context["rows"], numbers, strict=True)]
        cite = " [1]" if cited and not reply.deadlines and "rows" not in context else ""
        text = self._render(reply.template, edition=edition.label, now=now, cite=cite, **context)
        return self._answer(question, edition, text, cited, FACTS_CONFIDENCE)

    def _cite(self, edition: Edition, statements: list[Statement],
              hits: list[Hit] | None = None) -> tuple[list[Hit], list[int | None]]:
        """The passages stating `statements` (each once) and each statement's citation number."""
        cited: list[Hit] = []
        numbers: list[int | None] = []
        for statement in statements:
            source = self._citing_hit(edition, statement, hits or [])
            if source is None:
                numbers.append(None)
                continue
            if source.id not in {c.id for c in cited}:
                cited.append(source)
            numbers.append([c.id for c in cited].index(source.id) + 1)
        return cited, numbers

    def _person_answer(self, question: str, edition: Edition, answer: PersonAnswer, terms: QueryTerms,
                       clause: str) -> Answer | None:
        """Their card and rows; None for a yes/no question they don't show to be so, the name that found
        them aside ("Is Tri Dao one of the organizers?" is not answered by a card that only gives his
        university: a list of organizers may)."""
        if not answer.lines:
            return self._not_found(question, edition)
        statements = [item.stated if isinstance(item, ProgrammeItem) else
                      Statement(item.source, item.title, item.url, item.section, line) for item, line in answer.lines]
        cited, numbers = self._cite(edition, statements)
        room = self.settings.answer_max_chars // max(1, len(answer.lines))
        entries, seen = [], set()
        for (item, line), number in zip(answer.lines, numbers, strict=True):
            heading = "" if isinstance(item, ProgrammeItem) or item.section in seen else \
                " › ".join(item.section.split(" › ")[1:] or [item.section])
            if not isinstance(item, ProgrammeItem):
                seen.add(item.section)
            entries.append({"heading": heading, "text": fit_line(line.lstrip("- "), terms, room), "cite": number})
        text = self._render("assistant/person.txt.j2", entries=entries)
        name = set(tokens(answer.person.name))
        beyond = replace(terms, tokens=[t for t in terms.tokens if t not in name])
        if YES_NO.match(clause.strip()) and not ALSO_ASKS.search(clause) and not affirms(clause, text, beyond):
            return None
        return self._answer(question, edition, text, cited, FACTS_CONFIDENCE)

    def _items_answer(self, question: str, edition: Edition, answer: ItemAnswer, terms: QueryTerms) -> Answer:
        statements = [Statement(t.source, t.title, t.url, t.section, line) for t, line in answer.items]
        cited, numbers = self._cite(edition, statements)
        room = max(self.settings.answer_max_chars // len(answer.items), MIN_ITEM_ROOM)
        entries, last = [], None
        for (page, line), number in zip(answer.items, numbers, strict=True):
            heading = " › ".join(filter(None, [page.title, page.section.split(" › ")[-1]]))
            entries.append({"heading": heading if heading != last else "", "cite": number,
                            "text": fit_line(line.lstrip("- "), terms, room)})
            last = heading
        text = self._render("assistant/items.txt.j2", entries=entries)
        return self._answer(question, edition, text, cited, FACTS_CONFIDENCE)

    def _asked_vector(self, clause: str, edition: Edition, retrieval: Retrieval) -> np.ndarray | None:
        """The question as any workshop's author asks it, embedded: without the words naming this one
        ("How long can my KISV paper be?"), which pull it away from how rules are asked about."""
        generic = without_names(clause, edition)
        if generic == retrieval.query:
            return retrieval.vector
        return self.vectors.of([generic])[0]

    def _rule_answer(self, question: str, clause: str, edition: Edition, kind: str, rules: list[Rule],
                     retrieval: Retrieval, asked: np.ndarray) -> Answer | None:
        """The sentences stating the rule asked about; "Yes"/"No" first when they settle the question;
        None when none of them answers it."""
        if not rules:
            return None
        closeness = [float(c) for c in self.vectors.of([rule.text for rule in rules]) @ asked]
        chosen = chosen_rules(clause, kind, rules, closeness, retrieval.terms, intent_of(clause), edition.year)
        if not chosen:
            return None
        cited, numbers = self._cite(edition, [rule.stated for rule in chosen])
        text = self._render("assistant/rule.txt.j2", verdict=rule_verdict(clause, kind, chosen, retrieval.terms),
                            rules=[{"text": rule.text, "cite": n} for rule, n in zip(chosen, numbers, strict=True)])
        return self._answer(question, edition, text, cited, FACTS_CONFIDENCE)

    def _section_answer(self, question: str, edition: Edition, answer: SectionAnswer, terms: QueryTerms) -> Answer:
        section = answer.text
        body = "\n".join(select_lines("\n".join(section.lines), terms, self.settings.answer_max_chars - 80))
        cited, numbers = self._cite(edition, [Statement(section.source, section.title, section.url, section.section,
                                                        section.lines[0])])
        text = self._render("assistant/section.txt.j2", heading=answer.heading, text=body,
                            page=section.title if section.title != answer.heading else "", cite=numbers[0])
        return self._answer(question, edition, text, cited, FACTS_CONFIDENCE)

    def _llm_answer(self, llm: LLMAnswerer, question: str, edition: Edition, hits: list[Hit],
                    now: datetime, on_text: Callable[[str], None] | None) -> Answer:
        facts = self.facts(edition)
        reply = llm.answer(question, hits[:4], {
            "edition": edition.label, "now": now, "deadlines": deadline_facts(facts.deadlines, now),
            "contact": self.contact(edition), "max_chars": self.settings.answer_max_chars,
        }, on_text)
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


def _date_needle(line: str) -> str | None:
    """How pages write the date a key-facts line gives: `August 29`, `Aug 29th`."""
    match = re.search(r"([A-Z][a-z]+) 0?(\d{1,2}), \d{4}", line)
    if not match:
        return None
    return rf"{match.group(1)[:3]}[a-z]*\.?\s+0?{match.group(2)}(?:st|nd|rd|th)?\b"


def _renumbered(text: str, numbers: dict[int, int]) -> str:
    """`[2]` → `[5]`: one part's citations, numbered as in the whole answer."""
    return CITATION.sub(lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]", text)
