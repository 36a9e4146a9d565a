"""Questions are data: cleaned, bounded, and never able to make the bot ping a channel."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from bot.knowledge.editions import Edition, Editions
from bot.knowledge.naming import year_in_id

SLACK_BROADCAST = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<!subteam\^[^>]*>", re.IGNORECASE)
PLAIN_BROADCAST = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)
USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
SLACK_TOKEN = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")  # <https://…|label>, <#C1|general>, <mailto:…>
YEAR = re.compile(r"\b(20\d\d)\b|(?:\bneurips|\bnips|'|’)\s?(\d\d)\b", re.IGNORECASE)
# Courtesies around a question, as letters and chat messages open and close: a greeting and whom it
# addresses ("Dear organizers,", "Hi all!", "Good morning,"), and a closing after the last sentence
# ("Thanks!", "Many thanks in advance, Ada", "Best regards"). They ask nothing, and their words would
# be searched for as if they did.
GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|greetings|good\s+(?:morning|afternoon|evening|day))\b"
                      r"[^.!?,:;]{0,60}[.!?,:;]+\s*", re.IGNORECASE)
CLOSING = re.compile(r"(?<=[.!?])\s*(?:many\s+thanks|thanks|thank\s+you|thx|best|kind\s+regards|regards|cheers|"
                     r"sincerely|all\s+the\s+best)\b[^?]*$", re.IGNORECASE)
PREVIOUS = re.compile(r"\b(last year|previous (?:edition|year|workshop)|last edition)\b", re.IGNORECASE)


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long, unknown edition)."""


def strip_broadcasts(text: str) -> str:
    """Remove `<!channel>`-style broadcasts and user-group pings; defuse plain `@here`."""
    text = SLACK_BROADCAST.sub("", text)
    return PLAIN_BROADCAST.sub(r"\1", text)


def _shown(token: re.Match[str]) -> str:
    """What Slack shows for a link or channel: its label (a link's target may hide behind it)."""
    target, label = token.group(1), token.group(2)
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):  # a date or other special token
        return label or ""
    return label or target.removeprefix("mailto:")


def readable(raw: str) -> str:
    """The question as people read it, on one line: no mentions or pings, links as their labels,
    Slack's &amp; &lt; &gt; as the characters typed. How it is stored, and shown (escaped again)."""
    text = SLACK_TOKEN.sub(_shown, strip_broadcasts(USER_MENTION.sub(" ", raw or "")))
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"\s+", " ", strip_broadcasts(text)).strip()


def clean_question(raw: str, max_chars: int) -> str:
    """The question as the assistant reads it, or QuestionError saying what is wrong."""
    text = readable(raw)
    if not text:
        raise QuestionError("the question is empty: ask something about the workshop")
    if len(raw) > max_chars:
        raise QuestionError(
            f"the question is {len(raw):,} characters long; the limit is {max_chars:,}: please shorten it"
        )
    return text


def without_courtesies(question: str) -> str:
    """What the question asks, without the greeting before it and the thanks after it (a message that is
    nothing but courtesies is left as it is)."""
    asked = CLOSING.sub("", GREETING.sub("", question, count=1)).strip()
    return asked or question


def named_years(question: str, names: AbstractSet[str] = frozenset()) -> list[int]:
    """The years a question names: "2025", "'25", and a two-digit year after an edition's name or its
    conference ("ICLR25", "KISV 24")."""
    years = []
    for match in YEAR.finditer(question):
        years.append(int(match.group(1)) if match.group(1) else 2000 + int(match.group(2)))
    if names:
        pattern = rf"\b(?:{'|'.join(sorted(map(re.escape, names), key=len, reverse=True))})\s?-?(\d\d)\b"
        years.extend(2000 + int(m.group(1)) for m in re.finditer(pattern, question, re.IGNORECASE))
    return list(dict.fromkeys(years))


def edition_names(editions: Editions) -> set[str]:
    """What people put before a two-digit year: each edition's short name and its conference (`iclr` of
    `iclr2025`)."""
    names = set()
    for edition in editions.items:
        if edition.name:
            names.add(edition.name.lower())
        if prefix := re.match(r"[a-z]{2,}", edition.id):
            names.add(prefix.group(0))
    return names


def target_edition(question: str, editions: Editions) -> tuple[Edition | None, list[int]]:
    """The edition a question is about: one it names (by id, or by year: "2025", "ABC'25", "ICLR25"),
    'last year', else the newest.

    Returns (edition, years named but not held): an edition of None with years means the question
    is about an edition the knowledge base does not have.
    """
    lowered = question.lower()
    for edition in editions.items:
        if year_in_id(edition.id) and edition.id.lower() in lowered.replace(" ", ""):
            return edition, []  # an id without a year is the workshop's name, said of every edition
    years = named_years(question, edition_names(editions))
    for year in years:
        if named := editions.by_year(year):
            return named, []
    if years:
        return None, years
    if PREVIOUS.search(question) and len(editions.items) > 1:
        return editions.items[1], []
    return editions.default, []


NAME_WORD = re.compile(r"^(?:[A-Z][\w-]*[A-Z0-9][\w-]*|\d{2,4})$")  # "KISV", "ES-FoMo", "NeurIPS", "2025"
WORD_EDGES = "?,.!:;()\"'’"


def name_words(edition: Edition) -> set[str]:
    """The words that name an edition, lower-cased: its short name, its conference and its year."""
    return {w.strip(WORD_EDGES).lower() for w in f"{edition.label} {edition.name or ''} {edition.id}".split()
            if NAME_WORD.match(w.strip(WORD_EDGES))}


def without_names(question: str, edition: Edition) -> str:
    """The question without the words that name this workshop or its year ("How long can my KISV'25
    paper be?" → "How long can my paper be?"): what it asks, as an author of any workshop asks it."""
    names = name_words(edition)
    kept = [word for word in question.split()
            if re.sub(r"['’](?:s|\d\d)$", "", word.strip(WORD_EDGES)).lower() not in names
            and not YEAR.fullmatch(word.strip(WORD_EDGES))]
    return " ".join(kept) if kept else question
