"""jekyll-scholar's tags: a site's BibTeX file listed, cited and referenced as its accepted-papers pages show it."""

from __future__ import annotations

import html
import shlex
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, TextIO, cast

from liquid import RenderContext, Token, TokenStream
from liquid import exceptions as liquid_errors
from liquid.ast import Node

from bot.knowledge import scholar
from bot.knowledge.files import refusal
from bot.knowledge.jekyll.tags import NamedTag, tag_expression

if TYPE_CHECKING:
    from bot.knowledge.jekyll.environment import SiteEnvironment
    from bot.knowledge.jekyll.site import JekyllSite

# jekyll-scholar's options that take a value; the other words of `{% cite %}` are keys.
SCHOLAR_OPTIONS = {"-f", "--file", "-q", "--query", "-p", "--prefix", "-s", "--style", "-T", "--template", "-m",
                   "--max", "-l", "--locator", "-L", "--label", "-g", "--group_by", "-G", "--group_order", "--suffix"}


class ScholarTag(NamedTag):
    """jekyll-scholar's tags: `{% bibliography %}` lists every entry of the bibliography, `{% reference key %}`
    prints an entry as listed, `{% cite key %}` its title. `--file name` picks the file; the other options
    (`--query`, `--cited`, styles) are read past, so the whole file is listed."""

    def parse(self, stream: TokenStream) -> Node:
        tag, expression = tag_expression(stream)
        try:
            words = iter(shlex.split(expression.value) if expression else [])
        except ValueError as err:
            raise liquid_errors.LiquidSyntaxError(f"{self.name}: {err}", token=expression) from err
        file, keys = None, []
        for word in words:
            if word in SCHOLAR_OPTIONS:
                value = next(words, None)
                file = value if word in ("-f", "--file") else file
            elif not word.startswith("-"):
                keys.append(word)
        return _ScholarNode(tag, self.name, file, keys)


class _ScholarNode(Node):
    def __init__(self, token: Token, tag: str, file: str | None, keys: list[str]) -> None:
        super().__init__(token)
        self.tag = tag
        self.file = file
        self.keys = keys
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        env = cast("SiteEnvironment", context.env)
        try:
            entries = _entries(env.site, self.file)
        except FileNotFoundError as err:
            env.error(liquid_errors.LiquidError(f"{self.tag}: {err}", token=self.token))
            return 0
        if self.tag == "bibliography":
            return buffer.write(scholar.bibliography(entries))
        cited = [entry for key in self.keys for entry in entries if entry.get("ID") == key]
        if self.tag == "reference":
            return buffer.write(" ".join(scholar.reference(entry) for entry in cited))
        return buffer.write("; ".join(html.escape(scholar.latex_text(entry.get("title"))) for entry in cited))


def _entries(site: JekyllSite, name: str | None) -> list[dict[str, str]]:
    """The entries of a bibliography (`--file name`, else the config's `bibliography`), read once.

    Raise FileNotFoundError naming the file when there is none; a file that cannot be read is
    reported in `problems` and lists nothing.
    """
    scholar_config = site.config.get("scholar")
    default = scholar_config.get("bibliography") if isinstance(scholar_config, dict) else None
    name = name or (default if isinstance(default, str) and default else "references.bib")
    if name.startswith("/") or ".." in PurePosixPath(name).parts:
        raise FileNotFoundError(f"{name} is outside {site._scholar_folder.relative_to(site.root).as_posix()}/")
    path = site._scholar_folder / name
    if not path.is_file() and path.suffix != ".bib":
        path = path.with_name(f"{path.name}.bib")
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(site.root).as_posix()} not found")
    if problem := refusal(path, site.boundary):
        raise FileNotFoundError(f"{path.relative_to(site.root).as_posix()} {problem}")
    if path not in site._bibliographies:
        try:
            site._bibliographies[path] = scholar.read_bibliography(path)
        except (OSError, ValueError) as err:
            site.problems.append(f"{path.relative_to(site.root).as_posix()}: {err}")
            site._bibliographies[path] = []
    return site._bibliographies[path]
