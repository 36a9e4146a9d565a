"""`make bench`: run every benchmark and print its figures (copy them into the README)."""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import digest_bench, knowledge_bench, reminders_bench, slack_bench

SUITES = {
    "knowledge": knowledge_bench.run, "slack": slack_bench.run, "reminders": reminders_bench.run,
    "digest": digest_bench.run,
}
RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=sorted(SUITES), action="append", help="run only these suites")
    args = parser.parse_args()
    console = Console()
    all_figures = {}
    for name in args.only or SUITES:
        figures = SUITES[name]()
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
