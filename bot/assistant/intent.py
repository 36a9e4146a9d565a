"""What kind of answer a question wants, and whether a line can give it.

"When…" wants a date or a time, "what time…" a clock time, "where…" a place, "who…" a name,
"how many…" a number. A line that cannot hold that kind of answer never answers the question, however
close its words are: a wrong fact is worse than saying "I don't know".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.index.lexicon import is_word
from bot.index.text import STOPWORDS, tokens
from bot.knowledge.dates import dates_in, times_in

QUESTION_WORDS = ("when", "where", "what", "which", "who")
FUZZY_QUESTION_WORD = 85
ASKED = re.compile(r"\b(?:what|which)(?:'s)?\s+(?:(?:is|are|was|were|the|a|an|kind of|type of|sort of|of)\s+)*"
                   r"([a-z][\w-]*)(?:\s+([a-z][\w-]*))?", re.IGNORECASE)
CLAUSES = re.compile(r"(?<=[.!?])\s+|\s+[—–]\s+|\s+-\s+|;\s*|,\s+(?=(?:is|are|can|could|do|does|did|will|would|"
                     r"when|where|who|what|which|how|was|were)\b)", re.IGNORECASE)
POINTING = re.compile(r"\b(it|that|this|these|those|they|them|he|she|his|her|hers|its|their|we|our)\b(?!\s+(?:year|"
                      r"edition|workshop|call|week|time zone))", re.IGNORECASE)
PARTS = re.compile(r"(?<=\?)\s+|(?<!\bwhen)(?<!\bwhere)(?<!\bwho)(?<!\bwhat)(?<!\bhow),?\s+(?:and|also|plus)\s+"
                   r"(?=(?:what|when|where|who|which|how|is|are|can|do|does|will|would|should)\b)|;\s*",
                   re.IGNORECASE)  # "when and where is it?" asks one thing
# "…, and at what time?", "…, do I still have time?" add no subject of their own.
QUESTION_ONLY = {"time", "day", "date", "also", "els", "late", "pass", "miss", "left", "open"}
ASKING = re.compile(r"^(is|are|can|could|do|does|did|will|would|when|where|who|whom|whose|what|which|how|was|were|"
                    r"has|have|any)\b", re.IGNORECASE)

WHEN = re.compile(r"\b(when|what date|which date|what day|which day|date|dates|deadlines?|due|until|by when|"
                  r"how long (?:until|till|before|do)|how much time|still|yet|too late|passed|over|open|closed?)\b",
                  re.IGNORECASE)
CLOCK = re.compile(r"\b(what time|which time|at what time|what hour|how early|how late|time of)\b", re.IGNORECASE)
WHERE = re.compile(r"\bwhere\b|\b(?:what|which)(?:'s| is| was| are)?\s+(?:the\s+)?(?:venue|location|room|city|"
                   r"building|address|hall|place|convention|cent(?:er|re)|campus|country)\b|\blocated\b",
                   re.IGNORECASE)
WHO = re.compile(r"\b(who(?! (?:can|may|should|must|is eligible|are eligible|is allowed|needs?|qualif))|whom|whose|"
                 r"which (?:speakers?|people|organizers?|authors?))\b", re.IGNORECASE)
COUNT = re.compile(r"\b(how many|how much|how long|number of|page limit|max(?:imum)?|minimum|up to how)\b",
                   re.IGNORECASE)
LISTING = re.compile(r"\b(who|which|list|what are|name|names)\b", re.IGNORECASE)
MONEY = re.compile(r"\bhow much\b(?!\s+(?:time|longer|later|earlier))|\b(?:fees?|prices?|costs?|prize money|cash)\b",
                   re.IGNORECASE)
AMOUNT = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:k\b|usd|eur|gbp|chf|aed|cad|dollars?|euros?|pounds?)"
                    r"|\b(?:usd|eur|gbp|us\$)\s?\d|\bfree\b", re.IGNORECASE)
AT_TIME = re.compile(r"\b(?:at|around|by)\s+((?:[01]?\d|2[0-3])(?::[0-5]\d)?\s*(?:[ap]\.?\s?m\.?)?|noon)\b",
                     re.IGNORECASE)
O_CLOCK = re.compile(r"\b(1[0-2]|0?[1-9])\s*o['’]?\s?clock\b", re.IGNORECASE)
AFTERNOON = re.compile(r"\b(afternoon|evening|tonight)\b", re.IGNORECASE)
RELATION = re.compile(r"\b(?P<relation>after|following|before|preceding|next to)\s+(?:the\s+)?(?P<anchor>[\w\s'’-]+)",
                      re.IGNORECASE)
PLACE = re.compile(
    r"\b(room|hall|cent(?:er|re)|convention|venue|hotel|building|campus|level|floor|auditorium|ballroom|"
    r"street|avenue|road|zoom|virtual(?:ly)?|online|in person|openreview|cmt|easychair|portal|website|"
    r"via|expo|university|institute)\b|https?://|\b[A-Z][a-z]+,\s+[A-Z][A-Za-z]+\b",
    re.IGNORECASE)
PERSON = re.compile(r"\b([A-Z][a-zà-ÿ'’-]+)\s+(?:[A-Z]\.\s+)?[A-Z][a-zà-ÿ'’-]+\b")
MONTH_NAME = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|"
                        r"december|today|tomorrow|tba|tbd)\b", re.IGNORECASE)
NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    """The kind of answer a question asks for."""

    when: bool
    clock: bool
    where: bool
    who: bool
    count: bool
    listing: bool
    at: time | None  # "what is on at 2 pm"
    relation: str | None  # "after" / "before" an anchor ("who speaks after lunch")
    anchor: str | None
    money: bool = False  # "how much is the prize?": an amount of money, not any number

    def satisfied_by(self, line: str, year: int | None) -> bool:
        """Whether `line` holds the kind of fact the question asks for (questions of no kind: always)."""
        if self.clock and not times_in(line):
            return False
        if self.when and not (dates_in(line, year or 2000) or times_in(line) or MONTH_NAME.search(line)):
            return False
        if self.where and not PLACE.search(line):
            return False
        if self.who and not any(m.group(1).lower() not in STOPWORDS for m in PERSON.finditer(line)):
            return False  # "Our Kaggle" is no one
        if self.money and not AMOUNT.search(line):
            return False
        return not (self.count and not NUMBER.search(line))


def asked_words(question: str) -> list[str]:
    """What "what/which" asks for: "What *size* should my poster be?", "What was the *acceptance rate*?"
    (stems of the one or two words after it; an answer that does not carry them does not answer)."""
    match = ASKED.search(mended(question))
    if not match:
        return []
    words = [w for w in match.groups() if w]
    return [t for w in words[:1] + [w for w in words[1:] if w.lower() not in STOPWORDS] for t in tokens(w)]


def asked_parts(question: str) -> list[str]:
    """The questions a message asks, when it asks more than one, each as it must be answered: a part
    with no subject of its own ("…, and at what time?") is read with the part before it, and a
    message that opens with one ("Where and when is it?") is a single question."""
    pieces = [p.strip(" ,;") for p in PARTS.split(mended(question)) if p and p.strip(" ,;")]
    asking = [p for p in pieces if "?" in p or any(ASKING.match(c) for c in re.split(r"[:,]\s*", p))]
    if len(asking) < 2 or not _own_words(asking[0]):
        return []
    parts = [asking[0]]
    for piece in asking[1:]:
        parts.append(piece if _own_words(piece) else f"{parts[-1]}, {piece}")
    return parts


def _own_words(piece: str) -> list[str]:
    return [t for t in tokens(piece) if t not in QUESTION_ONLY]


def asked_clause(question: str) -> str:
    """The part of a message that asks: "Just got my acceptance email, is there still time to apply for
    a travel grant?" asks about travel grants, whatever came before."""
    parts = [p.strip() for p in CLAUSES.split(question) if p.strip()]
    asking = [p for p in parts if "?" in p or ASKING.match(p)]
    clause = (asking[-1] if asking else parts[-1] if parts else question).strip()
    if len(asking) > 1 and not _own_words(clause):  # "when is the video due, do I still have time?"
        clause = f"{asking[-2]}, {clause}"
    if POINTING.search(clause):  # "did I just miss it?", "which company is he at?": about what came before
        return question.strip()
    return clause


def mended(question: str) -> str:
    """Question words as meant: "wen" is "when", "wher" "where", "waht" "what" (two letters swapped are
    one slip of the fingers); never a real word such as "then"."""
    def mend(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in STOPWORDS or len(word) < 3:
            return word
        for intended in QUESTION_WORDS:
            if fuzz.ratio(word.lower(), intended) >= FUZZY_QUESTION_WORD:
                return intended
        if not is_word(word):
            return next((intended for intended in QUESTION_WORDS if OSA.distance(word.lower(), intended) == 1), word)
        return word
    return re.sub(r"\b[A-Za-z]{3,6}\b", mend, question)


def intent_of(question: str) -> Intent:
    question = mended(question)
    at = AT_TIME.search(question)
    at_time = times_in(at.group(1))[0].value if at and times_in(at.group(1)) else None
    if at_time is None and not RELATION.search(question) and (hour := O_CLOCK.search(question)):
        at_time = time(int(hour.group(1)))  # "the 11 o'clock slot"; "after the 11 o'clock break" names a row
    if at_time is not None and at_time.hour < 12 and AFTERNOON.search(question):
        at_time = at_time.replace(hour=at_time.hour + 12)
    relation = RELATION.search(question)
    where = bool(WHERE.search(question))
    clock = bool(CLOCK.search(question)) or at_time is not None
    return Intent(
        when=bool(WHEN.search(question)) and not where and not clock,
        clock=clock and at_time is None,
        where=where,
        who=bool(WHO.search(question)),
        count=bool(COUNT.search(question)),
        listing=bool(LISTING.search(question)),
        at=at_time,
        relation=relation.group("relation").lower().replace("following", "after").replace("preceding", "before")
        if relation else None,
        anchor=relation.group("anchor").strip() if relation else None,
        money=bool(MONEY.search(question)),
    )
