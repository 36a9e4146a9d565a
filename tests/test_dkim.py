"""DKIM: what the SMTP server received and what the .eml file holds verify against the published key;
a message changed on the way does not. DNS is a function serving the test's own TXT record."""

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .test_email import mail_settings, queued, sender
from .test_mail_headers import LONG_LIST, LONG_URL, headers

SELECTOR, DOMAIN = "workshop2025", "mlforsystems.org"


@pytest.fixture(scope="module")
def key_pair() -> tuple[bytes, bytes]:
    """(private key PEM, DKIM TXT record) of a fresh 2048-bit RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def dns(record: bytes):
    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None
    return txt


def dkim_settings(tmp_path, key_pair, **values):
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(key_pair[0])
    return mail_settings(tmp_path, mailing_list=LONG_LIST, list_unsubscribe_url=LONG_URL, dkim_selector=SELECTOR,
                         dkim_domain=DOMAIN, dkim_key_file=key_file, **values)


def test_mail_sent_by_smtp_is_signed_and_verifies(tmp_path, smtp_server, key_pair):
    host, port, mailbox = smtp_server
    settings = dkim_settings(tmp_path, key_pair, smtp_host=host, smtp_port=port, smtp_username="bot",
                             smtp_password="s3cret")
    outbox, row = queued(settings, kind="digest")
    assert sender(settings, outbox, list_name="ML for Systems").send(row.id) == "sent"
    [received] = mailbox.wait_raw()
    raw = received.raw
    assert raw.startswith(b"DKIM-Signature: ")
    signature = b" ".join(headers(raw)["dkim-signature"])
    assert b"c=relaxed/relaxed" in signature and f"d={DOMAIN}".encode() in signature
    signed = {h.strip().lower() for h in signature.split(b"h=")[1].split(b";")[0].split(b":")}
    assert {b"from", b"to", b"subject", b"date", b"message-id", b"list-id", b"list-unsubscribe",
            b"list-unsubscribe-post", b"auto-submitted"} <= signed
    assert dkim.verify(raw, dnsfunc=dns(key_pair[1]))

    moved = raw.replace(LONG_URL.encode(), LONG_URL.replace("mlforsystems.org", "attacker.example").encode())
    assert moved != raw and not dkim.verify(moved, dnsfunc=dns(key_pair[1]))
    edited = raw.replace(b"It is now in Hall B.", b"It is now in Hall C.")
    assert edited != raw and not dkim.verify(edited, dnsfunc=dns(key_pair[1]))


def test_an_eml_file_is_signed_as_it_would_be_sent(tmp_path, key_pair):
    settings = dkim_settings(tmp_path, key_pair)
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "sent"
    [path] = (settings.bot_data_dir / "outbox" / "mail").glob("*.eml")
    raw = path.read_bytes()
    assert raw.startswith(b"DKIM-Signature: ") and dkim.verify(raw, dnsfunc=dns(key_pair[1]))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert not dkim.verify(raw, dnsfunc=dns(b"v=DKIM1; k=rsa; p=" + base64.b64encode(other)))  # another key


@pytest.mark.parametrize("content, message", [(b"not a key", "not a PEM RSA private key"),
                                              (None, "cannot read it: Is a directory")])
def test_a_key_file_that_will_not_do_fails_the_mail_naming_the_file(tmp_path, key_pair, content, message):
    settings = dkim_settings(tmp_path, key_pair)
    settings.dkim_key_file.unlink()  # replaced after the settings were read
    if content is None:
        settings.dkim_key_file.mkdir()  # unreadable even to root, unlike a file without permissions
    else:
        settings.dkim_key_file.write_bytes(content)
    outbox, row = queued(settings)
    assert sender(settings, outbox).send(row.id) == "failed"
    assert f"DKIM_KEY_FILE {settings.dkim_key_file}: {message}" in outbox.of_key(row.key)[0].last_error
    assert not list(settings.bot_data_dir.rglob("*.eml"))  # nothing unsigned was filed
