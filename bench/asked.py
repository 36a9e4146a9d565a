"""A week of logged questions, as the bot stores them: a few hundred distinct questions, the popular ones
asked many times in many wordings (case, punctuation, greetings, typos, and genuinely re-worded), some
carrying a name, an email address, a handle or a phone number; asked in public channels, threads,
private channels, DMs and with /ask; each stored with the answer the real assistant gave.

Deterministic: the same seed gives the same questions, in the same order, at the same times.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from bot.assistant.answer import Answer
from bot.digest.build import Answerer
from bot.storage.db import Database
from bot.storage.models import Question

# The questions people ask most, each in the wordings people use (the first is the usual one).
POPULAR = [
    ["When is the submission deadline?", "What is the deadline for submitting papers?",
     "When are paper submissions due?", "Until when can we submit our paper?"],
    ["Is the page limit strict?", "Is the page limit a strict one?", "How strict is the page limit?"],
    ["How many pages can the paper have?", "What is the page limit for submissions?",
     "How long can a submission be?"],
    ["Do submissions need to be anonymized?", "Is the review double-blind?", "Should we anonymize our paper?"],
    ["Where is the workshop held?", "Where does the workshop take place?", "What is the venue of the workshop?"],
    ["When are acceptance notifications sent?", "When will we hear back about acceptance?",
     "When is the notification date?"],
    ["Which template should I use?", "What LaTeX style file do we use?", "Is there a required paper template?"],
    ["Can I submit work already published elsewhere?", "Are previously published papers allowed?",
     "Can I submit a paper that is under review at another venue?"],
    ["Is the workshop in person?", "Can I attend the workshop remotely?",
     "Is there a virtual option for the workshop?"],
    ["When is the workshop?", "What day is the workshop on?", "On which date does the workshop happen?"],
    ["Where do I submit my paper?", "What is the submission link?", "Is submission through OpenReview?"],
    ["Do references count toward the page limit?", "Are references included in the page limit?"],
    ["Can I include an appendix?", "Is supplementary material allowed?"],
    ["Who are the organizers?", "Who is organizing the workshop?"],
    ["Will there be a poster session?", "Do accepted papers get a poster?"],
    ["Who are the invited speakers?", "Who is giving the keynote talks?"],
    ["Is the workshop archival?", "Are workshop papers published in proceedings?"],
    ["How do I contact the organizers?", "What email should I write to with questions?"],
    ["Was the deadline extended?", "Is there a deadline extension?"],
    ["What topics are in scope?", "What kinds of papers does the workshop accept?"],
]

# The long tail: questions asked a few times each.
TOPICS = ("ML for compilers, learned index structures, RL for chip placement, LLM serving, datacenter scheduling, "
          "carbon-aware training, autotuning GPU kernels, learned query optimization, ML for storage systems, "
          "cache replacement with ML, network congestion control, ML-based memory allocation, "
          "distributed training systems, power management with RL, learned cardinality estimation, "
          "hardware design space exploration, program synthesis for systems, ML for databases, "
          "performance modeling with GNNs, sparse accelerators, federated learning systems, edge inference, "
          "LLM agents for systems, log anomaly detection, ML for operating systems, "
          "simulation of datacenters, benchmarking ML systems, energy-efficient inference, "
          "tensor program optimization, learned load balancing").split(", ")
TAIL_FORMS = ["Is a paper on {t} in scope?", "Would a submission about {t} fit the workshop?",
              "Are there invited talks on {t}?", "Is there a session on {t}?",
              "Were there papers on {t} in 2023?", "Is anyone on the committee an expert in {t}?"]
PAGES = ["Can I submit a {n}-page paper?", "Is a {n} page submission too long?"]
THINGS = ("a demo, a position paper, a negative result, a dataset paper, a benchmark paper, a survey, "
          "a short paper, a workshop version of a journal paper, a thesis chapter, a tool paper").split(", ")
THING_FORMS = ["Can I submit {x}?", "Does the workshop accept {x}?"]
COUNTRIES = ("India, China, Brazil, Nigeria, Iran, Pakistan, Egypt, Vietnam, Turkey, Indonesia, Kenya, Bangladesh, "
             "Mexico, Colombia, Ethiopia, Russia, Ghana, Peru, Morocco, Nepal").split(", ")
COUNTRY_FORMS = ["Can I present remotely if my visa from {c} is delayed?", "Is there an invitation letter for a visa "
                 "from {c}?"]
MORE = ["Is there a best paper award?", "Can I change the author list after submitting?",
        "Can I update the paper after the deadline?", "Is there a registration fee for the workshop?",
        "Do I need a NeurIPS registration to attend?", "Can a student present the poster?",
        "What size should the poster be?", "Is there a lightning talk for each paper?",
        "Will the talks be recorded?", "Can I withdraw my submission?", "Are there travel grants?",
        "Can the camera-ready add an author?", "Is there a rebuttal phase?", "How many reviews will each paper get?",
        "Can I volunteer as a reviewer?", "Is there a dinner for speakers?", "Where are the slides posted?",
        "Are the 2023 papers online?", "Where was the 2023 workshop?", "Who spoke at the 2023 edition?"]

NAMES = ("Ana Lopez, Wei Zhang, Priya Raman, Tom Becker, Fatima Khan, Juan Perez, Mei Chen, Olu Adeyemi, "
         "Sara Rossi, Ivan Petrov, Aiko Tanaka, Lena Novak").split(", ")
PHONES = ["+1 (415) 555-0132", "+44 20 7946 0958", "415-555-0199", "+91 98765 43210", "06 12 34 56 78"]
GREETINGS = ["Hi! ", "Hello, ", "Quick question: ", "Hey all, "]
# Where a question was asked: (via, channel, public, share of all questions).
PLACES = [("mention", "CGENERAL", True, 0.60), ("thread", "CGENERAL", True, 0.10),
          ("mention", "GPRIVATE", False, 0.05), ("dm", "DIRECT", False, 0.15), ("command", "CGENERAL", False, 0.10)]

@dataclass(frozen=True)
class Logged:
    text: str
    via: str
    channel: str
    public: bool
    at: datetime


def distinct_questions() -> list[list[str]]:
    """Every question, as a list of its wordings: the popular ones first, then the long tail."""
    tail = [[form.format(t=t)] for t in TOPICS for form in TAIL_FORMS]
    tail += [[form.format(n=n)] for n in range(2, 13) for form in PAGES]
    tail += [[form.format(x=x)] for x in THINGS for form in THING_FORMS]
    tail += [[form.format(c=c)] for c in COUNTRIES for form in COUNTRY_FORMS]
    tail += [[q] for q in MORE]
    return POPULAR + tail


def _surface(rng: random.Random, text: str) -> str:
    """The same words, typed differently: case and punctuation (one question to the digest's grouping)."""
    roll = rng.random()
    if roll < 0.2:
        text = text.lower()
    elif roll < 0.3:
        text = text[0].lower() + text[1:]
    roll = rng.random()
    if roll < 0.12:
        text = text.rstrip("?")
    elif roll < 0.17:
        text += "?"
    elif roll < 0.2:
        text = text.rstrip("?") + " ?"
    return text


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 5]
    if not long:
        return text
    i = rng.choice(long)
    cut = rng.randrange(1, len(words[i]) - 1)
    words[i] = words[i][:cut] + words[i][cut + 1:]
    return " ".join(words)


def _personal(rng: random.Random, text: str) -> str:
    """Something the digest must never quote: a name, an email address, a handle, a phone number."""
    name = rng.choice(NAMES)
    first = name.split()[0]
    mail = f"{name.lower().replace(' ', '.')}@uni-{rng.randint(1, 40)}.edu"
    return rng.choice([f"{text} My name is {name}, {mail}", f"{text} I'm {first}, PhD student.",
                       f"{text} You can reach me at {rng.choice(PHONES)}.", f"{text} cc @{first.lower()}",
                       f"{text} Thanks, {first}", f"{text} Please reply to {mail}"])


def asked_text(rng: random.Random, wordings: list[str]) -> str:
    """One asking of a question: mostly its usual wording, sometimes another; typed as people type."""
    text = wordings[0] if len(wordings) == 1 or rng.random() < 0.55 else rng.choice(wordings[1:])
    roll = rng.random()
    if roll < 0.08:
        text = rng.choice(GREETINGS) + text[0].lower() + text[1:]
    elif roll < 0.10:
        text += " Thanks!"
    elif roll < 0.12:
        text = _typo(rng, text)
    text = _surface(rng, text)
    return _personal(rng, text) if rng.random() < 0.06 else text


def logged(count: int, since: datetime, until: datetime, seed: int = 2025) -> list[Logged]:
    """`count` questions asked between `since` and `until`, oldest first: two thirds of them the popular
    questions (the most asked by far), a third the long tail."""
    rng = random.Random(seed)
    questions = distinct_questions()
    popular = len(POPULAR)
    weights = [2 / (rank + 1) for rank in range(popular)]  # Zipf-like popularity
    tail_weight = sum(weights) / 2 / (len(questions) - popular)
    weights += [tail_weight] * (len(questions) - popular)
    places = [(via, channel, public) for via, channel, public, _ in PLACES]
    shares = [share for *_, share in PLACES]
    step = (until - since) / count
    chosen = rng.choices(questions, weights=weights, k=count)
    return [Logged(asked_text(rng, wordings), *rng.choices(places, weights=shares)[0], since + n * step)
            for n, wordings in enumerate(chosen)]


def _same_answer(text: str) -> str:
    """Wordings the assistant answers alike: case and punctuation aside."""
    return " ".join(re.findall(r"\w+", text.lower()))


def store(db: Database, questions: list[Logged], answer: Answerer) -> int:
    """Store the questions with the answers `answer` gives, as the Slack listeners do (each wording is
    asked once, as of its first asking; its later askings get the same answer); the number answered."""
    answers: dict[str, Answer] = {}
    rows = []
    for n, q in enumerate(questions):
        key = _same_answer(q.text)
        if key not in answers:
            answers[key] = answer(q.text, q.at)
        made = answers[key]
        rows.append({"via": q.via, "user_id": f"U{n % 700:05d}", "channel_id": q.channel,
                     "message_ts": None if q.via == "command" else f"{1754300000 + n}.000100",
                     "text": q.text, "answer": made.text, "answer_json": made.model_dump_json(),
                     "answered": made.answered, "edition": made.edition, "confidence": made.confidence,
                     "public": q.public, "created_at": q.at})
    with db.session() as s:
        s.execute(insert(Question), rows)
    return sum(row["answered"] for row in rows)
