"""What the assistant returns: the answer, whether the pages held it, and where it came from."""

from __future__ import annotations

from pydantic import BaseModel


class Source(BaseModel):
    title: str
    path: str
    url: str
    edition: str
    section: str = ""

    @classmethod
    def from_metadata(cls, meta: dict) -> Source:
        return cls(title=meta["title"], path=meta["source"], url=meta.get("url") or "", edition=meta["edition"],
                   section=meta.get("section", ""))


class Answer(BaseModel):
    question: str
    text: str
    answered: bool
    edition: str | None
    sources: list[Source] = []
    confidence: float = 0.0

    def contract(self) -> dict:
        """The `ask --json` object, field for field: other tools parse it."""
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "edition": self.edition,
            "sources": [s.model_dump() for s in self.sources],
            "confidence": round(self.confidence, 3),
        }
