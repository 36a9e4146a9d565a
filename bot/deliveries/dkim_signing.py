"""DKIM signatures (dkimpy) on the bytes that are sent or written, so receivers can trust the list headers.

RFC 8058 one-click unsubscribe counts only when List-Unsubscribe and List-Unsubscribe-Post are
covered by a valid signature. relaxed/relaxed canonicalization survives the re-wrapping of header
lines that relays do. The key is read once, when the first message is signed.

dkimpy (and the DNS library it brings, 14 MB) is imported only where DKIM is configured.
"""

from __future__ import annotations

from email.parser import BytesHeaderParser
from pathlib import Path

from pydantic import SecretBytes

from bot.config import Settings
from bot.deliveries import PermanentError

SIGNED = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
          "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post", "List-Help", "List-Archive",
          "Auto-Submitted", "MIME-Version", "Content-Type")


class DkimSigner:
    def __init__(self, selector: str, domain: str, key_file: Path) -> None:
        from dkim.crypto import UnparsableKeyError, parse_pem_private_key

        self.selector, self.domain = selector.encode("ascii"), domain.encode("ascii")
        try:
            self.key = SecretBytes(key_file.read_bytes())  # never shown in a repr or a log
            parse_pem_private_key(self.key.get_secret_value())
        except OSError as error:
            raise PermanentError(f"DKIM_KEY_FILE {key_file}: cannot read it: {error.strerror}") from error
        except UnparsableKeyError as error:
            raise PermanentError(f"DKIM_KEY_FILE {key_file}: not a PEM RSA private key ({error})") from error

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """The signer the settings ask for, or None when DKIM is not configured."""
        if not (settings.dkim_selector and settings.dkim_domain and settings.dkim_key_file):
            return None
        return cls(settings.dkim_selector, settings.dkim_domain, settings.dkim_key_file)

    def sign(self, message: bytes) -> bytes:
        """`message` (CRLF line ends) with a DKIM-Signature header in front."""
        import dkim

        present = {name.lower() for name in BytesHeaderParser().parsebytes(message)}
        headers = [name.encode("ascii") for name in SIGNED if name.lower() in present]
        try:
            signature = dkim.sign(message, self.selector, self.domain, self.key.get_secret_value(),
                                  include_headers=headers,
                                  canonicalize=(b"relaxed", b"relaxed"))
        except dkim.DKIMException as error:
            raise PermanentError(f"DKIM signing failed: {error}") from error
        return signature + message
