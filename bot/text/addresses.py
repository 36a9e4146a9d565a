"""The list's addresses and URLs as configured, checked before any mail is written.

`Name <addr>` or a plain address; a list of them separated by commas. The header syntax is read by
the standard library (quoted names, RFC 2047 names), each address is checked by email-validator
(syntax only: no DNS lookups, the bot may run offline). Internationalized domains become their
ASCII (IDNA) form, so every header stays ASCII and no server needs SMTPUTF8.
"""

from __future__ import annotations

from email.headerregistry import Address, HeaderRegistry
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

_HEADERS = HeaderRegistry()
URL_REFUSED = set(' <>",\\') | {chr(c) for c in range(32)} | {"\x7f"}  # RFC 2369: a URL in <…>, commas encoded


WEB_REFUSED = set(" <>\"'`\\") | {chr(c) for c in range(32)} | {"\x7f"}
WEB_SCHEMES = ("https", "http")  # the only links the bot emits: citations, mail, calendars, Block Kit
LIST_URL_SCHEMES = {"list_unsubscribe_url": ("https",), "list_help_url": ("https", "http", "mailto"),
                    "list_archive_url": ("https", "http", "mailto")}  # RFC 8058: one-click needs https


class AddressError(ValueError):
    """A configured address or URL that will not do; the message names the variable and the value."""


def _refuse(variable: str, value: str, reason: str) -> AddressError:
    return AddressError(f"{variable}={value!r}: {reason}")


def _checked(variable: str, value: str, found: Address) -> Address:
    """`found` as email-validator reads it: the display name (quoted again) and the address together."""
    name = found.display_name.replace("\\", "\\\\").replace('"', '\\"')
    try:
        valid = validate_email(f'"{name}" <{found.addr_spec}>' if name else found.addr_spec,
                               allow_display_name=True, allow_smtputf8=False, check_deliverability=False)
    except EmailNotValidError as error:
        raise _refuse(variable, value, f"not an email address: {error}") from None
    return Address(display_name=valid.display_name or "", username=valid.local_part, domain=valid.ascii_domain)


def mailboxes(variable: str, value: str) -> list[Address]:
    """Each address of a comma-separated list, e.g. `ML for Systems <list@example.org>, b@example.org`."""
    if "\r" in value or "\n" in value:
        raise _refuse(variable, value, "a line break in an address")
    text = value.strip(" ,")
    if not text:
        return []
    header: Any = _HEADERS("To", text)  # an AddressHeader (typeshed does not list its `defects`)
    if header.defects or any(group.display_name is not None for group in header.groups):
        raise _refuse(variable, value, "not a list of email addresses (`Name <addr>` or `addr`, separated by commas)")
    return [_checked(variable, value, found) for found in header.addresses]


def mailbox(variable: str, value: str) -> Address:
    """One address, `Name <addr>` or `addr`."""
    found = mailboxes(variable, value)
    if len(found) != 1:
        raise _refuse(variable, value, "not one email address (`Name <addr>` or `addr`)")
    return found[0]


def list_url(variable: str, value: str, schemes: tuple[str, ...]) -> str:
    """A URL for a List-* header: written there as it is, between < and >, so nothing in it may need quoting."""
    refused = sorted(URL_REFUSED & set(value)) or sorted(c for c in value if not c.isascii())
    if refused:
        raise _refuse(variable, value, f"not allowed in a list header's URL: {''.join(refused)!r} "
                                       "(percent-encode it)")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or (parts.scheme == "mailto" and parts.path)):
        raise _refuse(variable, value, f"not a {' or '.join(schemes)} URL")
    return value


def web_url(value: str) -> bool:
    """Whether `value` is a link a reader can follow safely: http or https, with a host, nothing a
    header, an `href` or a calendar line could be broken out of (spaces, quotes, angle brackets, controls)."""
    if WEB_REFUSED & set(value):
        return False
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number: `https://javascript:alert(1)`)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def web_url_error(value: str) -> str | None:
    """What is wrong with a URL a site, event.yaml or setting gives, in words; None when it is a web URL."""
    if web_url(value):
        return None
    scheme = urlsplit(value).scheme.lower()
    if scheme in WEB_SCHEMES:
        return f"{_short(value)!r} is not a usable URL (no host, or a space, quote or angle bracket in it)"
    return f"{_short(value)!r} is not an http or https URL; the bot only ever links to web pages"


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit] + "…"
