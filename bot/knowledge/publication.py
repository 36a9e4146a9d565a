"""Where an edition's pages are published, so every answer can link to the page it quotes.

Nothing defaults to any one workshop: the edition's own `event.yaml` (`url`), else the site's
`_config.yml` (`url` + `baseurl`) or `CNAME`, else the `SITE_BASE_URL` setting; else no links.
"""

from __future__ import annotations

from bot.config import Settings
from bot.events.model import EventFileError, load_event
from bot.knowledge.pages import Publication
from bot.knowledge.site import EditionFolder


def publication_of(folder: EditionFolder, settings: Settings) -> Publication:
    if folder.event_file.is_file():
        try:
            url = load_event(folder.event_file).url
        except EventFileError:
            url = None  # reported when the event.yaml itself is ingested
        if url:
            return Publication(url, folder.folder)
    if base := folder.site.base_url():
        return Publication(base, folder.site.root)
    return Publication(settings.site_base_url, folder.root)
