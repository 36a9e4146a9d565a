"""Questions answered from an edition's facts (what its pages state, or its event.yaml), not from passages.

Deadlines, the workshop day, the venue and room, and the contact address are what people ask most,
and the answers must be exact: the date with its time zone and extension history when the pages give
them, and whether it has passed. Every fact is cited to the line that states it.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot.assistant.explain import best_explained, matches
from bot.assistant.intent import PLACE, Intent
from bot.assistant.verdict import settles_in_time
from bot.events.facts import DeadlineFact
from bot.index.lexicon import is_word
from bot.index.retrieval import QueryTerms
from bot.index.text import tokens
from bot.knowledge.derive import ROOM, DerivedDeadline, EditionFacts, Stated
from bot.knowledge.statement import Statement
from bot.knowledge.dates import dates_in
from bot.knowledge.facts import deadline_facts, zone_of

WHEN = re.compile(r"\b(deadlines?|due|when|dates?|(?:deadline|date)s? (?:been |was |were |get )?extend\w*|"
                  r"extensions? (?:of|to) the (?:deadline|date)|late|until|cut-?off|closes?|closed|timeline|"
                  r"still|yet|in time|passed|over|open|time zone|timezone|today|tomorrow|by now|already|"
                  r"(?:taken|take|took) place|happened|"
                  r"how long (?:until|till|before|do|have)|how many days|how much time)\b", re.IGNORECASE)
CONTACT = re.compile(r"\b(contact|e-?mail|reach|get in touch|write to|mailing address|mailing list)\b", re.IGNORECASE)
QUESTION_ABOUT = re.compile(r"\b(?:questions?|quer(?:y|ies)|issues?|problems?|concerns?)\s+(?:about|on|regarding|"
                            r"with|re)\b.*", re.IGNORECASE)
ROOM_QUESTION = re.compile(r"\b(room|hall)\b", re.IGNORECASE)
ALL_DATES = re.compile(r"\b(important|key) dates\b|\bdeadlines\b|\btimeline\b|\ball (the )?dates\b", re.IGNORECASE)
DEADLINE_STEMS = {"deadlin", "due", "submiss", "submit", "extend", "extens", "late", "cutoff", "pass", "close"}
NAMES_DEADLINE = {"deadlin", "due", "submiss", "submit", "extend", "extens", "cutoff"}  # never the workshop's day
# Stems that only say "this is about a date" (or about the workshop at large): they pick no deadline.
GENERIC = DEADLINE_STEMS - {"submiss", "submit"} | {
    "date", "time", "cut", "off", "workshop", "neurip", "ml", "system", "mlforsi", "year", "next", "zone",
    "timezon", "upcom", "alreadi", "day", "midnight", "aoe", "anywher", "earth", "world", "exact", "dead",
    "line", "import", "key", "timelin", "happen", "open", "final", "offici", "current", "new", "chang", "over",
    "yet", "organ", "organiz", "held", "take", "taken", "took", "place", "locat", "venu", "room", "contact",
    "email", "reach", "touch", "write", "question", "address", "mail", "find", "know", "hear", "tell", "get",
    "will", "can", "long", "today", "tomorrow", "week", "month", "soon", "left", "remain",
}
# Words people use for the usual deadlines, by the kind of deadline they point to.
SYNONYMS = {
    "submission": {"submiss", "submit", "paper", "abstract", "manuscript", "openreview", "send"},
    "notification": {"notif", "notifi", "accept", "decis", "result", "hear", "back", "outcom"},  # not "reviews due"
    "camera-ready": {"camera", "readi", "final", "version", "upload"},
}
# Time words that also say "at all" ("can I still submit it?", "it is already on arXiv"): alone, they make a
# question about a deadline only when nothing else it names goes unexplained.
IN_PASSING = re.compile(r"\b(?:still|yet|already|open|over)\b", re.IGNORECASE)
WORKSHOP_WORDS = {"workshop", "event", "it"}
SUBMITTING = {"submit", "submiss", "send", "upload"}
WEAK = {"paper"}  # names a deadline only beside a word of deadlines ("paper deadline"), not alone
PLACE_KINDS = {"build", "room", "hall", "venu", "locat", "place", "citi", "countri", "address", "center", "campus",
               "floor", "level"}  # what kind of place is asked for, not what is there
# A count of time ("how many days until…", "how long do I have left?"), as against a length or a number.
UNTIL = re.compile(r"\b(?:until|till|before|left|remain\w*|how long do|how long have|how many (?:days|weeks|hours|"
                   r"minutes|months))\b", re.IGNORECASE)
# "Why was the deadline extended?" asks for a reason, which no date gives: the pages' sentence does.
REASON = re.compile(r"^\W*(?:why|how come)\b|\b(?:reason|cause)s?\b", re.IGNORECASE)
ZONE_QUESTION = re.compile(r"\btime ?zone|\bwhich zone|\bwhat zone|\baoe\b|\butc\b|\banywhere on earth", re.IGNORECASE)
# The words that name one kind of deadline, most specific first: a question naming one asks about it.
KIND_WORDS = [("camera-ready", {"camera", "readi"}),
              ("notification", {"notif", "notifi", "decis", "accept", "hear", "result", "outcom"}),
              ("submission", {"submiss", "submit"})]
KIND_STEMS = {stem for _, stems in KIND_WORDS for stem in stems}
EXTENDED_THING = re.compile(r"\bextended\s+(?!deadlines?\b|dates?\b|submissions?\b|by\b|to\b|until\b|till\b)[a-z]",
                            re.IGNORECASE)
QUALIFIED = re.compile(r"\b([a-z][\w-]*)\s+(?:paper\s+)?(?:submissions?|deadlines?|notifications?|camera[- ]ready)\b",
                       re.IGNORECASE)


@dataclass
class Reply:
    """What to render (`template`), and the statements the answer rests on, cited in order."""

    template: str
    context: dict
    statements: list[Statement] = field(default_factory=list)
    deadlines: list[DeadlineFact] = field(default_factory=list)


def _kind(deadline: DerivedDeadline) -> str:
    return next((k for k in SYNONYMS if deadline.id == k or deadline.id.endswith(f"-{k}")), deadline.id)


def _keywords(deadline: DerivedDeadline) -> set[str]:
    """The words that name a deadline: its id, its title, the label of the line that states it, the
    heading it is under ("Research Track")."""
    kind = _kind(deadline)
    label = re.split(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", deadline.stated.line,
                     maxsplit=1, flags=re.IGNORECASE)[0]
    words = set(tokens(f"{deadline.id.replace('-', ' ')} {deadline.title} {label} {deadline.stated.section}"))
    return words | (SYNONYMS.get(kind, set()) if deadline.id == kind else set())


def relevant_deadlines(question: str, terms: QueryTerms, facts: EditionFacts, topics: set[str],
                       own_name: Set[str] = frozenset()) -> list[DerivedDeadline] | None:
    """The deadlines a question asks about, or None when it is not such a question. The workshop's own
    name ("when were papers due for AsHES 2022?") says which workshop, not which deadline."""
    words = set(terms.tokens)
    if EXTENDED_THING.search(question):
        words = words - {"extend"}  # "extended versions of the papers" are papers, not an extension
    if not facts.deadlines or not (WHEN.search(question) or (DEADLINE_STEMS - SUBMITTING) & words):
        return None
    generic = GENERIC | own_name
    specific = {t for t in words if t not in generic and not t.isdigit()}
    if (WORKSHOP_WORDS | own_name) & words and not (DEADLINE_STEMS & words) and not specific:
        return None  # "when is the workshop?", "how many days until KISV?": the workshop day, not a deadline
    if ALL_DATES.search(question) and not specific:
        return list(facts.deadlines)
    chosen = best_explained(terms, generic, facts.deadlines, _keywords, topics)
    if chosen is None:
        return None
    for qualifier in QUALIFIED.findall(question):  # "competition submission deadline" names whose deadline
        stem = tokens(qualifier)
        if stem and stem[0] not in generic and is_word(qualifier):
            chosen = [d for d in chosen if matches(stem[0], _keywords(d))]
            if not chosen:
                return None
    explained = {t for t in specific for d in chosen if matches(t, _keywords(d))}
    if explained <= WEAK and any(t not in explained and t not in terms.unknown for t in specific):
        return None  # "will papers appear in proceedings, or can I still publish them?" is no deadline question
    in_passing = not WHEN.search(IN_PASSING.sub(" ", question)) and not (DEADLINE_STEMS - SUBMITTING) & words
    said = explained | {t for d in chosen for t in tokens(d.stated.line)}  # "the submission *site*" its line names
    if in_passing and any(t not in said and t not in terms.unknown for t in specific):
        return None  # "it is under *review* elsewhere: can I still submit?" asks whether it may, not until when
    if not chosen:
        if specific:
            return None  # a date of something that is not a deadline ("registration")
        primary = [d for d in facts.deadlines if _kind(d) == "submission"] or facts.deadlines
        return [min(primary, key=lambda d: (d.id != "submission", d.due))]
    asked = next(((kind, words) for kind, words in KIND_WORDS if words & words_of(terms)), None)
    if asked and not any(_kind(d) == asked[0] or asked[1] & _keywords(d) for d in chosen):
        named = [d for d in facts.deadlines if d.id == asked[0]]  # "when will I hear back about my submission?"
        if not named:
            return None  # "when is the camera-ready due?" in an edition without one is not its submission deadline
        chosen = named
    exact = [d for d in chosen if d.id in SYNONYMS]  # "submission deadline" is not the competition's
    return exact or chosen


def words_of(terms: QueryTerms) -> set[str]:
    return set(terms.tokens)


def _about_only(terms: QueryTerms, own_name: Set[str], *facts: Stated | None, strict: bool = False) -> bool:
    """Whether the question names nothing but the workshop and these facts: a word the pages use for
    something else ("where is the *poster session*?", "where does *Mangpo* work?") means it is about
    that thing; with `strict`, so does a word they never use ("when is the *tutorial*?")."""
    stated = {t for fact in facts if fact for t in tokens(f"{fact.value} {fact.stated.line}")}
    explained = own_name | PLACE_KINDS | stated
    return not any((strict or t not in terms.unknown) and t not in explained
                   for t in terms.tokens if t not in GENERIC and not t.isdigit())


def answer_from_facts(question: str, terms: QueryTerms, intent: Intent, facts: EditionFacts, now: datetime,
                      topics: set[str], own_name: Set[str] = frozenset()) -> Reply | None:
    """An answer from the edition's facts, or None when the question is about something else."""
    words = set(terms.tokens)
    if REASON.search(question):
        return None
    asks_day = bool(intent.when or WHEN.search(question)) and not intent.clock
    if facts.contact and CONTACT.search(question) and _about_only(_without_topic(terms, question), own_name,
                                                                  facts.contact):
        return Reply("assistant/contact.txt.j2", {"contact": facts.contact.value}, [facts.contact.stated])
    length = intent.count and not UNTIL.search(question)  # "how long can the *extended* abstract be?": pages
    if not intent.where and not length and (deadlines := relevant_deadlines(question, terms, facts, topics, own_name)):
        if ZONE_QUESTION.search(question) and not any(d.zone for d in deadlines):
            return None  # "which time zone is the deadline in?" when the pages give none
        found = deadline_facts(deadlines, now)
        by_due = sorted(deadlines, key=lambda d: d.due)
        verdict = settles_in_time(question, all(d.passed for d in found)) if len(found) == 1 else None
        return Reply("assistant/deadline.txt.j2", {"deadlines": found, "verdict": verdict},
                     [d.stated for d in by_due], found)
    if intent.where and words & SUBMITTING and (through := _submitted_through(facts) or facts.submit_at):
        url = through.url if isinstance(through, DerivedDeadline) else None
        return Reply("assistant/submit_where.txt.j2", {"line": through.stated.line.lstrip("- "), "url": url},
                     [through.stated])
    if intent.where and (facts.venue or facts.room) and _about_only(terms, own_name, facts.venue, facts.room,
                                                                  facts.date if asks_day else None):
        place = _place(facts, room_only=bool(ROOM_QUESTION.search(question)))
        if not place:
            return None  # "which room?" when the pages name only the city
        day = facts.date.value if facts.date and asks_day else None
        statements = [s.stated for s in (facts.venue, facts.room, facts.date if day else None) if s is not None]
        return Reply("assistant/venue.txt.j2", {"venue": place, "day": day}, list(dict.fromkeys(statements)))
    if facts.date and asks_workshop_day(question, terms, intent, own_name) \
            and _about_only(terms, own_name, facts.date, strict=True):
        day = facts.date.value
        today = now.astimezone(zone_of(str(facts.programme_zone.value)) if facts.programme_zone else UTC).date()
        return Reply("assistant/workshop_day.txt.j2", {"day": day, "days": (day - today).days}, [facts.date.stated])
    return None


def asks_workshop_day(question: str, terms: QueryTerms, intent: Intent, own_name: Set[str]) -> bool:
    """Whether the question asks when the workshop itself is ("what date is the ES-FoMo workshop?"), not
    where it takes place ("in which city will the workshop take place?")."""
    words = set(terms.tokens)
    return bool(intent.when or WHEN.search(question)) and not intent.clock and not intent.where \
        and bool((WORKSHOP_WORDS | own_name) & words) and not (NAMES_DEADLINE | KIND_STEMS) & words


def deadlines_only(text: str, facts: EditionFacts) -> bool:
    """Whether every date `text` gives is one of the edition's deadlines: the important dates, which do
    not say when the workshop is."""
    given = {mention.value for mention in dates_in(text)}
    return bool(given) and given <= {deadline.due for deadline in facts.deadlines}


def _without_topic(terms: QueryTerms, question: str) -> QueryTerms:
    """The words of a question less what the asker's own question is about: "who do I email *with a
    question about the call for papers*?" asks for an address."""
    topic = QUESTION_ABOUT.search(question)
    if not topic:
        return terms
    dropped = set(tokens(topic.group(0)))
    return replace(terms, tokens=[t for t in terms.tokens if t not in dropped])


def _submitted_through(facts: EditionFacts) -> DerivedDeadline | None:
    """The submission deadline whose line says where to submit ("… to CMT here", "on OpenReview")."""
    return next((d for d in facts.deadlines if _kind(d) == "submission" and (d.url or PLACE.search(d.stated.line))),
                None)


def _place(facts: EditionFacts, *, room_only: bool) -> str:
    venue = str(facts.venue.value) if facts.venue else ""
    room = str(facts.room.value) if facts.room else ""
    if room_only:
        if not room:
            return venue if ROOM.search(venue) else ""
        return f"{room}, {venue}" if venue and room.lower() not in venue.lower() else room
    if room and venue and room.lower() not in venue.lower():
        return f"{venue}, {room}"
    return venue  # "which city?" is not answered by a room number alone
