"""Vectors of short texts (a page's lines, its sentences, example questions), by text: computed in
batches when first needed, by the model that embeds the passages, and kept (least recently used go)."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bot.ops.private import replace_private

CACHE_TEXTS = 50_000  # a line seen once is rarely embedded again: about 75 MB of 384-dimension vectors


class TextVectors:
    def __init__(self, embed: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed = embed
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        """Vectors computed before (by another process: `saved`), so that `of` need not compute them."""
        with self._lock:
            self._vectors.update(zip(texts, vectors, strict=True))

    def of(self, texts: list[str]) -> np.ndarray:
        """One unit-length row per text, in order."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            computed = np.asarray(self._embed(missing), dtype=np.float32)
            computed /= np.maximum(np.linalg.norm(computed, axis=1, keepdims=True), 1e-9)
            with self._lock:
                for text, vector in zip(missing, computed, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > CACHE_TEXTS:
                    self._vectors.popitem(last=False)
        with self._lock:
            rows = []
            for text in texts:
                vector = self._vectors.get(text)
                if vector is None:  # pushed out by another thread's batch meanwhile: computed again
                    vector = np.asarray(self._embed([text])[0], dtype=np.float32)
                    vector /= max(float(np.linalg.norm(vector)), 1e-9)
                    self._vectors[text] = vector
                self._vectors.move_to_end(text)
                rows.append(vector)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def kept_file(data_dir: Path, model: str, name: str) -> Path:
    """Where vectors named `name`, made by the model `model` (its identity), are kept in BOT_DATA_DIR."""
    return data_dir / "vectors" / f"{name}-{hashlib.sha256(model.encode()).hexdigest()[:16]}.npz"


def saved(path: Path, texts: list[str]) -> np.ndarray | None:
    """The vectors of `texts` kept in `path` by `save`, or None when it holds others (or nothing)."""
    try:
        with np.load(path, allow_pickle=False) as kept:
            if kept["texts"].tolist() == texts:
                return kept["vectors"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # none yet, or cut short: computed again
        pass
    return None


def save(path: Path, texts: list[str], vectors: np.ndarray) -> None:
    """Written whole, then renamed into place: a process reading it meanwhile sees the old file or the new."""
    replace_private(path, npz_bytes(texts=np.array(texts), vectors=vectors))


def npz_bytes(**arrays: Any) -> bytes:  # arrays by name (Any: numpy types the keywords as its own options)
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()
