"""What the bot writes is private: every DM question, the index, the mail. Folders 0700, files 0600.

The modes are set explicitly, whatever the umask, and also on what an earlier version left 0755/0644.
`restrict_umask` covers the files libraries create on their own (Chroma's segments, SQLite's journals).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
UMASK = 0o077

log = logging.getLogger(__name__)


def restrict_umask() -> None:
    """Every file and folder this process creates from now on is its owner's alone."""
    os.umask(UMASK)


def _restrict(path: Path, mode: int) -> None:
    try:
        path.chmod(mode)
    except PermissionError as error:  # not ours (a shared folder someone else made): say so, carry on
        log.warning("cannot make %s private (mode %o): %s", path, mode, error)


def private_folder(path: Path) -> Path:
    """`path`, created 0700 with any missing parents, or made 0700 if it exists."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    _restrict(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path`, created empty if missing (never readable by others, not even for a moment), and 0600."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _restrict(path, FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """`data` in `path`, a 0600 file."""
    private_file(path).write_bytes(data)
    return path


def replace_private(path: Path, data: bytes) -> Path:
    """`data` in `path`, a 0600 file in a private folder, written whole and renamed into place: a reader
    (another process among them) sees the old file or the new one, never half of either."""
    private_folder(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        write_private(partial, data)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def restrict_tree(root: Path) -> None:
    """`root` and everything below it private: what a library created there before the umask was set."""
    _restrict(root, FOLDER_MODE)
    for folder, folders, files in os.walk(root):
        for name, mode in [*((n, FOLDER_MODE) for n in folders), *((n, FILE_MODE) for n in files)]:
            if not (path := Path(folder, name)).is_symlink():  # a link's target is not ours to change
                _restrict(path, mode)
