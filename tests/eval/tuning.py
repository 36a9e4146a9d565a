"""The development data every fit reads: the tuning editions of `tests/eval`'s corpora and the tuning
sites of `tests/eval/sites` present on this machine. Held-out editions, held-out sites and fresh sites
are never yielded, so nothing fit on them can leak into the figures reported on them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.assistant.assistant import Assistant
from tests.eval.harness import CORPORA, HELD_OUT, Corpus, corpus_items
from tests.eval.setup import corpus_assistant
from tests.eval.sites import available, edition_of_folder, site_items, sites_root


@dataclass
class TuningSet:
    """One site (or corpus) of tuning questions, with the assistant that reads its pages."""

    name: str
    assistant: Assistant
    items: list[dict]


def tuning_sets(data: Path) -> Iterator[TuningSet]:
    for name, corpus in CORPORA.items():
        items = [i for i in corpus_items(corpus) if (name, i.get("edition")) not in HELD_OUT and not i.get("fresh")]
        if name != "seed" and items:  # the seed questions are a test gate, not development data
            yield TuningSet(name, corpus_assistant(corpus, data / name)[0], items)
    root = sites_root()
    for spec in available(root):
        if spec.split == "tuning":
            assistant, _ = corpus_assistant(Corpus(spec.slug, spec.root(root), (spec.questions,)), data / spec.slug)
            yield TuningSet(spec.slug, assistant, site_items(spec, edition_of_folder(assistant, spec.root(root))))
