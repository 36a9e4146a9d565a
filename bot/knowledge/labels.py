"""What a dated line's label says it is: "Paper Submission Deadline" is the submission deadline,
"Competition Submission Deadline" another one, "Registration deadline" none of the paper's.

Shared by the reader of pages (a struck date is replaced only in lines naming the same deadline)
and by the facts derived from them.
"""

from __future__ import annotations

import re

PREVIOUS = re.compile(r"\((?:extended|moved) from [^)]*\)|\(previously: [^)]*\)", re.IGNORECASE)
# What a dated line's label says it is; the first that matches names the deadline.
KINDS = [
    ("workshop", re.compile(r"^(the )?workshop( date| day| event)?$|^(workshop|event) (date|day)|^date of the workshop",
                            re.IGNORECASE)),
    ("camera-ready", re.compile(r"camera|final (version|paper|manuscript)", re.IGNORECASE)),
    ("notification", re.compile(r"notif|acceptance|decision", re.IGNORECASE)),
    ("submission", re.compile(r"submi(ssion|t)|^deadline|papers? due|due date", re.IGNORECASE)),
]
# Words that say nothing beyond the kind: "Paper Submission Deadline" is the submission deadline,
# "Competition Submission Deadline" is another one.
KIND_WORDS = {"paper", "papers", "submission", "submissions", "submit", "deadline", "deadlines", "due", "date",
              "dates", "full", "final", "the", "of", "for", "author", "authors", "notification", "notifications",
              "acceptance", "decision", "decisions", "camera", "ready", "camera-ready", "version", "workshop",
              "manuscript", "extended", "abstract", "abstracts", "to", "and", "your", "please", "no", "later", "than",
              "by", "on", "is", "will", "be", "sent", "out", "upload", "all", "deadline:"}


def slug(label: str) -> str:
    """A label as a short id: `Registration deadline` is `registration-deadline`."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40] or "deadline"


def label_before(line: str, start: int) -> str:
    """The words before a date on its line, without extension notes or a trailing `by`/`due`."""
    label = PREVIOUS.sub("", line[:start]).strip(" -*•:–—|,")
    label = re.sub(r"\b(by|on|is|are|until|before|due)\s*$", "", label, flags=re.IGNORECASE).strip(" -:–—,")
    return label


def deadline_kind(label: str) -> tuple[str | None, str]:
    """The deadline a label names, and its id: `submission`, or `competition-submission` when qualified."""
    for kind, pattern in KINDS:
        if pattern.search(label):
            extra = [w for w in re.findall(r"[a-z][a-z-]*", label.lower()) if w not in KIND_WORDS]
            if kind == "workshop" or not extra or len(label) > 60:
                return kind, kind
            return kind, f"{slug(' '.join(extra[:3]))}-{kind}"
    return None, slug(label)
