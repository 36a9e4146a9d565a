"""Whether a mail really comes from the address in its From: what the receiving server checked.

Anyone can write any From. The receiving mail server checks SPF, DKIM and DMARC and records the results
in an `Authentication-Results` header (RFC 8601) that starts with its own name, its authserv-id. Only
headers from servers the organizers name (MAIL_AUTHSERV_IDS) count: a sender can write that header
too, but not under the receiving server's name, which that server strips from incoming mail. A mail is
authenticated when such a header says DMARC passed for the From domain, or SPF or DKIM passed for a
domain aligned with it (the same domain, or one a subdomain of the other).
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import parseaddr

COMMENT = re.compile(r"\([^()]*\)")
RESULT = re.compile(r"^\s*(?P<method>[a-z0-9-]+)\s*(?:/\s*\d+\s*)?=\s*(?P<result>[a-z]+)(?P<rest>.*)$",
                    re.IGNORECASE | re.DOTALL)
PROPERTY = re.compile(r"(?P<ptype>[a-z]+)\.(?P<name>[a-z0-9_.-]+)\s*=\s*(?P<value>\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)
PASSING = {
    "dmarc": ("header.from",),
    "spf": ("smtp.mailfrom", "smtp.helo"),
    "dkim": ("header.d", "header.i"),
}


def from_domain(message: EmailMessage) -> str | None:
    """The domain of the one From address, lower-cased; None when From is not one address."""
    try:
        values = message.get_all("From") or []
    except (ValueError, LookupError, IndexError, AttributeError):
        return None
    if len(values) != 1:
        return None
    address = parseaddr(str(values[0]))[1]
    return address.rpartition("@")[2].lower().strip(".") or None if "@" in address else None


def authenticated(message: EmailMessage, trusted: set[str]) -> bool:
    """Whether a trusted server's Authentication-Results show the From domain passed DMARC, or aligned
    SPF or DKIM."""
    domain = from_domain(message)
    if domain is None or not trusted:
        return False
    try:
        headers = [str(h) for h in message.get_all("Authentication-Results") or []]
    except (ValueError, LookupError, IndexError, AttributeError):
        return False
    for header in headers:
        serv_id, _, results = COMMENT.sub(" ", header).partition(";")
        if serv_id.split()[:1] and serv_id.split()[0].lower() in trusted:
            for result in results.split(";"):
                if _passes(result, domain):
                    return True
    return False


def _passes(result: str, domain: str) -> bool:
    match = RESULT.match(result)
    if match is None or match.group("result").lower() != "pass":
        return False
    wanted = PASSING.get(match.group("method").lower(), ())
    for prop in PROPERTY.finditer(match.group("rest")):
        if f"{prop.group('ptype')}.{prop.group('name')}".lower() in wanted:
            value = prop.group("value").strip('"').lower()
            if _aligned(value.rpartition("@")[2].strip("."), domain):
                return True
    return False


def _aligned(found: str, domain: str) -> bool:
    """Relaxed alignment (RFC 7489): the same domain, or one a subdomain of the other."""
    if "." not in found:  # a top-level domain is nobody's own
        return False
    return found == domain or found.endswith(f".{domain}") or domain.endswith(f".{found}")
