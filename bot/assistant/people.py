"""Questions about a person the pages introduce: a speaker's card, an organizer's line, their talk.

"Who is Hanson Wang?", "Which university is Azalia Mirhoseini at?", "What is Atlas Wang talking about?".
The person is found by name, misspellings and a lone surname included ("bill dally" is William Dally).
The answer is their card (its heading names the talk) and their programme rows, and only when it
carries what was asked: an organization for "which company", a title for "what is the talk called".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.assistant.intent import Intent
from bot.index.lexicon import is_word
from bot.index.text import tokens
from bot.knowledge.derive import HEADER, EditionFacts, PageText, ProgrammeItem

NAME = re.compile(r"^[A-Z][\w'’.-]+(?:\s+(?:[A-Z][\w'’.-]+|van|von|de|der|da|di|del|le|la|\([^)]*\))){1,4}$")
ROLES = re.compile(r"^(keynote|invited|speaker|talk|panel|panelist|moderator|chair|organizer|tbd|tba)\b",
                   re.IGNORECASE)
AFFILIATION = re.compile(r"\b(which|what)\s+(universit|compan|school|institut|lab|organi[sz]ation|org\b|employer|affil)"
                         r"|\baffil|\bwhere\b.*\b(from|work|based)\b|\bwork(s|ing)? (for|at)\b", re.IGNORECASE)
# A way to reach someone: only a line that holds one answers "what is X's email?".
CONTACT_ASKED = re.compile(r"\b(e-?mail|contact|reach)\b", re.IGNORECASE)
CONTACT_GIVEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\bmailto:", re.IGNORECASE)
TITLE = re.compile(r"\btitle\b|\bcalled\b|\babout\b|\btopic\b|\bpresent(ing|ed)?\b", re.IGNORECASE)
BIO_AFFILIATION = re.compile(r"\b(?:professor|engineer|scientist|researcher|director|fellow|student|lead|head|"
                             r"founder|ceo|cto|manager|member|works?|working|reader|lecturer|postdoc\w*|candidate|"
                             r"department|faculty|dean|chair|architect|president|vp|partner)\b[^.]{0,80}?\b(?:at|with|of)\s+(?:the\s+)?"
                             r"[A-Z][\w.&'-]+", re.IGNORECASE)
AFFILIATION_WORDS = 5  # "University of Texas at Austin"; longer is a talk title, not a place of work
TALKS = {"talk", "keynote", "contributed", "session", "award"}
ROLES_IN_ROW = re.compile(r"\b(keynote|invited|special|speaker|talk|presenter|slides|recording)\b\s*\d*:?",
                          re.IGNORECASE)
LISTED = re.compile(r"^- ([A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){1,3}),\s+\S")
ASKED_NAME = re.compile(r"\b[A-Z][a-z'’.-]+(?:\s+[A-Z][a-z'’.-]+){1,3}\b")
NAME_START = re.compile(r"[A-Z][\w'’.-]+ [A-Z]")
QUESTION_WORD = re.compile(r"^(which|what|where|who|is|does|do|did|was)\b", re.IGNORECASE)
# Words of a heading that names a group or a part of the site, never a person: "Steering Committee".
GROUPS = set(tokens("committee chairs organizers organisers organizing team board speakers members panelists track "
                    "session program programme schedule papers dates call workshop keynotes invited talks advisory "
                    "steering general local publicity sponsors contact overview important submission guidelines "
                    "topics registration venue travel accepted awards news faq past previous editions tutorials "
                    "reviewers instructions format policy"))
CARD_LINES, CARD_LINE = 3, 120  # a heading of its own over this little is a person's card, not a page's section
FUZZY = 88
NEAR = 80  # beside a part that matches, another part this close is that part misspelt
DISTINCTIVE = 5  # a name part this long that is no English word identifies its person on its own
SURNAME_ALONE = 92  # a surname alone must match closely: "Wang" is not "Wan"


@dataclass
class Person:
    name: str
    cards: list[PageText] = field(default_factory=list)
    rows: list[ProgrammeItem] = field(default_factory=list)

    @property
    def parts(self) -> list[str]:
        return [p.lower().strip("().") for p in self.name.split() if len(p.strip("().")) > 1]


@dataclass
class PersonAnswer:
    """The lines that answer a question about `person`; none when the pages don't say what it asks."""

    person: Person
    lines: list[tuple[PageText | ProgrammeItem, str]]


def _is_name(candidate: str) -> bool:
    return bool(NAME.match(candidate)) and not ROLES.match(candidate) and len(candidate.split()) <= 5 \
        and not GROUPS & set(tokens(candidate))


def _card_name(text: PageText) -> str | None:
    """The person a section is about: a heading below another (`Speakers › Ada Lovelace`), or the first
    part of a compound one (`Ada Lovelace — Keynote — Talk`), that is a name (not `Steering Committee`);
    or a heading of its own over a line or two (a card's name over its affiliation, as a grid of cards
    sits beside the heading that introduces it: `Organizers — Dan Fu`, then `Tri Dao`)."""
    levels = text.section.split(" › ")
    card = 0 < len(text.lines) <= CARD_LINES and all(len(line) <= CARD_LINE for line in text.lines)
    for element in reversed(levels[1:] if not card else levels):
        parts = [part.strip() for part in re.split(r"\s+[—–-]\s+", element)]
        if _is_name(parts[0]):
            return parts[0]
        if card and GROUPS & set(tokens(parts[0])) and _is_name(parts[-1]):
            return parts[-1]  # "Organizers — Ada Byron": the grid's heading, then its first card's
    return None


def people(texts: list[PageText], facts: EditionFacts) -> list[Person]:
    found: dict[str, Person] = {}
    for text in texts:
        if text.cards or text.section == HEADER:
            continue
        if name := _card_name(text):
            found.setdefault(name.lower(), Person(name)).cards.append(text)
            continue
        for line in text.lines:  # "- Ada Lovelace, Analytical Engines": an organizer's line
            if (match := LISTED.match(line)) and NAME.match(match.group(1)):
                card = PageText(text.source, text.title, text.url, text.section, (line,))
                found.setdefault(match.group(1).lower(), Person(match.group(1))).cards.append(card)
    for row in facts.programme:
        for name in row.speakers:
            found.setdefault(name.lower(), Person(name)).rows.append(row)
    return _merged(list(found.values()))


def _same(a: Person, b: Person) -> bool:
    """One person written two ways: "Tomasz Wiezorek" is "Tomasz Wieczorek", "Summer Deng" is "Zhaoxia
    (Summer) Deng"."""
    short, long = sorted((a.parts, b.parts), key=len)
    return len(short) >= 2 and all(any(fuzz.ratio(p, q) >= FUZZY for q in long) for p in short)


def _merged(everyone: list[Person]) -> list[Person]:
    merged: list[Person] = []
    for person in everyone:
        twin = next((m for m in merged if _same(m, person)), None)
        if twin is None:
            merged.append(person)
        else:
            twin.cards.extend(person.cards)
            twin.rows.extend(r for r in person.rows if all(r is not s for s in twin.rows))
    return merged


def _mentions(question: str, person: Person) -> int:
    """How many parts of the person's name the question gives (0: it does not name them)."""
    words = [w.lower().removesuffix("'s").removesuffix("’s") for w in re.findall(r"[\w'’-]+", question) if len(w) > 2]
    hits = {p for p in person.parts for w in words if fuzz.ratio(w, p) >= FUZZY}
    near = {p for p in person.parts for w in words if fuzz.ratio(w, p) >= NEAR}
    if len(hits) >= 2 or (hits and len(near) >= 2) or any(len(p) >= DISTINCTIVE and not is_word(p) for p in hits):
        return len(near)  # "ion stoika" is Ion Stoica; "Mangpo" alone names one person; "William" alone does not
    surname = person.parts[-1] if person.parts else ""
    alone = len(surname) >= 4 and any(fuzz.ratio(w, surname) >= SURNAME_ALONE for w in words)
    return 1 if alone else 0


def _affiliation_given(person: Person, lines: list[str]) -> bool:
    """Whether the lines say where the person is from: right after their name ("Atlas Wang, UT Austin",
    "Name (NVIDIA)", "Name - Harvard University", their card's "Name: Erlangen Institute"), or in their bio
    ("… a professor at Stanford")."""
    surname = person.name.split()[-1].lower()
    for line in lines:
        if _organization(line) and not ROLES.match(line):
            return True  # the line under a speaker's name: "Imperial College London"
        spellings = {w for w in re.findall(r"[\w'’-]+", line) if fuzz.ratio(w.lower(), surname) >= NEAR}
        for spelt in spellings:  # "Wiezorek (Imperial College London)" on the programme is Wieczorek
            for match in re.finditer(rf"{re.escape(spelt)}\s*(?:[,(:]|\s[-–—]\s)\s*(?P<org>[^,();\[]+)", line):
                following = [p.strip() for p in line[match.start("org"):].split(",")[:2]]
                authors = len(following) == 2 and NAME.match(following[0]) and NAME_START.match(following[1])
                if _organization(match.group("org")) and not authors:
                    return True  # "Jun Park, Elena Rossi, Tomas Ibarra" lists authors, not a place of work
        if BIO_AFFILIATION.search(line):
            return True
    return False


def _organization(text: str) -> bool:
    """A short run of capitalized words: "UT Austin", "University of Texas at Austin", "NVIDIA"."""
    words = text.split()
    return 1 <= len(words) <= AFFILIATION_WORDS and all(w[:1].isupper() or w in {"of", "at", "&"} for w in words)


def affiliation_untold(question: str, answer: str) -> bool:
    """Whether the question asks where someone is from and the answer names them without saying it:
    a programme line "MicroFlash — Jun Park" does not tell which university Jun Park is at."""
    if not AFFILIATION.search(question):
        return False
    asked = [m.group(0) for m in ASKED_NAME.finditer(question) if not QUESTION_WORD.match(m.group(0))]
    lines = answer.splitlines()
    written = set(re.findall(r"[\w'’-]+", answer))
    for name in asked:  # as the answer spells it: "Raimen" asked is "Raiman" listed
        surname = name.split()[-1]
        spelt = max(written, key=lambda w: fuzz.ratio(w.lower(), surname.lower()), default=surname)
        if not _affiliation_given(Person(spelt if fuzz.ratio(spelt.lower(), surname.lower()) >= NEAR
                                         else surname), lines):
            return True
    return False


def _has_title(person: Person) -> bool:
    for card in person.cards:
        parts = [p for element in card.section.split(" › ") for p in re.split(r"\s+[—–]\s+", element)]
        if any(not ROLES.match(p) and p != person.name and len(p.split()) >= 3 and "›" not in p
               and not p.lower().startswith(person.parts[0] if person.parts else "#") for p in parts[1:]):
            return True
    return any(row.kind in TALKS and len(ROLES_IN_ROW.sub("", row.text.replace(person.name, "")).split()) >= 4
               for row in person.rows)


def person_reply(question: str, intent: Intent, everyone: list[Person]) -> PersonAnswer | None:
    """The card and rows of the one person the question names, when they hold what it asks."""
    scores = [(_mentions(question, p), p) for p in everyone]
    best = max((s for s, _ in scores), default=0)
    named = [p for s, p in scores if s and s == best]  # "Atlas Wang" is not Yawen Wang
    if len(named) != 1 or intent.when or intent.clock or intent.at or intent.relation:
        return None  # when someone speaks is the programme's to say
    person = named[0]
    lines: list[tuple[PageText | ProgrammeItem, str]] = []
    for card in person.cards:
        lines.extend((card, line) for line in card.lines[:2])
    lines.extend((row, f"{row.day}, {row.row}" if row.day else row.row) for row in person.rows)
    if not lines:
        return None
    if AFFILIATION.search(question) and not _affiliation_given(person, [line for _, line in lines]):
        return PersonAnswer(person, [])  # where Jun Park works is not said: no other line may stand in
    if CONTACT_ASKED.search(question) and not any(CONTACT_GIVEN.search(line) for _, line in lines):
        return PersonAnswer(person, [])  # nor how to reach them
    if TITLE.search(question) and not AFFILIATION.search(question) and not _has_title(person):
        return None
    return PersonAnswer(person, lines)
