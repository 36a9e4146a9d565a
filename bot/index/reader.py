"""Every file of an edition as a page: its pages as the site shows them, and its event.yaml as a
passage of key facts (venue and dates often live only there), worded by `prompts/knowledge/facts.md.j2`."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.events.facts import facts
from bot.events.model import EventFileError, load_event
from bot.knowledge.html_text import Section
from bot.knowledge.pages import Page, PageError, Publication, content_hash, page_limit, read_page, read_source
from bot.knowledge.site import EditionFolder, page_url
from bot.templates import render


def read(path: Path, folder: EditionFolder, settings: Settings, publication: Publication) -> Page:
    """Parse one of `folder`'s files; raise PageError if it cannot be read at all."""
    if path == folder.event_file:
        return facts_page(path, folder, settings, publication)
    return read_page(path, folder, settings, publication)


def facts_page(path: Path, folder: EditionFolder, settings: Settings, publication: Publication) -> Page:
    raw = read_source(path, folder, page_limit(path, folder, settings))
    try:
        event = load_event(path, settings.event_max_bytes)
    except EventFileError as err:
        raise PageError(path, str(err).replace(f"{path}: ", "").replace(f"{path}, ", "")) from err
    text = render(settings.prompts_dir, "knowledge/facts.md.j2", event=event, deadlines=facts(event, event.deadlines))
    lines = [line for line in text.splitlines() if line.strip()]
    return Page(
        source=folder.source(path),
        edition=folder.id,
        title="Key facts",
        url=page_url(folder.folder / "index.html", publication.served_from, {}, publication.base),
        front_matter={},
        sections=[Section(path=[event.name], lines=lines[1:])],
        content_hash=content_hash(raw, folder, publication),
    )
