"""Pages whose text is built by JavaScript: recognized, and (KNOWLEDGE_RENDER=chromium, opt-in) rendered
in headless Chromium, whose DOM is then read as the page.

A crawled page is text: nothing from it runs, except here, when organizers ask for it. Then the browser
runs in a fresh profile, under Chromium's own sandbox (unless the bot runs as root, where Chromium
refuses it), killed with its helpers after RENDER_SECONDS, and with no network but the site: every
request to another host (an address or a name, loopback included) goes to a proxy that is not there,
and every host name but the site's resolves to nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

RENDER_SECONDS = 60
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, so nothing leaves through it
SCRIPTED_TEXT = 200  # characters: less visible text than this beside a script is a page scripts build
FLAGS = ["--headless", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", "--disable-quic",
         "--virtual-time-budget=10000"]


class RenderError(RuntimeError):
    """Chromium is missing, failed, or took too long."""


def scripted(body: bytes) -> bool:
    """Whether the page shows next to no text without its scripts, and has scripts to build it."""
    try:
        document = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return False
    if not document.xpath("//script"):
        return False
    for element in document.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    return len(" ".join(document.text_content().split())) < SCRIPTED_TEXT


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str) -> bytes:
    """The page's DOM once its scripts have run; the network limited to the page's own host."""
    browser = chromium()
    if browser is None:
        raise RenderError("KNOWLEDGE_RENDER=chromium, but no `chromium` is installed (Debian: apt-get install "
                          "chromium)")
    site = urlsplit(url)
    with tempfile.TemporaryDirectory(prefix="workshop-bot-chromium-") as profile:
        command = [browser, *FLAGS, f"--user-data-dir={profile}", f"--proxy-server={NOWHERE}",
                   f"--proxy-bypass-list=<-loopback>;{site.netloc}",  # `<-loopback>`: loopback is not bypassed either
                   f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {site.hostname}",
                   *(["--no-sandbox"] if os.geteuid() == 0 else []), "--dump-dom", url]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True) as running:
            try:
                out, errors = running.communicate(timeout=RENDER_SECONDS)
            except subprocess.TimeoutExpired as error:
                raise RenderError(f"{url}: Chromium gave no page within {RENDER_SECONDS} s") from error
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(running.pid, signal.SIGKILL)  # its helper processes too
    if running.returncode != 0 or not out.strip():
        last = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RenderError(f"{url}: Chromium failed ({last[0][:200]})")
    return out
