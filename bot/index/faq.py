"""Organizer answers become passages, so the assistant answers the same question itself next time."""

from __future__ import annotations

from bot.index.store import KnowledgeStore
from bot.knowledge.chunks import Chunk
from bot.storage.models import FaqEntry

FAQ_TITLE = "FAQ"


def faq_chunk(entry: FaqEntry, fallback_url: str | None) -> Chunk:
    """The question is the section heading, as on an FAQ page; the answer is the passage."""
    return Chunk(
        id=f"faq/{entry.id}",
        text=f"{FAQ_TITLE} › {entry.question}\n{entry.answer}",
        metadata={
            "kind": "faq",
            "edition": entry.edition or "",
            "source": f"faq/{entry.id}",
            "title": FAQ_TITLE,
            "section": entry.question,
            "url": entry.url or fallback_url or "",
            "page_hash": "",
            "position": 0,
        },
    )


def index_faq(store: KnowledgeStore, entry: FaqEntry, fallback_url: str | None) -> None:
    reindex_faq(store, [entry], fallback_url)


def reindex_faq(store: KnowledgeStore, entries: list[FaqEntry], fallback_url: str | None) -> None:
    """(Re)index FAQ entries: after one is answered, or after `ingest --rebuild` dropped them all."""
    if entries:
        store.upsert([faq_chunk(entry, fallback_url) for entry in entries])
        store.bump_generation()
