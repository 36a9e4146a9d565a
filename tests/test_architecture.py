"""Dependencies point one way: each part of `bot/` imports only the parts below it."""

import ast
from pathlib import Path

from .conftest import REPO

# Lowest first. knowledge → index → assistant; events → scheduler → outbox → deliveries; mail received
# (inbound) → answered (email_answers); the runtime
# builds the bot from all of them, the startup loads it in the background, and the modes and the command
# line sit on top.
LAYERS = ["__init__", "addresses", "config", "logs", "metrics", "private", "heap", "mrkdwn", "redact", "events",
          "storage", "templates", "knowledge", "deliveries", "outbox", "inbound", "index", "assistant", "scheduler",
          "digest", "digest_review", "announcements", "parts", "email_answers", "health", "slack", "runtime", "startup",
          "console", "serve", "cli", "__main__"]


def part(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            found |= {f"bot.{a.name}" for a in node.names} if node.module == "bot" else {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bot.")}
    return found


def test_every_part_imports_only_parts_below_it():
    upward = []
    for path in sorted((REPO / "bot").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(REPO).with_suffix("").parts
        me = relative[1] if len(relative) > 1 else relative[0]
        assert me in LAYERS, f"{path}: bot/{me} has no place in the layers; add it to LAYERS"
        for module in imports(path):
            other = part(module)
            if other != me and LAYERS.index(other) > LAYERS.index(me):
                upward.append(f"{path.relative_to(REPO)} imports {module}")
    assert upward == []
