"""Workshop websites the project does not ship, each with questions written blind from its pages alone.

`tests/eval/sites/sites.yaml` names each site (its public repository, the commit and the folder its
pages come from, how it is built) and its split: `tuning` sites are the ones whose failures are
inspected to find bugs, `held-out` ones are only ever scored, and `fresh` ones are scored once, at
the end of a piece of work, and never inspected. `tests/eval/sites/<slug>.yaml` holds its questions.

The sites themselves are not part of this repository: each is its repository's folder at that commit,
copied into WORKSHOP_BOT_SITES/<slug> (default: `~/.cache/workshop-bot/sites`); only the text files
count (HTML, Markdown, data and templates), so images, scripts and styles may be left out. `python -m
tests.eval.sites` scores the sites present. Questions name their edition by the folder that
holds its pages (`edition_folder: 2023/`, `./` for the top level), as a reader of the site would; the
judge maps that folder to the edition the bot reads from it, and an edition the bot did not find
there counts as a wrong edition.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console

from bot.assistant.assistant import Assistant
from tests.eval.harness import Corpus, Outcome, Score, evaluate
from tests.eval.setup import corpus_assistant

SITES = Path(__file__).parent / "sites"
MANIFEST = SITES / "sites.yaml"
DEFAULT_ROOT = Path.home() / ".cache" / "workshop-bot" / "sites"
SPLITS = ("tuning", "held-out", "fresh")
UNMAPPED = "(no edition read from {folder})"


@dataclass(frozen=True)
class Site:
    slug: str
    repository: str
    commit: str
    folder: str  # the part of the repository that holds the site, "" for all of it
    generator: str
    split: str

    def root(self, sites: Path) -> Path:
        return sites / self.slug

    @property
    def questions(self) -> Path:
        return SITES / f"{self.slug}.yaml"


def sites_root() -> Path:
    return Path(os.environ.get("WORKSHOP_BOT_SITES") or DEFAULT_ROOT)


def manifest() -> list[Site]:
    entries = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return [Site(slug=e["slug"], repository=e["repository"], commit=e["commit"], folder=e.get("folder", ""),
                 generator=e["generator"], split=e["split"]) for e in entries]


def available(sites: Path | None = None) -> list[Site]:
    """The sites of the manifest whose files are present."""
    root = sites or sites_root()
    return [site for site in manifest() if site.root(root).is_dir()]


def edition_of_folder(assistant: Assistant, root: Path) -> dict[str, str]:
    """Each edition's folder, relative to the site's root (`2023/`, `./`), and the id the bot gave it."""
    folders = {}
    for edition in assistant.editions.items:
        relative = edition.path.resolve().relative_to(root.resolve()).as_posix()
        folders[f"{relative}/" if relative != "." else "./"] = edition.id
    return folders


def _holder(folder: str, folders: dict[str, str]) -> str | None:
    """The edition whose folder holds `folder`, the nearest one: a Hugo source's `content/` is the
    site's own edition when that is the site's root, and `content/archive/2023/` is the 2023 edition."""
    parts = [] if folder == "./" else folder.rstrip("/").split("/")
    for n in range(len(parts), -1, -1):
        if found := folders.get("/".join(parts[:n]) + "/" if n else "./"):
            return found
    return None


def site_items(site: Site, folders: dict[str, str]) -> list[dict]:
    items = yaml.safe_load(site.questions.read_text(encoding="utf-8"))
    mapped = []
    for item in items:
        folder = item.get("edition_folder", "./")
        folder = folder if folder.endswith("/") else f"{folder}/"
        edition = _holder(folder, folders) or UNMAPPED.format(folder=folder)
        mapped.append({**item, "edition": edition, "set": site.slug, "split": site.split})
    return mapped


def evaluate_site(site: Site, sites: Path, data: Path) -> tuple[list[Outcome], Assistant]:
    root = site.root(sites)
    assistant, _ = corpus_assistant(Corpus(site.slug, root, (site.questions,)), data / site.slug)
    return evaluate(assistant, site_items(site, edition_of_folder(assistant, root)), site.slug), assistant


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.sites")
    parser.add_argument("slugs", nargs="*", help="default: every site present of the splits chosen")
    parser.add_argument("--split", choices=SPLITS, action="append",
                        help="only these splits (default: tuning, held-out)")
    parser.add_argument("--failures", action="store_true", help="print the failures of tuning sites")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workshop-bot-eval-sites")
    args = parser.parse_args()
    console = Console(highlight=False)
    root = sites_root()
    splits = args.split or ["tuning", "held-out"]
    chosen = [s for s in available(root) if (s.slug in args.slugs if args.slugs else s.split in splits)]
    if not chosen:
        console.print(f"no site of {MANIFEST} under {root} (WORKSHOP_BOT_SITES)")
        return
    by_split: dict[str, list[Outcome]] = defaultdict(list)
    for site in chosen:
        outcomes, _ = evaluate_site(site, root, args.data)
        by_split[site.split].extend(outcomes)
        console.print(f"[bold]{site.slug}[/bold] ({site.split}, {site.generator}): {Score.of(outcomes).line()}")
        if args.failures and site.split == "tuning":
            for outcome in outcomes:
                if not outcome.passed:
                    console.print(f"  [red]{outcome.verdict}[/red] [{outcome.item['edition']}] {outcome.item['q']!r}: "
                                  f"{'; '.join(outcome.problems)}")
                    console.print("    " + outcome.answer.text.replace("\n", " ⏎ ")[:300])
    for split in SPLITS:
        if by_split[split]:
            console.print(f"[bold]{split} sites[/bold]: {Score.of(by_split[split]).line()}")


if __name__ == "__main__":
    main()
