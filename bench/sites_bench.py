"""Workshop websites the project does not ship (`tests/eval/sites`): our assistant beside the naive
LangChain RAG baseline, per split, the held-out sites first.

The sites are copied under WORKSHOP_BOT_SITES (see `python -m tests.eval.sites`); with none there, the
suite says so and reports nothing else. The baseline is judged on its text alone (it has no notion of
editions), which only flatters it; it never declines, so its unanswerable questions count as wrong.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from bench.accuracy_bench import Figures, counts, split_figures
from bench.naive_rag import NaiveRag
from bot.config import Settings
from bot.index.embeddings import load_embeddings
from tests.eval.harness import Outcome, evaluate
from tests.eval.sites import SPLITS, available, evaluate_site, sites_root

REPORTED = ("held-out", *(split for split in SPLITS if split != "held-out"))


def run() -> Figures:
    root = sites_root()
    present = available(root)
    figures: Figures = {"development sites present": len(present)}
    if not present:
        return figures
    embeddings = load_embeddings(Settings(_env_file=None).embeddings)
    ours: dict[str, list[Outcome]] = defaultdict(list)
    naive: dict[str, list[Outcome]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for site in present:
            outcomes, _ = evaluate_site(site, root, tmp / "ours")
            ours[site.split].extend(outcomes)
            baseline = NaiveRag(site.root(root), embeddings, tmp / "naive" / site.slug)
            text_only = [{k: v for k, v in o.item.items() if k != "edition"} for o in outcomes]
            naive[site.split].extend(evaluate(baseline, text_only, site.slug))
    for split in REPORTED:
        if ours[split]:
            figures[f"{split} sites"] = ", ".join(sorted({o.corpus for o in ours[split]}))
            figures[f"ours, correct / wrong / declined, {split} sites"] = counts(ours[split])
        for system, outcomes in (("ours", ours[split]), ("naive", naive[split])):
            if outcomes:
                figures |= split_figures(system, f"{split} sites", outcomes)
    return figures
