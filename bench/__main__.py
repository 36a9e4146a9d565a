"""`make bench`: run every benchmark and print its figures (copy them into the README)."""

from __future__ import annotations

import argparse
import importlib
import json
import resource
from pathlib import Path

from rich.console import Console
from rich.table import Table

# Suite name -> module under bench/ with a `run() -> dict`; imported only when run, so one suite's
# imports (or breakage) don't stand in the way of another's.
SUITES = {
    "knowledge": "knowledge_bench", "slack": "slack_bench", "reminders": "reminders_bench",
    "digest": "digest_bench", "accuracy": "accuracy_bench", "site": "site_bench", "spam": "spam_bench",
    "startup": "startup_bench",
}
RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=sorted(SUITES), action="append", help="run only these suites")
    args = parser.parse_args()
    console = Console()
    all_figures = {}
    for name in args.only or SUITES:
        figures = importlib.import_module(f"bench.{SUITES[name]}").run()
        figures["peak RSS, bench process (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures["peak RSS, child processes (MB)"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        table = Table(title=name, show_header=True)
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in figures.items():
            table.add_row(key, f"{value:,.1f}" if isinstance(value, float) else str(value))
        console.print(table)
        all_figures[name] = figures
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(all_figures, indent=2))


if __name__ == "__main__":
    main()
