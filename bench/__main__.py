"""`make bench`: run every benchmark and print its figures (docs/benchmarks.md reports them, with the load).

`--embeddings NAME` runs the suites with that embedding model (default: EMBEDDINGS, else the bot's
default). Given twice or more, each model's run is a process of its own (so each peak RSS is that
model's) and the figures are printed side by side. `--repeat N` runs each suite N times and reports
the median of each number: the machine may be shared.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config import Settings

# Suite name -> module under bench/ with a `run() -> dict`; imported only when run, so one suite's
# imports (or breakage) don't stand in the way of another's.
SUITES = {
    "knowledge": "knowledge_bench", "slack": "slack_bench", "reminders": "reminders_bench",
    "digest": "digest_bench", "accuracy": "accuracy_bench", "site": "site_bench", "spam": "spam_bench",
    "startup": "startup_bench", "replicas": "replicas_bench", "email": "email_bench",
    "wording": "wording_bench", "sites": "sites_bench", "models": "models_bench",
    "install": "install_bench", "crawl": "crawl_bench",
}
ON_REQUEST = {"install"}  # minutes of network and disk: run only when named with --only
RESULTS = Path(__file__).with_name("results")
Figures = dict[str, float | int | str]


def run_suite(name: str, repeat: int) -> Figures:
    runs = []
    for _ in range(repeat):
        figures = importlib.import_module(f"bench.{SUITES[name]}").run()
        figures["peak RSS, bench process (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures["peak RSS, child processes (MB)"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        runs.append(figures)
    return {key: median(key, runs) for key in runs[-1]}


def median(key: str, runs: list[Figures]) -> float | int | str:
    values = [r[key] for r in runs if key in r]
    if all(isinstance(v, int | float) for v in values):
        return statistics.median(values)  # type: ignore[type-var]
    return values[-1]


def show(console: Console, title: str, columns: list[str], rows: dict[str, list]) -> None:
    table = Table(title=title, show_header=True)
    table.add_column("figure")
    for column in columns:
        table.add_column(column, justify="right")
    for key, values in rows.items():
        table.add_row(key, *(f"{v:,.1f}" if isinstance(v, float) else "" if v is None else str(v) for v in values))
    console.print(table)


def side_by_side(models: list[str], suites: list[str], repeat: int) -> dict[str, dict[str, Figures]]:
    """Each model's run in its own process; results[suite][model] = figures."""
    results: dict[str, dict[str, Figures]] = {suite: {} for suite in suites}
    with tempfile.TemporaryDirectory() as tmp:
        for n, model in enumerate(models):
            out = Path(tmp) / f"{n}.json"
            command = [sys.executable, "-m", "bench", "--embeddings", model, "--repeat", str(repeat),
                       "--output", str(out), *(f"--only={s}" for s in suites)]
            subprocess.run(command, check=True)
            for suite, figures in json.loads(out.read_text())[model].items():
                results[suite][model] = figures
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=sorted(SUITES), action="append", help="run only these suites")
    parser.add_argument("--embeddings", action="append", metavar="NAME",
                        help="embedding model (EMBEDDINGS); twice or more: side by side")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="median of N runs of each suite")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    suites = args.only or [s for s in SUITES if s not in ON_REQUEST]
    models = args.embeddings or [Settings(_env_file=None).embeddings]
    console = Console()
    if len(models) > 1:
        results = side_by_side(models, suites, args.repeat)
        for suite, by_model in results.items():
            keys = list(dict.fromkeys(k for figures in by_model.values() for k in figures))
            show(console, suite, models, {k: [by_model[m].get(k) for m in models] for k in keys})
        output = {model: {suite: results[suite][model] for suite in suites} for model in models}
    else:
        os.environ["EMBEDDINGS"] = models[0]  # the suites' Settings, and the processes they start
        figures_by_suite = {}
        for name in suites:
            figures = run_suite(name, args.repeat)
            show(console, f"{name} ({models[0]})", ["value"], {k: [v] for k, v in figures.items()})
            figures_by_suite[name] = figures
        output = {models[0]: figures_by_suite}
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
