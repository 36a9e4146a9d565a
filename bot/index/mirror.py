"""The index's read copy: every passage and its vector in one file beside the embedded Chroma store.

Answering only reads passages, and reads all of an edition's at once (retrieval.py searches a snapshot of
them). Loading Chroma's client to do it takes 1.4 s of every cold `ask`, more than the rest of the
answer; this file is read in milliseconds, with numpy alone. The store rewrites it whenever the index's
generation moves and deletes it when a write begins, so a reader either finds the last complete index or
none, and then opens Chroma as before. With a Chroma server there is no copy: other hosts write there.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.config import Settings
from bot.index.embeddings import Embedder, IndexMismatchError, model_identity
from bot.index.vectors import npz_bytes
from bot.ops.private import private_folder, replace_private

log = logging.getLogger(__name__)
RECHECK_SECONDS = 1.0  # as often as a store re-reads Chroma's generation


class Passages(Protocol):
    """What answering reads of the index: the Chroma store and its copy both have it."""

    embeddings: Embedder
    model_name: str
    dimension: int

    @property
    def generation(self) -> int: ...

    def edition_passages(self, edition: str) -> tuple[list[str], list[str], list[dict], np.ndarray]: ...

    def embed(self, texts: list[str]) -> list[list[float]]: ...

    def count(self) -> int: ...


def mirror_file(settings: Settings) -> Path | None:
    """Where the copy of the embedded store lives; None for a Chroma server."""
    if settings.uses_chroma_server():
        return None
    return settings.bot_data_dir / "passages" / f"{settings.chroma_collection}.npz"


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """One writer at a time on this host: a copy written from an older generation never replaces a newer."""
    private_folder(path.parent)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@dataclass(frozen=True)
class Contents:
    generation: int
    model: str
    dimension: int
    ids: list[str]
    texts: list[str]
    metadatas: list[dict]
    vectors: np.ndarray


def save(path: Path, contents: Contents) -> None:
    """Written whole to a temporary file and renamed: a reader never sees half of it."""
    header = {"generation": contents.generation, "model": contents.model, "dimension": contents.dimension,
              "ids": contents.ids, "texts": contents.texts, "metadatas": contents.metadatas}
    replace_private(path, npz_bytes(
        header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        vectors=np.asarray(contents.vectors, dtype=np.float32).reshape(-1, contents.dimension)))


def load(path: Path) -> Contents:
    """The copy at `path`; ValueError naming it when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            header = json.loads(stored["header"].tobytes())
            vectors = stored["vectors"]
        return Contents(int(header["generation"]), str(header["model"]), int(header["dimension"]),
                        header["ids"], header["texts"], header["metadatas"], vectors)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable copy of the index ({error})") from error


class IndexMirror:
    """The passages as the copy holds them, reloaded when the file is replaced (a new generation)."""

    def __init__(self, path: Path, settings: Settings, embeddings: Embedder) -> None:
        self.path = path
        self.embeddings = embeddings
        self.model_name = model_identity(settings.embeddings)
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._contents = load(path)
        self._checked = time.monotonic()
        self.dimension = self._contents.dimension
        if self._contents.model != self.model_name:
            raise IndexMismatchError.of(settings.chroma_collection, self._contents.model, self._contents.dimension,
                                        self.model_name, self.dimension)

    def _stat(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None  # a write has begun: what was loaded stays, as a store's snapshot does
        return found.st_ino, found.st_mtime_ns

    def _current(self) -> Contents:
        with self._lock:
            now = time.monotonic()
            if now - self._checked > RECHECK_SECONDS:
                self._checked = now
                stamp = self._stat()
                if stamp is not None and stamp != self._stamp:
                    try:
                        self._contents, self._stamp = load(self.path), stamp
                    except ValueError as error:
                        log.warning("%s; answering from what was read before", error)
            return self._contents

    @property
    def generation(self) -> int:
        return self._current().generation

    def edition_passages(self, edition: str) -> tuple[list[str], list[str], list[dict], np.ndarray]:
        contents = self._current()
        chosen = [i for i, meta in enumerate(contents.metadatas)
                  if meta.get("edition") == edition and meta.get("kind") != "empty"]
        return ([contents.ids[i] for i in chosen], [contents.texts[i] for i in chosen],
                [contents.metadatas[i] for i in chosen], contents.vectors[chosen])

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self.embeddings.embed_documents(texts)

    def count(self) -> int:
        return len(self._current().ids)


def open_mirror(settings: Settings, embeddings: Embedder) -> IndexMirror | None:
    """The copy, when the index has one that can be read."""
    path = mirror_file(settings)
    if path is None or not path.is_file():
        return None
    try:
        return IndexMirror(path, settings, embeddings)
    except ValueError as error:
        log.warning("%s; reading the index from Chroma", error)
        return None
