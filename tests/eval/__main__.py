"""`python -m tests.eval [CORPUS ...] [--failures] [--data DIR]`: scores by corpus, edition and split.

`python -m tests.eval --site ROOT QUESTIONS.yaml ...` scores any site on questions in the same format.

Indexes are kept under `--data` between runs (ingest only re-embeds what changed), so a run after a
change to the answer logic takes seconds.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

from rich.console import Console

from tests.eval.harness import CORPORA, Corpus, Outcome, Score, corpus_items, evaluate, load_items
from tests.eval.setup import corpus_assistant


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.eval")
    parser.add_argument("corpora", nargs="*", choices=[*CORPORA, []], help="default: all")
    parser.add_argument("--failures", action="store_true", help="print every failed question")
    parser.add_argument("--held-out", action="store_true", help="include held-out editions in --failures")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workshop-bot-eval")
    parser.add_argument("--site", type=Path, nargs="+", metavar=("ROOT", "QUESTIONS"),
                        help="score the site at ROOT on these question files instead")
    args = parser.parse_args()
    console = Console(highlight=False)
    if args.site:
        score_site(console, args.site[0], args.site[1:], args.data, args.failures)
        return
    outcomes: list[Outcome] = []
    for name in args.corpora or list(CORPORA):
        corpus = CORPORA[name]
        assistant, report = corpus_assistant(corpus, args.data / name)
        for warning in report.warnings:
            console.print(f"[yellow]{name}: {warning}[/yellow]")
        for error in report.errors:
            console.print(f"[red]{name}: {error}[/red]")
        results = evaluate(assistant, corpus_items(corpus), name)
        outcomes.extend(results)
        by_edition: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in results:
            by_edition[outcome.item.get("edition", "?")].append(outcome)
        console.print(f"[bold]{name}[/bold]: {Score.of(results).line()}")
        for edition, group in sorted(by_edition.items()):
            split = "held-out" if group[0].held_out else "tuning"
            console.print(f"  {edition} ({split}): {Score.of(group).line()}")
    for split, label in (("tuning", "tuning editions"), ("held-out", "held-out editions (inspected)"),
                         ("fresh", "held-out editions, fresh questions (never inspected)")):
        console.print(f"[bold]{label}[/bold]: {Score.of([o for o in outcomes if o.split == split]).line()}")
    if args.failures:
        for outcome in outcomes:
            if outcome.passed or outcome.split == "fresh" or (outcome.held_out and not args.held_out):
                continue
            print_failure(console, outcome)


def score_site(console: Console, root: Path, files: list[Path], data: Path, failures: bool) -> None:
    """One site's score on its own question files: for a site nobody here has tuned on."""
    corpus = Corpus(root.resolve().name, root.resolve(), tuple(files))
    assistant, report = corpus_assistant(corpus, data / f"site-{corpus.name}")
    for problem in [*report.warnings, *report.errors]:
        console.print(f"[yellow]{problem}[/yellow]")
    items = [item for path in files for item in load_items(path) if item.get("corpus", corpus.name) == corpus.name]
    outcomes = evaluate(assistant, items, corpus.name)
    console.print(f"[bold]{corpus.name}[/bold]: {Score.of(outcomes).line()}")
    for outcome in outcomes if failures else []:
        if not outcome.passed:
            print_failure(console, outcome)


def print_failure(console: Console, outcome: Outcome) -> None:
    console.print(f"\n[red]{outcome.verdict}[/red] [{outcome.corpus}/{outcome.item.get('edition')}] "
                  f"{outcome.item['q']!r}: {'; '.join(outcome.problems)}")
    console.print(f"  answer ({outcome.answer.edition}, {outcome.answer.confidence}): "
                  + outcome.answer.text.replace("\n", " ⏎ ")[:400])


if __name__ == "__main__":
    main()
