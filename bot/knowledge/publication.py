"""Where an edition's pages are published, so every answer can link to the page it quotes.

Nothing defaults to any one workshop: a crawled site's own URLs; else the edition's own `event.yaml`
(`url`), else the site's `_config.yml` (`url` + `baseurl`) or `CNAME`, else the `SITE_BASE_URL`
setting; else no links.
"""

from __future__ import annotations

from bot.config import Settings
from bot.events.model import EventFileError, load_event
from bot.knowledge.crawler import crawled_urls
from bot.knowledge.files import refusal
from bot.knowledge.pages import Publication
from bot.knowledge.site import EditionFolder


def publication_of(folder: EditionFolder, settings: Settings) -> Publication:
    if crawled := crawled_urls(folder.root):  # a site read from its URL: each page where it was found
        return Publication(crawled[0], folder.root, crawled[1])
    # An event.yaml that must not be read is reported when it is ingested.
    if folder.event_file.is_file() and not refusal(folder.event_file, folder.root):
        try:
            url = load_event(folder.event_file, settings.event_max_bytes).url
        except EventFileError:
            url = None  # reported when the event.yaml itself is ingested
        if url:
            return Publication(url, folder.folder)
    if site_base := folder.site.base_url():
        return Publication(site_base, folder.site.root)
    return Publication(settings.site_base_url, folder.root)
