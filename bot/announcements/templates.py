"""The announcement templates organizers choose from, and the fields each takes (light: only Jinja2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import meta, nodes

from bot.templates import environment


@dataclass(frozen=True)
class Fields:
    required: frozenset[str]
    optional: frozenset[str]  # tested with `is defined` in the template
    order: tuple[str, ...] = ()  # all of them, as the template first uses them: how a form lists them


def templates(prompts_dir: Path) -> list[str]:
    return sorted(p.name.split(".")[0] for p in (prompts_dir / "announcements").glob("*.slack.md.j2"))


def fields_of(prompts_dir: Path, template: str) -> Fields:
    """The fields an organizer fills in (`now` is the bot's)."""
    env = environment(prompts_dir)
    assert env.loader is not None  # environment() always sets its FileSystemLoader
    tree = env.parse(env.loader.get_source(env, f"announcements/{template}.slack.md.j2")[0])
    every = meta.find_undeclared_variables(tree) - {"now"}
    optional = {test.node.name for test in tree.find_all(nodes.Test)
                if test.name == "defined" and isinstance(test.node, nodes.Name)} & every
    order = dict.fromkeys(n.name for n in tree.find_all(nodes.Name) if n.name in every)
    return Fields(frozenset(every - optional), frozenset(optional), tuple(order))


def described(prompts_dir: Path) -> list[str]:
    """One line per template: its name and fields, for help texts."""
    lines = []
    for template in templates(prompts_dir):
        fields = fields_of(prompts_dir, template)
        names = [*sorted(fields.required), *(f"[{name}]" for name in sorted(fields.optional))]
        lines.append(f"{template}: {' '.join(names) or '(no fields)'}")
    return lines
