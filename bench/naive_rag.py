"""The naive LangChain RAG baseline the issue tracker compared against: raw page text, recursive character
chunks, MiniLM embeddings in Chroma, the top four chunks pasted together as the answer.

It has no edition logic: an answer's edition is the top chunk's folder when that folder is named like an
edition (`neurips2018/…`), else None (top-level pages of a Jekyll checkout, single-edition sites). It has
no answer decision either: every question is answered, so it never declines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from langchain_text_splitters import RecursiveCharacterTextSplitter

PAGE_SUFFIXES = {".html", ".htm", ".md", ".markdown"}
EDITION_FOLDER = re.compile(r"[a-z]+\d{4}")
CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4


def split_documents(documents: list[Document]) -> list[Document]:
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.split_documents(documents)


def page_files(root: Path) -> list[Path]:
    """Every page file under `root`, but not `_`/`.`-prefixed paths (Jekyll internals, dot folders) or READMEs."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES
                  and not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)
                  and not p.name.lower().startswith("readme"))


def edition_of(source: str) -> str | None:
    """The folder an edition-per-folder site keeps this page in, if its name looks like one (`isca2019`)."""
    parts = source.split("/")
    return parts[0] if len(parts) > 1 and EDITION_FOLDER.fullmatch(parts[0]) else None


@dataclass(frozen=True)
class NaiveSource:
    path: str
    title: str = ""


@dataclass
class NaiveAnswer:
    question: str
    text: str
    edition: str | None
    confidence: float
    sources: list[NaiveSource] = field(default_factory=list)
    answered: bool = True


class NaiveRag:
    def __init__(self, root: Path, embeddings: Embeddings, persist: Path) -> None:
        documents = [Document(page_content=path.read_text(encoding="utf-8", errors="replace"),
                              metadata={"source": path.relative_to(root).as_posix()}) for path in page_files(root)]
        self.pages = len(documents)
        chunks = split_documents(documents)
        self.chunks = len(chunks)
        self.store = Chroma(collection_name="naive-rag", embedding_function=embeddings,
                            persist_directory=str(persist), client_settings=ChromaSettings(anonymized_telemetry=False))
        for start in range(0, len(chunks), 256):
            self.store.add_documents(chunks[start:start + 256])

    def ask(self, question: str, now: datetime | None = None) -> NaiveAnswer:
        """The top chunks, pasted; confidence is the top chunk's cosine similarity (the vectors are unit)."""
        del now  # the baseline has no notion of time
        hits = self.store.similarity_search_with_score(question, k=TOP_K)  # Chroma's default: squared L2
        documents = [doc for doc, _ in hits]
        sources = list(dict.fromkeys(NaiveSource(doc.metadata["source"]) for doc in documents))
        return NaiveAnswer(question=question, text="\n\n".join(doc.page_content for doc in documents),
                           edition=edition_of(documents[0].metadata["source"]) if documents else None,
                           confidence=1 - hits[0][1] / 2 if hits else 0.0, sources=sources)
