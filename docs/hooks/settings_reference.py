"""MkDocs hook: the configuration reference, made from the settings class at build time.

`docs/configuration.md` holds the marker below; this hook replaces it with one table per group of
settings, each row an environment variable read by `bot.config.Settings`: its name, default, accepted
values and description, all taken from the class. A setting added, renamed or re-described in
`bot/config.py` shows up in the next build, so the page cannot drift from the code. A setting without a
description, or a group heading naming a field that no longer exists, fails the build.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `mkdocs build` from a checkout, whether or not the bot is installed
    sys.path.insert(0, str(REPO))

MARKER = "<!-- settings-reference -->"
END = "<!-- /settings-reference -->"  # what stands between the two is for readers of the unbuilt file
# Group headings, each starting at the first field it names; the fields follow in the class's own order.
GROUPS = {
    "bot_data_dir": "Knowledge and index",
    "embeddings": "Answers",
    "log_level": "Logs and templates",
    "database_url": "Database",
    "slack_bot_token": "Slack",
    "announcements_channel": "Reminders and replicas",
    "smtp_host": "Sending email",
    "inbound_protocol": "Questions by email",
    "digest_cron": "Digests",
}


def environment_name(settings: type, name: str, field: Any) -> str:
    """The variable pydantic-settings reads for a field: an alias if one is set, else the prefix and the
    field's name (matched in any case; written here in capitals)."""
    alias = field.validation_alias or field.alias
    if isinstance(alias, str):
        return alias.upper()
    return (settings.model_config.get("env_prefix", "") + name).upper()


def type_name(annotation: Any) -> str:
    """`int`, `path`, `secret` …, and `| unset` when the setting may be left out."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        named = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(named) + (" (optional)" if type(None) in args else "")
    name = getattr(annotation, "__name__", str(annotation))
    return {"str": "text", "int": "integer", "float": "number", "bool": "on/off", "Path": "path",
            "SecretStr": "secret"}.get(name, name)


def constraints(field: Any) -> str:
    """What the field's validators of bounds and patterns accept, as written in the class."""
    words = []
    for meta in field.metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            if getattr(meta, attr, None) is not None:
                words.append(f"{sign} {getattr(meta, attr)}")
        pattern = getattr(meta, "pattern", None)
        if pattern:
            choices = pattern.strip("^$").strip("()?").split("|")
            words.append("one of " + ", ".join(f"`{c}`" for c in choices)
                         + (" or empty" if pattern.endswith(")?$") else ""))
    return "; ".join(words)


def default_text(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, Path) and value.is_relative_to(REPO):
            return f"`{value.relative_to(REPO)}` (a checkout; an installed wheel: its own copy)"
        return f"`{value}`"
    value = field.default
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return "`on`" if value else "`off`"
    return f"`{value}`"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def undocumented(settings: type) -> list[str]:
    """Fields without a description: the reference would show an empty cell."""
    return [name for name, field in settings.model_fields.items() if not (field.description or "").strip()]


def reference() -> str:
    from bot.config import Settings

    fields = Settings.model_fields
    if missing := undocumented(Settings):
        raise ValueError(f"settings without a description in bot/config.py: {', '.join(missing)}")
    if unknown := set(GROUPS) - set(fields):
        raise ValueError(f"docs/hooks/settings_reference.py groups fields that are gone: {', '.join(sorted(unknown))}")
    config = Settings.model_config
    case = "case-sensitive" if config.get("case_sensitive") else "matched in any case"
    env_file = config.get("env_file")
    lines: list[str] = [
        f"{len(fields)} settings, in the order `bot/config.py` declares them. Variable names are {case}"
        + (f"; a `{env_file}` file in the working directory is read too, and the environment wins over it."
           if env_file else "."), ""]
    for name, field in fields.items():
        if name in GROUPS or not lines[-1]:
            heading = GROUPS.get(name, "General")
            lines += ["", f"## {heading}", "", "| variable | default | accepts | meaning |", "|---|---|---|---|"]
        accepts = type_name(field.annotation)
        if extra := constraints(field):
            accepts += f"; {extra}"
        lines.append(f"| `{environment_name(Settings, name, field)}` | {cell(default_text(field))} | {cell(accepts)} "
                     f"| {cell(field.description or '')} |")
    return "\n".join(lines) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    if END in markdown:
        return re.sub(re.escape(MARKER) + ".*?" + re.escape(END), lambda _: reference(), markdown, flags=re.S)
    return markdown.replace(MARKER, reference())
