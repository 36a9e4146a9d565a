"""Generated workshop pages for throughput figures: deterministic, realistic shape, no real facts."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = ("learned scheduling compiler cache memory placement accelerator datacenter carbon energy "
         "workload serving training kernel graph runtime latency throughput benchmark dataset model "
         "agent cluster storage network database query index autotuning simulation hardware").split()
MONTHS = "January February March April May June July August September October November December".split()


def _sentence(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(8, 14))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def page(rng: random.Random, n: int) -> str:
    """About 1.3 KB of body: a dated list, two paragraphs, a struck-through date, a comment."""
    month = rng.choice(MONTHS)
    items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(3))
    return (
        f"---\ntitle: Session {n}\nsite_title: Synthetic Workshop\n---\n"
        f"<h2>Session {n}</h2><p>{_sentence(rng)} {_sentence(rng)} {_sentence(rng)}</p>"
        f"<h3>Dates</h3><ul><li>Deadline: <s>{month} 1, 2030</s> {month} 8, 2030 (AoE)</li>{items}</ul>"
        f"<!-- <p>draft: {_sentence(rng)}</p> -->"
        f"<h3>Details</h3><p>{_sentence(rng)} {_sentence(rng)} {_sentence(rng)} {_sentence(rng)}</p>"
    )


def write_pages(root: Path, count: int, editions: int = 4, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        path = root / f"synthetic{2030 + n % editions}" / f"page_{n:05d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(rng, n), encoding="utf-8")
        paths.append(path)
    return paths
