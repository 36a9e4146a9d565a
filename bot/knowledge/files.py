"""Which files the knowledge reader may open: those really inside the knowledge root, never hidden ones.

A site repository is written by many hands, and git stores symbolic links: a page, a data file, a
layout or a bibliography may be a link to `/etc/passwd` or to the `.env` holding the bot's tokens.
Every file is therefore judged by where it really is (its resolved path), and dot files and `*.env`
files, where secrets live by convention, are never read, whatever the site's configuration says. A hard
link cannot be judged by its path at all (it is the file elsewhere, under a second name); git cannot
store one, so a file with more than one name is never read.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

SECRET_SUFFIXES = (".env",)  # `production.env`: the `.env` convention without the leading dot


def hidden(path: Path, root: Path) -> bool:
    """A dot file or a file inside a dot folder below `root` (`.env`, `.git/config`), or a `*.env` file."""
    parts = path.relative_to(root).parts if path.is_relative_to(root) else path.parts[-1:]
    return any(part.startswith(".") for part in parts) or path.name.lower().endswith(SECRET_SUFFIXES)


def refusal(path: Path, root: Path) -> str | None:
    """Why the file at `path` must not be read, or None when it may be: it is hidden, or it is a link
    that leads out of `root` or to a hidden file."""
    if hidden(path, root):
        return "is a hidden file; never read"
    real_root = root.resolve()
    try:
        target = path.resolve(strict=True)  # strict: Python 3.13's lenient resolve() no longer stops at a loop
    except FileNotFoundError:
        target = path.resolve()  # a link to nothing is judged by where it points
    except (OSError, RuntimeError):  # links that lead to one another, round and round
        return "is a link that leads round in a loop; not read"
    if not target.is_relative_to(real_root):
        return f"is a link to {target}, outside the knowledge folder {real_root}; not read"
    if hidden(target, real_root):
        return f"is a link to the hidden file {target.relative_to(real_root).as_posix()}; not read"
    with suppress(OSError):
        if target.is_file() and (names := target.stat().st_nlink) > 1:
            return (f"is a hard link (one file with {names} names), which may be a file from outside the "
                    "knowledge folder; git cannot store hard links, so no checkout of a site has one; not read")
    return None

