"""How an edition is named: its year and what people call it, from its folder and its home page.

Edition folders are named any way (`2024/`, `iclr2025/`, `abc25/`, `neurips-2023/`), and a
single-edition site names itself only in its pages. The year comes from the folder's name, else from
the home page's title ("DSML 2026: Dependable and Secure Machine Learning"); the name people use is
the workshop's short name as its title gives it ("CARRV", "Eval4NLP", "FM4Science") with that year;
when the title is the long name ("Efficient Systems for Foundation Models"), the short name is the
acronym of it that the pages use most ("ES-FoMo"), or one the pages define ("… Training (WANT)"). The
long name that short name abbreviates ("Causal Representation Learning" of "CRL") is the workshop's name
too: "when is the Causal Representation Learning workshop?" asks about the workshop, not about its topic.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

FOUR_DIGITS = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# `abc25`, `neurips-23`: a name and a two-digit year make the whole id; not `hostile-feb30`, nor `aug30`.
TWO_DIGITS = re.compile(r"^(?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_'’]?\d)[a-z][a-z0-9]*?"
                        r"[-_'’]?(\d\d)$", re.IGNORECASE)
SHORT_YEAR = re.compile(r"['’](\d\d)\b")  # "ICLR'26"
HOME_STEMS = ("index", "_index", "readme", "home", "about")
HEAD_BYTES = 20_000
HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
FRONT_TITLE = re.compile(r"\A(?:---|\+\+\+)\s*\n.*?^title\s*[:=]\s*[\"']?(.+?)[\"']?\s*$", re.MULTILINE | re.DOTALL)
MARKDOWN_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
TAGS = re.compile(r"<[^>]+>")
# "DSML 2026: …", "Eval4NLP - 2025", "FM4Science (ICLR'26)", "AsHES Workshop 2026": the part before these.
SEGMENT_END = re.compile(r"\s*(?::|\s[-–—|@]\s|\(|\|)")
PARENTHESIZED = re.compile(r"\(([A-Z][\w-]*[A-Z0-9][\w-]*)(?:\s*['’]?\d{2,4})?\)")  # "(CARRV 2024)", "(WANT)"
GENERIC_WORDS = {"workshop", "home", "about", "welcome", "the", "redirecting", "program", "programme", "schedule",
                 "announcement", "announcements", "news", "call", "for", "papers", "organizers", "organizing",
                 "committee", "speakers", "index"}  # a page's own title, not the workshop's name
ORDINAL = re.compile(r"^(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)$",
                     re.IGNORECASE)
CONFIG_TITLE = re.compile(r"^title\s*[:=]\s*(.*?)\s*$", re.MULTILINE)
SITE_CONFIGS = ("_config.yml", "config.toml", "config.yml", "config.yaml", "hugo.toml", "hugo.yaml")
ARTICLES = {"the", "a", "an"}
MAX_NAME_WORDS = 3
ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*(?:-[A-Z][A-Za-z0-9]*)*)(?![\w-])")
DEFINED = re.compile(r"((?:[A-Za-z][\w-]*[ \t]+){1,10}[A-Za-z][\w-]*)[ \t]*\(\s*([A-Z][\w-]{1,15})[\s@'’0-9]*"
                     r"(?:@[^)]*)?\)")
DIGIT_WORDS = {"4": "f", "2": "t"}  # DL4C: Deep Learning *for* Code; "2" reads "to"
MIN_ACRONYM_USES = 2
MIN_WORDS_ABBREVIATED = 0.6  # of the long name's capitalized words
PAGES_READ = 40


def year_in_id(edition_id: str) -> int | None:
    """`2024`, `iclr2025`, `neurips-2023` → their year; `abc25`, `iclr'24` → 2025, 2024."""
    if match := FOUR_DIGITS.search(edition_id):
        return int(match.group(1))
    if match := TWO_DIGITS.search(edition_id):
        return 2000 + int(match.group(1))
    return None


def home_page(pages: list[Path], folder: Path) -> Path | None:
    """The page a visitor opens first in `folder`: its index (or README, or about page); in a Hugo
    source, `content/_index.md`."""
    own = [p for p in pages if p.parent in (folder, folder / "content")]
    return next((p for stem in HOME_STEMS for p in own if p.stem.lower() == stem), None)


def page_title(path: Path) -> str | None:
    """A page's title as a reader sees it: its front matter's `title`, `<title>`, its first `<h1>` or
    Markdown heading; None when it has none (or cannot be read)."""
    try:
        with path.open("rb") as handle:
            text = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    for pattern in (FRONT_TITLE, HTML_TITLE, MARKDOWN_HEADING):
        if match := pattern.search(text):
            found = next(g for g in match.groups() if g is not None)
            title = re.sub(r"\s+", " ", html.unescape(TAGS.sub(" ", found))).strip()
            if title and "{{" not in title and "{%" not in title:
                return title
    return None


def year_in_title(title: str | None) -> int | None:
    """The year a title names ("DSML 2026: …", "FM4Science (ICLR'26)"); the latest when it names several."""
    if not title:
        return None
    years = [int(y) for y in FOUR_DIGITS.findall(title)] + [2000 + int(y) for y in SHORT_YEAR.findall(title)]
    return max(years) if years else None


def short_name(title: str | None) -> str | None:
    """The workshop's short name in a title: "DSML" of "DSML 2026: Dependable…", "CARRV" of "Eighth
    Workshop on … (CARRV 2024)", "FM4Science" of "FM4Science (ICLR'26)"; None when the title has none."""
    if not title:
        return None
    first = SEGMENT_END.split(title, maxsplit=1)[0]
    words = [w for w in (SHORT_YEAR.sub("", w) for w in first.split())  # "ReNeuIR'24" is ReNeuIR's 2024
             if w and not FOUR_DIGITS.fullmatch(w) and w.lower() not in ARTICLES and not ORDINAL.match(w)]
    name = " ".join(w for w in words if w.lower() != "workshop")
    if name and len(words) <= MAX_NAME_WORDS and not {w.lower() for w in words} & GENERIC_WORDS - {"workshop"}:
        return name
    if match := PARENTHESIZED.search(title):
        return match.group(1)
    return None


def site_title(root: Path) -> str | None:
    """The `title` a Jekyll or Hugo configuration gives the whole site ("KISV Workshop")."""
    for name in SITE_CONFIGS:
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")[:HEAD_BYTES]
        except OSError:
            continue
        if (match := CONFIG_TITLE.search(text)) and (title := match.group(1).strip("\"' ")):
            return title
    return None


def _initials(acronym: str) -> str:
    """The letters an acronym abbreviates: its capitals and its digits read as words ("ES-FoMo" → "esfm",
    "DL4C" → "dlfc")."""
    return "".join(DIGIT_WORDS.get(c, c.lower()) for c in acronym if c.isupper() or c in DIGIT_WORDS)


def abbreviates(acronym: str, long_name: str) -> bool:
    """Whether `acronym` abbreviates `long_name`: its letters are the initials of the name's words, in
    order, from the first, and cover most of its capitalized words."""
    words = re.findall(r"[A-Za-z][\w]*", long_name)
    letters = _initials(acronym)
    if len(letters) < 2 or not words or words[0][0].lower() != letters[0]:
        return False
    used: list[str] = []
    at = 0
    for letter in letters:
        start = at
        while at < len(words) and words[at][0].lower() != letter:
            at += 1
        if at < len(words):
            used.append(words[at])
            at += 1
        elif used and letter in used[-1][1:].lower():  # "ES-FoMO": the O of Models
            at = start
        else:
            return False
    capitalized = [w for w in words if w[0].isupper()]
    return len(used) >= 2 and sum(w[0].isupper() for w in used) >= MIN_WORDS_ABBREVIATED * len(capitalized)


def _names_workshop(long_form: str, long_names: list[str]) -> bool:
    """Whether a long form defined in the pages is the workshop's name, not another body's ("National
    University of Singapore (NUS)"): it says "workshop", or it is most of the site's title."""
    if "workshop" in long_form.lower():
        return True
    own = {w.lower() for w in long_form.split()}
    return any(len(words := [w.lower() for w in name.split() if w[0].isupper()]) > 1
               and sum(w in own for w in words) >= MIN_WORDS_ABBREVIATED * len(words) for name in long_names)


def page_head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""


def acronym(long_names: list[str], texts: list[str]) -> str | None:
    """The acronym the pages use most for the workshop: one of its long name ("ES-FoMo" of "Efficient
    Systems for Foundation Models"), or one they define after it ("Workshop on Advancing Neural Network
    Training (WANT)"); when no title gives the long name, the one they define most often after a
    capitalized name ("Causal Representation Learning (CRL)")."""
    names = [name for name in long_names if len(words := name.split()) > 1
             and not all(w.lower() in GENERIC_WORDS for w in words)]  # not a page's own title ("Home")
    uses: dict[str, int] = {}
    own: list[str] = []  # defined after the workshop's long name
    proper: list[str] = []  # defined after some capitalized name
    for text in texts:
        for match in DEFINED.finditer(text):
            words = match.group(1).split()
            defined = [" ".join(words[-k:]) for k in range(2, len(words) + 1)]
            fits = [name for name in defined if abbreviates(match.group(2), name)]
            if any(_names_workshop(name, names) for name in fits):
                own.append(match.group(2))
            elif any(all(w[0].isupper() for w in name.split() if len(w) > 3) for name in fits):
                proper.append(match.group(2))
        for match in ACRONYM.finditer(text):
            uses[match.group(1)] = uses.get(match.group(1), 0) + 1
    spellings: dict[str, int] = {}  # "ES-FoMo" and "ES-FoMO" are one name, counted together
    for spelled, n in uses.items():
        spellings[spelled.lower()] = spellings.get(spelled.lower(), 0) + n
    used = [a for a in uses if spellings[a.lower()] >= MIN_ACRONYM_USES]
    for tier in ([a for a in used if a in own or any(abbreviates(a, name) for name in names)],
                 [a for a in used if a in proper] if not names else []):
        if tier:
            return max(tier, key=lambda a: (spellings[a.lower()], uses[a], len(a)))
    return None


def long_name(short: str | None, titles: list[str], texts: Iterable[str]) -> str | None:
    """The words `short` abbreviates, as a title gives them ("Kernel Security, Isolation, and Verification"
    of "KISV") or as the pages define it ("Causal Representation Learning (CRL)"); None when none does.
    `texts` are read only when no title gives it."""
    if not short:
        return None
    for title in titles:
        words = re.findall(r"[A-Za-z][\w-]*", title.split("(")[0])
        spans = [" ".join(words[start:end]) for start in range(len(words)) for end in range(len(words), start + 1, -1)]
        if found := next((span for span in spans if abbreviates(short, span)), None):
            return found
    for text in texts:
        for match in DEFINED.finditer(text):
            if match.group(2).lower() == short.lower():
                words = match.group(1).split()
                defined = [" ".join(words[-k:]) for k in range(len(words), 1, -1)]
                if found := next((name for name in defined if abbreviates(short, name)), None):
                    return found
    return None
