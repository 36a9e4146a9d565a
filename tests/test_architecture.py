"""Dependencies point one way: each part of `bot/` imports only the parts below it."""

import ast
from pathlib import Path

from .conftest import REPO

# Lowest first: the text helpers, the settings, running it (logs, metrics, health); knowledge → index →
# assistant; events → scheduler → outbox → deliveries; the digest and announcements; mail received and
# answered (inbound) on top of the parts it answers with; the runtime builds the bot from all of them, the
# startup loads it in the background, and the modes and the command line sit on top.
LAYERS = ["__init__", "text", "config", "ops", "events", "storage", "templates", "knowledge", "deliveries", "outbox",
          "index", "assistant", "scheduler", "digest", "announcements", "parts", "inbound", "slack", "runtime",
          "startup", "console", "serve", "cli", "__main__"]


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


def modules() -> dict[str, Path]:
    """Every module of `bot/` by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted((REPO / "bot").rglob("*.py")):
        if "migrations" not in path.parts:
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:`: a name imported for a type hint alone is no dependency."""
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for statement in block.body for node in ast.walk(statement)}
    return [node for node in ast.walk(tree) if id(node) not in typing_only]


def test_no_two_modules_import_each_other_even_through_others():
    """Within a part too: a cycle means neither module can be read, or loaded, without the other."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        edges = set()
        for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                for alias in node.names:  # `from bot.x import y`: the module bot.x.y if there is one, else bot.x
                    edges.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module)
            elif isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in known}
        graph[name] = {edge for edge in edges if edge in known and edge != name}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycles.append(" → ".join([*path[path.index(other):], other]))
            elif other not in state:
                visit(other)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []



MAX_LINES = 600  # a module one can read in a sitting; most are under 300


def test_no_module_is_too_long_to_read():
    long = {str(path.relative_to(REPO)): lines for path in modules().values()
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
