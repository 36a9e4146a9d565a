"""The mailing-list headers (RFC 2369, RFC 2919, RFC 8058), written exactly as built, on one line each.

Python's default policy folds a header longer than 78 characters, and folds a long URL by turning it
into an RFC 2047 encoded-word (`=?utf-8?q?=3Cmailto=3A…`). Python reads that back, Gmail and Yahoo
do not: one-click unsubscribe breaks. `POLICY` stores these headers as the strings they were built
as and writes them unchanged; every other header is folded as usual.
"""

from __future__ import annotations

from email.header import Header
from email.headerregistry import Address
from email.policy import EmailPolicy
from typing import Any

MAX_LINE = 998  # RFC 5322 2.1.1: no line of a message is longer
VERBATIM = frozenset({"list-id", "list-unsubscribe", "list-unsubscribe-post", "list-post", "list-help",
                      "list-archive"})


class ListHeadersPolicy(EmailPolicy):
    """The default policy, except that the list headers are kept and written as set."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if name.lower() not in VERBATIM:
            return super().header_store_parse(name, value)
        line = f"{name}: {value}"
        if not isinstance(value, str) or not line.isascii() or "\r" in line or "\n" in line or len(line) > MAX_LINE:
            raise ValueError(f"{name} must be one ASCII line of at most {MAX_LINE} characters: {line[:80]!r}")
        return name, value

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in VERBATIM and not hasattr(value, "name"):  # as stored above, not a parsed header
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in VERBATIM and not hasattr(value, "name"):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


POLICY = ListHeadersPolicy()


def phrase(text: str) -> str:
    """`text` as an RFC 5322 phrase on one line: quoted if ASCII, else RFC 2047 encoded-words."""
    text = " ".join(text.split())
    if text.isascii():
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return Header(text, "utf-8").encode(maxlinelen=75, linesep="")  # words of at most 75 characters, spaced


def list_headers(first: Address, name: str | None, unsubscribe_url: str | None, help_url: str | None,
                 archive_url: str | None) -> dict[str, str]:
    """The list headers for the list whose (first) address is `first`; `name` describes it in List-Id.

    The URLs were checked when the settings were read (`bot.text.addresses.list_url`): nothing in them needs quoting.
    """
    list_id = f"<{first.username}.{first.domain}>"
    unsubscribe = [f"<mailto:{first.username}+unsubscribe@{first.domain}?subject=unsubscribe>"]
    headers = {"List-Id": f"{phrase(name)} {list_id}" if name and name.strip() else list_id,
               "List-Post": f"<mailto:{first.addr_spec}>"}
    if help_url:
        headers["List-Help"] = f"<{help_url}>"
    if archive_url:
        headers["List-Archive"] = f"<{archive_url}>"
    if unsubscribe_url:
        unsubscribe.append(f"<{unsubscribe_url}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: the https URL takes a POST
    headers["List-Unsubscribe"] = ", ".join(unsubscribe)
    return headers
