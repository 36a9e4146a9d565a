"""The passage store: one Chroma collection, embedded or on a server, tied to one embedding model."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import chromadb
import numpy as np
from chromadb.api.types import Include
from chromadb.base_types import InclusionExclusionOperator, LiteralValue
from chromadb.config import Settings as ChromaSettings

from bot.config import Settings
from bot.ops.private import private_folder, restrict_tree

from bot.index.embeddings import IndexMismatchError, model_identity
from bot.index.mirror import Contents, mirror_file, save, writing

if TYPE_CHECKING:
    from bot.index.embeddings import Embedder
    from bot.knowledge.chunks import Chunk

log = logging.getLogger(__name__)
WRITING = "writing"  # collection metadata: an ingest is writing, or was killed while it was


@dataclass
class IndexedPage:
    root: str  # the knowledge root the page was read from ("" in indexes built before roots were recorded)
    hashes: set[str]


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:  # uses_chroma_server()
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    private_folder(settings.bot_data_dir)
    private_folder(settings.chroma_dir)
    client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    restrict_tree(settings.chroma_dir)  # chroma.sqlite3, just created with the umask's mode
    return client


class KnowledgeStore:
    """Passages with their vectors; `generation` changes whenever the contents do."""

    def __init__(self, settings: Settings, embeddings: Embedder, *, rebuild: bool = False) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model_name = model_identity(settings.embeddings)
        self.dimension = getattr(embeddings, "dimension", None) or len(embeddings.embed_query("dimension probe"))
        self.client = chroma_client(settings)
        if rebuild and settings.chroma_collection in {c.name for c in self.client.list_collections()}:
            self.client.delete_collection(settings.chroma_collection)
        # Passages are written with the vectors ingest has already made, and searched over a snapshot of
        # them (retrieval.py): the collection needs no embedding function of its own.
        self.collection: chromadb.Collection = self.client.get_or_create_collection(
            settings.chroma_collection, embedding_function=None,
            metadata={"embedding_model": self.model_name, "embedding_dim": self.dimension},
            configuration={"hnsw": {"space": "cosine"}})
        self._check_model()
        self._generation_lock = threading.Lock()  # a re-read racing a bump here must not undo it
        self._generation_checked = 0.0
        self._generation = self._read_generation()
        self.mirror = mirror_file(settings)

    def _check_model(self) -> None:
        meta = self.collection.metadata or {}
        built = (meta.get("embedding_model"), meta.get("embedding_dim"))
        if built != (self.model_name, self.dimension):
            raise IndexMismatchError.of(self.settings.chroma_collection, built[0], built[1], self.model_name,
                                        self.dimension)

    def _read_generation(self) -> int:
        meta = self.client.get_collection(self.settings.chroma_collection).metadata or {}
        return int(meta.get("generation", 0))

    @property
    def generation(self) -> int:
        """Re-read at most once a second: another process (an ingest) may have changed the index."""
        with self._generation_lock:
            now = time.monotonic()
            if now - self._generation_checked > 1.0:
                self._generation = self._read_generation()
                self._generation_checked = now
            return self._generation

    def bump_generation(self) -> None:
        self._bump({})

    def begin_writing(self) -> None:
        """Mark the index as being written (by an ingest), until `finish_writing`."""
        self._discard_mirror()
        self.collection.modify(metadata={**self._metadata(), WRITING: True})

    def finish_writing(self) -> None:
        """The writes are done: readers reload (a new generation), and the mark goes."""
        self._bump({WRITING: False})

    def interrupted(self) -> bool:
        """Whether an ingest began writing and never finished: killed before its generation bump, it left
        readers on what they held before."""
        return bool(self._metadata().get(WRITING))

    def _metadata(self) -> dict:
        return dict(self.client.get_collection(self.settings.chroma_collection).metadata or {})

    def _bump(self, marks: dict) -> None:
        with self._generation_lock, self._mirror_writing():
            meta = self._metadata()
            meta.update(marks, generation=int(meta.get("generation", 0)) + 1)
            self.collection.modify(metadata=meta)
            self._generation = meta["generation"]
            self._write_mirror(meta)

    def keep_mirror(self) -> None:
        """Give the index its read copy if it lacks one (an index built before copies were kept)."""
        if self.mirror is not None and not self.mirror.is_file():
            with self._mirror_writing():
                self._write_mirror(self._metadata())

    def _mirror_writing(self) -> AbstractContextManager[None]:
        return writing(self.mirror) if self.mirror is not None else nullcontext()

    def _write_mirror(self, meta: dict) -> None:
        """The copy of every passage as of this generation; none while an ingest is mid-write."""
        if self.mirror is None or meta.get(WRITING):
            return
        found = self.collection.get(include=["documents", "metadatas", "embeddings"])
        vectors = found["embeddings"]
        save(self.mirror, Contents(int(meta.get("generation", 0)), self.model_name, self.dimension, found["ids"],
                                   found["documents"] or [], [dict(m) for m in found["metadatas"] or []],
                                   np.asarray(vectors if vectors is not None else [], dtype=np.float32)))

    def _discard_mirror(self) -> None:
        if self.mirror is not None:
            self.mirror.unlink(missing_ok=True)

    def count(self) -> int:
        return self.collection.count()

    def page_hashes(self) -> dict[str, IndexedPage]:
        """source → its knowledge root and the content hashes its passages carry (two: a torn update)."""
        page_kinds: dict[InclusionExclusionOperator, list[LiteralValue]] = {"$in": ["page", "empty"]}
        found = self.collection.get(where={"kind": page_kinds}, include=["metadatas"])
        pages: dict[str, IndexedPage] = {}
        for meta in found["metadatas"] or []:
            page = pages.setdefault(str(meta["source"]), IndexedPage(root=str(meta.get("root") or ""), hashes=set()))
            page.hashes.add(str(meta["page_hash"]))
        return pages

    def ids_of_source(self, source: str) -> list[str]:
        return self.collection.get(where={"source": source}, include=[])["ids"]

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self.embeddings.embed_documents(texts)

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray | None = None) -> None:
        """Write passages with their vectors (embedded here unless given)."""
        if chunks:
            self._discard_mirror()
            texts = [c.text for c in chunks]
            embedded = np.asarray(self.embed(texts) if vectors is None else vectors, dtype=np.float32)
            self.collection.upsert(ids=[c.id for c in chunks], documents=texts, embeddings=embedded,
                                   metadatas=[c.metadata for c in chunks])

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._discard_mirror()
            self.collection.delete(ids=list(ids))

    def edition_passages(self, edition: str) -> tuple[list[str], list[str], list[dict], np.ndarray]:
        """ids, texts, metadatas and vectors of the edition's passages (an empty page's marker left out)."""
        ids, texts, metas, vectors = self.passages({"$and": [{"edition": edition}, {"kind": {"$ne": "empty"}}]},
                                                   with_vectors=True)
        return ids, texts, [dict(m) for m in metas], np.asarray(vectors, dtype=np.float32)

    def passages(self, where: dict, *, with_vectors: bool = False) -> tuple:
        """ids, documents and metadatas (and vectors) of every passage matching `where`."""
        include: Include = ["documents", "metadatas"]
        if with_vectors:
            include.append("embeddings")
        found = self.collection.get(where=where, include=include)
        result = (found["ids"], found["documents"] or [], found["metadatas"] or [])
        if with_vectors:
            vectors = found["embeddings"]
            return (*result, vectors if vectors is not None else [])
        return result
