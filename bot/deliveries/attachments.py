"""Files an email carries after its text and HTML, as they travel in an outbox row's JSON body:
`{"filename", "content_type", "data"}`, the data as text for text/* types (a calendar stays readable in
the database) and base64 otherwise (`"encoding": "base64"`)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from bot.deliveries import PermanentError

CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
FILENAME = re.compile(r"^[^\x00-\x1f\x7f/\\\"]{1,120}$")  # one line, no folders, nothing to quote


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # `type/subtype`, e.g. text/calendar
    data: bytes

    @property
    def is_text(self) -> bool:
        return self.content_type.startswith("text/")

    def to_json(self) -> dict[str, str]:
        if self.is_text:
            return {"filename": self.filename, "content_type": self.content_type, "data": self.data.decode()}
        return {"filename": self.filename, "content_type": self.content_type, "encoding": "base64",
                "data": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, item: Any) -> Attachment:
        """The attachment an outbox body describes; a malformed one is refused (sending it again won't help)."""
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str)
                                                 for k in ("filename", "content_type", "data")):
            raise PermanentError("an attachment needs filename, content_type and data, as strings")
        filename, content_type, data = item["filename"], item["content_type"].lower(), item["data"]
        if not FILENAME.match(filename):
            raise PermanentError(f"not a plain attachment file name: {filename[:60]!r}")
        if not CONTENT_TYPE.match(content_type):
            raise PermanentError(f"not a content type: {content_type[:60]!r}")
        if item.get("encoding") == "base64":
            try:
                return cls(filename, content_type, base64.b64decode(data, validate=True))
            except binascii.Error as error:
                raise PermanentError(f"attachment {filename}: not base64: {error}") from None
        if "encoding" in item:
            raise PermanentError(f"attachment {filename}: unknown encoding {str(item['encoding'])[:20]!r}")
        return cls(filename, content_type, data.encode())


def attachments_of(body: dict[str, Any]) -> list[Attachment]:
    items = body.get("attachments", [])
    if not isinstance(items, list):
        raise PermanentError("attachments must be a list")
    return [Attachment.from_json(item) for item in items]
