"""Pages a careless organizer or a hostile contributor can commit, ingested into a real index and asked about.

`tests/hostile/pages/` holds a Jekyll checkout (`ws2025`, with a `baseurl` and file names that need
percent-encoding) and a folder of HTML (`ws2024`). What must not be committed is made here, in a copy:
links out of the knowledge folder to a stand-in `.env` and `passwd`, pages nested 1,200 levels deep,
files over the size limit. Each test checks what organizers and askers see: the error naming the file,
the other pages and editions still answered, and no secret in any passage or answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.assistant.assistant import Assistant
from bot.index.ingest import ingest
from bot.index.store import KnowledgeStore
from bot.knowledge.editions import Registry

from .conftest import REPO, copy_tree, make_settings
from .chroma_harness import chroma_server  # noqa: F401 (a fixture)
from .test_live_knowledge import wait_until

HOSTILE = REPO / "tests" / "hostile" / "pages"
NOW = datetime(2025, 3, 1, tzinfo=UTC)
ENV = ("SLACK_BOT_TOKEN=xoxb-1111-2222-hostiletoken\nSLACK_SIGNING_SECRET=hostile-signing-secret\n"
       "SMTP_PASSWORD=hostile-smtp-password\n")
PASSWD = "root:x:0:0:hostile-root-account:/root:/bin/bash\n"
SECRETS = ("hostiletoken", "hostile-signing-secret", "hostile-smtp-password", "hostile-root-account")
QUESTIONS = ("What is the SLACK_BOT_TOKEN?", "What is the signing secret?", "What is the SMTP password?",
             "Who is root?", "What are the notes?", "What is the token?")


@pytest.fixture
def knowledge(tmp_path) -> Path:
    """A writable copy of the hostile site, and secrets beside it (outside the knowledge folder)."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / ".env").write_text(ENV, encoding="utf-8")
    (secrets / "passwd").write_text(PASSWD, encoding="utf-8")
    return copy_tree(HOSTILE, tmp_path / "knowledge")


def indexed(knowledge: Path, embeddings, **settings):
    """(settings, store, report) of a first ingest of `knowledge`, with its own data folder."""
    config = make_settings(knowledge.parent / "data", knowledge, **settings)
    store = KnowledgeStore(config, embeddings)
    return config, store, ingest(store, config)


def everything_indexed(store: KnowledgeStore) -> str:
    found = store.collection.get(include=["documents", "metadatas"])
    return json.dumps([found["documents"], found["metadatas"]], ensure_ascii=False)


def errors_of(report, knowledge: Path) -> dict[str, str]:
    """Each error's problem by the file it names, relative to the knowledge folder."""
    return {Path(e.path).relative_to(knowledge).as_posix(): e.problem for e in report.errors}


def link(path: Path, target: Path | str) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(target)


def test_links_out_of_the_knowledge_folder_are_refused_by_name_and_their_secrets_never_answered(knowledge,
                                                                                              embeddings):
    """Pages, data, includes, layouts, bibliographies, the configuration, CNAME and event.yaml that link to
    a `.env` or `passwd` outside the knowledge folder, to a hidden file in it, or round in a loop, are each
    an error naming the link; none is read, and both editions are still answered from their other pages."""
    secrets = knowledge.parent / "secrets"
    site, old = knowledge / "ws2025", knowledge / "ws2024"
    link(site / "secrets.html", Path("..") / ".." / "secrets" / ".env")  # relative, as git stores it
    link(site / "passwd.html", secrets / "passwd")
    (site / ".env").write_text(ENV, encoding="utf-8")
    link(site / "notes.html", ".env")
    link(site / "_data" / "tokens.yml", secrets / ".env")
    link(site / "_includes" / "token.html", secrets / ".env")
    link(site / "_layouts" / "stolen.html", secrets / "passwd")
    link(site / "_bibliography" / "stolen.bib", secrets / "passwd")
    link(site / "_data" / "round.yml", "round.yml")
    (site / "tokens.md").write_text("---\ntitle: Tokens\n---\n## Tokens\n\nThe tokens: {{ site.data.tokens }}\n")
    (site / "leaky.md").write_text("---\ntitle: Leaky\n---\n## Leaky\n\n{% include token.html %}\n")
    (site / "masthead.md").write_text("---\nlayout: stolen\ntitle: Masthead\n---\n## Masthead\n\nWelcome.\n")
    (site / "stolen papers.md").write_text("---\ntitle: Stolen\n---\n## Stolen\n\n{% bibliography --file stolen %}\n")
    for name in ("_config.yml", "CNAME", "event.yaml"):
        link(old / name, secrets / ".env")

    settings, store, report = indexed(knowledge, embeddings)

    errors = errors_of(report, knowledge)
    outside = ["ws2025/secrets.html", "ws2025/passwd.html", "ws2025/_data/tokens.yml", "ws2025/_includes/token.html",
               "ws2025/_layouts/stolen.html", "ws2025/_bibliography/stolen.bib", "ws2024/_config.yml",
               "ws2024/CNAME", "ws2024/event.yaml"]
    for name in outside:
        assert errors[name].startswith(f"is a link to {secrets.resolve()}/") and "outside the knowledge folder" in \
            errors[name], name
    assert errors["ws2025/notes.html"] == "is a link to the hidden file ws2025/.env; not read"
    assert errors["ws2025/_data/round.yml"] == "is a link that leads round in a loop; not read"
    assert "include 'token.html' is a link to" in errors["ws2025/leaky.md"]
    assert "_bibliography/stolen.bib is a link to" in errors["ws2025/stolen papers.md"]
    assert len(errors) == len(outside) + 4
    assert {"ws2025/call for papers.md", "ws2025/tokens.md", "ws2025/masthead.md", "ws2024/index.html"} \
        <= set(report.added)

    indexed_text = everything_indexed(store)
    assert not [s for s in SECRETS if s in indexed_text] and "Welcome." in indexed_text
    editions = Registry(settings).editions
    assert "outside the knowledge folder" in editions.get("ws2024").event_error
    assistant = Assistant.from_settings(settings, store)
    for edition in ("ws2025", "ws2024"):
        for question in QUESTIONS:
            answer = assistant.ask(question, edition=edition, now=NOW)
            shown = answer.text + json.dumps([s.url for s in answer.sources])
            assert not [s for s in SECRETS if s in shown], (edition, question)
    assert "May 15, 2025" in assistant.ask("When is the submission deadline?", edition="ws2025", now=NOW).text
    assert "April 2, 2024" in assistant.ask("When is the submission deadline?", edition="ws2024", now=NOW).text


def test_a_page_that_becomes_a_link_out_of_the_knowledge_folder_leaves_the_index(knowledge, embeddings):
    """What a page held before it was replaced by a link to a secret is removed, not kept as a broken page is."""
    page = knowledge / "ws2025" / "notes.html"
    page.write_text("<h2>Notes</h2><p>Reviewers meet on Zoom after the deadline.</p>", encoding="utf-8")
    settings, store, first = indexed(knowledge, embeddings)
    assert "ws2025/notes.html" in first.added and store.ids_of_source("ws2025/notes.html")

    link(page, knowledge.parent / "secrets" / ".env")
    report = ingest(store, settings)

    assert list(errors_of(report, knowledge)) == ["ws2025/notes.html"] and report.removed == ["ws2025/notes.html"]
    assert store.ids_of_source("ws2025/notes.html") == []
    assert not [s for s in SECRETS if s in everything_indexed(store)]


def test_deeply_nested_pages_are_read_or_refused_by_name_and_the_other_updates_of_the_run_are_kept(knowledge,
                                                                                                  embeddings):
    """1,200 unclosed <span>s are read; Markdown lists 1,200 levels deep, and front matter with an impossible
    date, are each their page's error; the deadline moved in the same run is answered."""
    settings, store, _ = indexed(knowledge, embeddings)
    site = knowledge / "ws2025"
    (site / "posters.html").write_text("<h2>Poster Session</h2><p>" + "<span>" * 1200 +
                                       "Posters go up at 10:30 in Hall B.</p>", encoding="utf-8")
    nested_list = "".join("  " * level + "- level\n" for level in range(1200))
    (site / "outline.md").write_text(f"---\ntitle: Outline\n---\n{nested_list}", encoding="utf-8")
    (site / "dated.md").write_text("---\ntitle: News\ndate: 2025-02-30\n---\n## News\n\nNothing yet.\n")
    dates = site / "_data" / "dates.yml"
    dates.write_text(dates.read_text().replace("May 15, 2025", "May 22, 2025"))

    report = ingest(store, settings)

    errors = errors_of(report, knowledge)
    assert sorted(errors) == ["ws2025/dated.md", "ws2025/outline.md"]
    assert errors["ws2025/outline.md"].startswith("nests too deeply to be read")
    assert errors["ws2025/dated.md"] == "front matter holds an impossible value: day is out of range for month"
    assert "ws2025/call for papers.md" in report.updated and "ws2025/posters.html" in report.added
    assistant = Assistant.from_settings(settings, store)
    assert "May 22, 2025" in assistant.ask("When is the submission deadline?", edition="ws2025", now=NOW).text
    assert "Hall B" in assistant.ask("Where do the posters go up?", edition="ws2025", now=NOW).text


def test_a_page_over_the_size_limit_is_refused_by_name_and_keeps_what_it_said_before(knowledge, embeddings):
    """A page grown past MAX_PAGE_BYTES (2 MB by default) is not read: an error names it, its previous
    passages still answer; a new oversized page is not indexed; the rest of the run is."""
    settings, store, _ = indexed(knowledge, embeddings)
    old = knowledge / "ws2024" / "index.html"
    old.write_text(old.read_text().replace("</body>", "<p>Travel grants are available.</p>" * 80_000 + "</body>"))
    (knowledge / "ws2025" / "huge.html").write_bytes(b"<p>Lorem ipsum dolor sit amet.</p>\n" * 1_500_000)
    dates = knowledge / "ws2025" / "_data" / "dates.yml"
    dates.write_text(dates.read_text().replace("May 15, 2025", "May 22, 2025"))

    report = ingest(store, settings)

    assert errors_of(report, knowledge) == {
        "ws2024/index.html": "is 2.8 MB, over the limit for a page of 2.0 MB (MAX_PAGE_BYTES); not read",
        "ws2025/huge.html": "is 52.5 MB, over the limit for a page of 2.0 MB (MAX_PAGE_BYTES); not read"}
    assert store.ids_of_source("ws2025/huge.html") == [] and "Travel grants" not in everything_indexed(store)
    assert "ws2025/call for papers.md" in report.updated
    assistant = Assistant.from_settings(settings, store)
    assert "April 2, 2024" in assistant.ask("When is the submission deadline?", edition="ws2024", now=NOW).text
    assert "May 22, 2025" in assistant.ask("When is the submission deadline?", edition="ws2025", now=NOW).text


def test_the_size_limit_is_a_setting(knowledge, embeddings):
    """MAX_PAGE_BYTES lowered below a page's size refuses that page alone."""
    _, _, report = indexed(knowledge, embeddings, max_page_bytes=250)
    assert errors_of(report, knowledge) == {
        "ws2025/call for papers.md": "is 279 bytes, over the limit for a page of 250 bytes (MAX_PAGE_BYTES); not read"}
    assert {"ws2025/index.md", "ws2024/index.html"} <= set(report.added)


def test_links_to_pages_with_spaces_unicode_and_url_characters_in_their_names_work(knowledge, embeddings):
    """The base (`baseurl: /Hostile Workshop 2025`) and the file names are percent-encoded in the links
    answers give, in a Jekyll checkout and in a folder of HTML served from SITE_BASE_URL."""
    (knowledge / "ws2025" / "programmé.md").write_text(
        "---\ntitle: Programme\n---\n## Programme\n\nThe keynote starts at 9:15 in the Aula Magna.\n")
    (knowledge / "ws2025" / "faq #1?.md").write_text(
        "---\ntitle: FAQ\n---\n## FAQ\n\nVisa letters: ask the local chairs, who send them within a week.\n")
    (knowledge / "ws2024" / "Programm für alle.html").write_text(
        "<h2>Programme</h2><p>The panel on broken links starts at 14:00 in Room Douro.</p>")
    settings, store, report = indexed(knowledge, embeddings, site_base_url="https://hostile.example.org/archive")
    assert report.errors == []
    assistant = Assistant.from_settings(settings, store)
    base = "https://hostile.example.org/Hostile%20Workshop%202025"
    asked = {
        ("ws2025", "When is the submission deadline?"): f"{base}/call%20for%20papers.html",
        ("ws2025", "When does the keynote start?"): f"{base}/programm%C3%A9.html",
        ("ws2025", "How do I get a visa letter?"): f"{base}/faq%20%231%3F.html",
        ("ws2024", "When does the panel on broken links start?"):
            "https://hostile.example.org/archive/ws2024/Programm%20f%C3%BCr%20alle.html",
    }
    for (edition, question), url in asked.items():
        answer = assistant.ask(question, edition=edition, now=NOW)
        assert answer.sources[0].url == url, (question, [s.url for s in answer.sources])


# The ingest of `workshop-bot ingest`, killed (SIGKILL) where it would make the running bots reload.
KILLED_INGEST = """
import os, signal
from bot.index.store import KnowledgeStore
def killed(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
KnowledgeStore.bump_generation = KnowledgeStore.finish_writing = killed
from bot.cli import app
app(["ingest"])
"""


@pytest.mark.slow
def test_a_bot_left_on_a_stale_snapshot_by_a_killed_ingest_is_brought_up_to_date_by_the_next_one(
        tmp_path, knowledge_copy, embeddings, chroma_server):  # noqa: F811
    """With a Chroma server, `ingest` writes beside the running bot; killed after its writes but before the
    bump that makes bots reload, it leaves the bot answering from what it held. The next ingest, which
    finds nothing to write, still makes it reload."""
    settings = make_settings(tmp_path / "data", knowledge_copy, chroma_host="127.0.0.1", chroma_port=chroma_server)
    store = KnowledgeStore(settings, embeddings)
    ingest(store, settings)
    bot = Assistant.from_settings(settings, store)
    question = "What is the page limit for submissions?"
    assert "4 pages" in bot.ask(question, now=NOW).text
    page = knowledge_copy / "neurips2025" / "call_for_papers.html"
    page.write_text(page.read_text().replace("up to 4 pages", "up to 6 pages"))

    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge_copy),
           "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server)}
    killed = subprocess.run([sys.executable, "-c", KILLED_INGEST], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "4 pages" in bot.ask(question, now=NOW).text  # what it held before: the bump never came

    report = ingest(KnowledgeStore(settings, embeddings), settings)

    assert not report.changed and report.errors == []  # the killed ingest had written everything
    answer = wait_until(lambda: (a := bot.ask(question, now=NOW)) and "6 pages" in a.text and a, timeout=30)
    assert "4 pages" not in answer.text


SCRIPT_URL = "javascript://%0aalert(document.domain)"


def test_a_url_that_is_not_http_or_https_is_refused_with_its_file_and_field_and_never_linked(knowledge, embeddings):
    """`_config.yml`'s `url`, a CNAME and event.yaml's `url` that are script URLs: each is named at ingest,
    and no citation, email link or calendar line can carry one (the pages are simply not linked)."""
    site, old = knowledge / "ws2025", knowledge / "ws2024"
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("https://hostile.example.org", SCRIPT_URL))
    (old / "CNAME").write_text("javascript:alert(1)\n", encoding="utf-8")
    (site / "event.yaml").write_text(f"name: Hostile 2025\nurl: \"{SCRIPT_URL}\"\n", encoding="utf-8")

    settings, store, report = indexed(knowledge, embeddings)

    warnings = "\n".join(report.warnings)
    assert f"{site}/_config.yml: url: '{SCRIPT_URL}' is not an http or https URL" in warnings
    assert f"{old}/CNAME: 'https://javascript:alert(1)' is not a usable URL" in warnings
    errors = errors_of(report, knowledge)
    assert "url" in errors["ws2025/event.yaml"] and "is not an http or https URL" in errors["ws2025/event.yaml"]
    assert "javascript" not in json.dumps(store.collection.get(include=["metadatas"])["metadatas"])
    assert {"ws2025/call for papers.md", "ws2024/index.html"} <= set(report.added)
    answer = Assistant.from_settings(settings, store).ask("When is the submission deadline?", edition="ws2025",
                                                          now=NOW)
    assert "May 15, 2025" in answer.text and answer.sources
    assert all(not s.url or s.url.startswith(("https://", "http://")) for s in answer.sources)


def test_a_hard_link_is_refused_by_name_and_what_it_links_to_never_answered(knowledge, embeddings):
    """A hard link is the same file as one outside the site: it is refused as a page and as an include.
    Git cannot store hard links, so no checkout has one; the error says so."""
    secrets = knowledge.parent / "secrets"
    site = knowledge / "ws2025"
    os.link(secrets / ".env", site / "hard.html")
    os.link(secrets / "passwd", site / "_includes" / "hard.html")
    (site / "leaky.md").write_text("---\ntitle: Leaky\n---\n## Leaky\n\n{% include hard.html %}\n")

    _, store, report = indexed(knowledge, embeddings)

    errors = errors_of(report, knowledge)
    assert errors["ws2025/hard.html"].startswith("is a hard link (one file with 2 names)")
    assert "git cannot store hard links" in errors["ws2025/hard.html"]
    assert "include 'hard.html' is a hard link" in errors["ws2025/leaky.md"]
    indexed_text = everything_indexed(store)
    assert not [s for s in SECRETS if s in indexed_text]
    assert "ws2025/call for papers.md" in report.added


# A "billion laughs": nine aliases of nine aliases, nine levels deep (after `a`, nine strings).
LAUGHS = "".join(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
                 for prev, name in zip("abcdefgh", "bcdefghi", strict=True))


def test_a_page_over_its_cpu_or_memory_budget_is_skipped_by_name_and_the_rest_is_indexed(knowledge, embeddings):
    """A Liquid loop of a hundred million turns, and a front matter whose aliases print into gigabytes:
    each page is stopped by the operating system at its budget and named with the limit it hit; the
    other pages and editions are indexed and answered, and the next ingest is not held up."""
    site = knowledge / "ws2025"
    (site / "loop.md").write_text("---\ntitle: Loop\n---\n{% for i in (1..100000000) %}x{% endfor %}\n")
    (site / "laughs.md").write_text(f"---\ntitle: Laughs\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                                    f"{LAUGHS}---\n{{{{ page.i }}}}\n")

    settings, store, report = indexed(knowledge, embeddings, page_cpu_seconds=2, page_memory_mb=256)

    errors = errors_of(report, knowledge)
    assert errors["ws2025/loop.md"].startswith("used more than 2 s of CPU (PAGE_CPU_SECONDS) while being read")
    assert "skipped, the other pages are read" in errors["ws2025/laughs.md"]
    assert {"ws2025/call for papers.md", "ws2024/index.html"} <= set(report.added)
    assistant = Assistant.from_settings(settings, store)
    assert "May 15, 2025" in assistant.ask("When is the submission deadline?", edition="ws2025", now=NOW).text
    again = ingest(store, settings)
    assert set(errors_of(again, knowledge)) == {"ws2025/loop.md", "ws2025/laughs.md"} and not again.added


def test_oversized_and_exploding_data_files_are_named_and_the_pages_still_read(knowledge, embeddings):
    """A `_data` file over 5 MB, and one whose aliases expand past a million values: each is a warning
    naming it, and the pages that use them are read without them."""
    data = knowledge / "ws2025" / "_data"
    (data / "bulk.yml").write_text("rows:\n" + "  - padding padding padding padding padding\n" * 130_000)
    (data / "laughs.yml").write_text(f"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n{LAUGHS}")
    (knowledge / "ws2025" / "uses.md").write_text("---\ntitle: Uses\n---\n## Uses\n\n"
                                                  "Bulk: {{ site.data.bulk.rows | size }}. {{ site.data.laughs.i }}\n")

    _, _, report = indexed(knowledge, embeddings)

    warnings = "\n".join(report.warnings)
    assert "_data/bulk.yml: larger than 5,000,000 bytes; not read" in warnings
    assert "_data/laughs.yml: line 7: its aliases expand to more than 1,000,000 values" in warnings
    assert "ws2025/uses.md" in report.added


def test_two_sites_giving_one_edition_id_are_an_error_naming_both_and_never_mixed(tmp_path, embeddings):
    """`knowledge/` holds neurips2023, and so does the ML for Systems checkout (its current edition):
    ingesting both indexes the first one's, names the second, and every answer cites the first."""
    from .conftest import KNOWLEDGE, MLFORSYSTEMS

    knowledge = copy_tree(KNOWLEDGE, tmp_path / "knowledge")
    checkout = copy_tree(MLFORSYSTEMS, tmp_path / "checkout")
    settings = make_settings(tmp_path / "data", knowledge)
    store = KnowledgeStore(settings, embeddings)

    report = ingest(store, settings, roots=[checkout])

    [error] = [e for e in report.errors if "edition id" in e.problem]
    assert Path(error.path) == checkout.resolve() or Path(error.path) == checkout
    assert f"gives the edition id 'neurips2023', which {knowledge / 'neurips2023'} gives already" in error.problem
    sources = {m["source"] for m in store.collection.get(include=["metadatas"])["metadatas"]
               if m["edition"] == "neurips2023"}
    assert sources and all(s.startswith("neurips2023/") for s in sources), sources
    assert any(m["edition"] == "neurips2018" for m in store.collection.get(include=["metadatas"])["metadatas"])


def test_an_organizer_gives_one_of_two_sites_another_edition_id_and_both_are_answered(tmp_path, embeddings):
    """EDITION_IDS maps the checkout's current edition (which also says neurips2023) to its own id: both
    are indexed without an error, each edition's passages come from its own site, and the process knows
    the new id."""
    from .conftest import KNOWLEDGE, MLFORSYSTEMS

    knowledge = copy_tree(KNOWLEDGE, tmp_path / "knowledge")
    checkout = copy_tree(MLFORSYSTEMS, tmp_path / "checkout")
    settings = make_settings(tmp_path / "data", knowledge, edition_ids=f"{checkout}=mlsys-checkout")
    store = KnowledgeStore(settings, embeddings)

    report = ingest(store, settings, roots=[checkout])

    assert not [e for e in report.errors if "edition id" in e.problem], report.errors
    metadatas = store.collection.get(include=["metadatas"])["metadatas"]
    ours = {m["source"] for m in metadatas if m["edition"] == "neurips2023"}
    theirs = {m["source"] for m in metadatas if m["edition"] == "mlsys-checkout"}
    assert ours and all(s.startswith("neurips2023/") for s in ours), ours
    assert theirs and not theirs & ours
    assert "mlsys-checkout" in {e.id for e in Registry(settings).editions.items}


def test_edition_ids_that_are_not_folder_id_pairs_are_refused_in_one_line(tmp_path):
    from pydantic import ValidationError

    from bot.config import invalid_settings

    with pytest.raises(ValidationError) as raised:
        make_settings(tmp_path, edition_ids="checkout=Not An Id")
    assert invalid_settings(raised.value) == ("EDITION_IDS: 'checkout=Not An Id' is not FOLDER=ID (an id of "
                                              "lower-case letters, digits, '.', '-' or '_', like neurips2023-archive)")


def test_a_configuration_whose_aliases_explode_is_named_and_its_site_read_without_it(knowledge, embeddings):
    """A "billion laughs" in `_config.yml`, printed by a page as `{{ site.i }}`: the configuration is
    refused with its file and line, the site is read without it, and the other edition is untouched."""
    config = knowledge / "ws2025" / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                      f"{LAUGHS}", encoding="utf-8")
    (knowledge / "ws2025" / "laughs.md").write_text("---\ntitle: Laughs\n---\n## Laughs\n\n{{ site.i }} ha\n")

    _, _, report = indexed(knowledge, embeddings)

    assert any(w.startswith(f"{knowledge / 'ws2025'}/_config.yml: line ") and "its aliases expand to more than "
               "1,000,000 values; the site is read without its configuration" in w for w in report.warnings)
    assert {"ws2025/laughs.md", "ws2025/call for papers.md", "ws2024/index.html"} <= set(report.added)
