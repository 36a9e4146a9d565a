"""Jekyll pages render as the published site shows them: data loops, includes, layouts, and clear errors."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import frontmatter
import pytest
import yaml

from bot.knowledge.html_text import parse_html
from bot.knowledge.jekyll import JekyllSite, LiquidError, SiteConfigError

from .conftest import REPO

SITES = Path(__file__).parent / "fixtures" / "sites"
VERIFAI = SITES / "verifai"
MLFORSYSTEMS = SITES / "mlforsystems"


@pytest.fixture(scope="module")
def verifai() -> JekyllSite:
    return JekyllSite.load(VERIFAI)


@pytest.fixture(scope="module")
def mlforsystems() -> JekyllSite:
    return JekyllSite.load(MLFORSYSTEMS)


def render_file(site: JekyllSite, relative: str) -> str:
    post = frontmatter.loads((site.root / relative).read_text(encoding="utf-8"))
    return site.render(post.content, dict(post.metadata), relative)


def layout_of(site: JekyllSite, relative: str, content: str = "<p>THE CONTENT</p>") -> str | None:
    post = frontmatter.loads((site.root / relative).read_text(encoding="utf-8"))
    return site.render_layout(dict(post.metadata), relative, content)


def make_site(root: Path, files: dict[str, str]) -> JekyllSite:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return JekyllSite.load(root)


def data_file(site_root: Path, name: str) -> dict:
    return yaml.safe_load((site_root / "_data" / name).read_text(encoding="utf-8"))


# --- the real sites ------------------------------------------------------------------------------------------------


def test_schedule_rows_come_from_the_data_file_with_speakers_looked_up(verifai):
    html = render_file(verifai, "schedule.md")
    assert "<td>08:55</td>" in html
    assert "<td>Opening Remarks</td>" in html
    assert html.index("08:55") < html.index("09:00") < html.index("Coffee Break")
    speakers = data_file(VERIFAI, "speakers.yml")
    assert f'<a href="{speakers["kellis"]["url"]}">Kevin Ellis</a>' in html  # `site.data.speakers[speaker_id]`
    assert "Self-Steering Language Models" in html  # a contributed talk's name
    assert "{%" not in html and "{{" not in html


def test_speakers_page_shows_every_speaker_through_the_profile_includes(verifai):
    html = render_file(verifai, "speakers.md")
    for key, speaker in data_file(VERIFAI, "speakers.yml").items():
        assert f'id="{key}"' in html  # `include.p[0]`
        assert speaker["name"] in html and speaker["affiliation"] in html
        if "bio" in speaker:
            assert speaker["bio"].strip() in html


def test_index_lists_organizers_and_speakers(verifai):
    html = render_file(verifai, "index.md")
    for person in [*data_file(VERIFAI, "organizers.yml").values(), *data_file(VERIFAI, "speakers.yml").values()]:
        assert person["name"] in html
        assert f'/img/{person["img"]}' in html


def test_commented_out_liquid_still_renders(verifai):
    assert "Call for Papers" in render_file(verifai, "cfp.md")  # `<!--{% include dates.md %} ... -->`
    assert "Coming soon" in render_file(verifai, "papers.md")  # a loop over `site.data.pc.people` in a comment
    assert verifai.problems == []


def test_page_layout_chain_wraps_the_content_in_the_site_chrome(verifai):
    html = layout_of(verifai, "speakers.md")
    assert html is not None
    assert "<p>THE CONTENT</p>" in html
    assert "<title>The VerifAI Workshop @ ICLR'25 - VerifAI</title>" in html  # page.html → base.html → head.html
    assert '<span class="page-subheading">VerifAI: AI Verification in the Wild @ ICLR 2025</span>' in html
    assert '<link rel="stylesheet" href="/css/main.css" />' in html  # base.html's front matter as `layout`
    assert '<a href="/schedule">Schedule</a>' in html  # navbar from a hash in _config.yml
    assert 'href="mailto:verifai.workshop@gmail.com"' in html  # footer from _data/SocialNetworks.yml
    assert "{%" not in html


def test_config_defaults_give_a_layout_to_pages_without_one(verifai):
    html = verifai.render_layout({"title": "Travel"}, "travel.md", "BODY")
    assert html is not None and "<h1>Travel</h1>" in html and "BODY" in html


def test_accepted_papers_loop_over_the_csv(mlforsystems):
    html = render_file(mlforsystems, "accepted_papers.md")
    with (MLFORSYSTEMS / "_data/neurips2023/papers.csv").open(encoding="utf-8", newline="") as stream:
        papers = list(csv.DictReader(stream))
    assert len(papers) > 30
    for paper in papers:
        assert f"<b>{paper['title']}</b>. {paper['authors']}." in html
        assert f"/assets/papers/neurips2023/paper{paper['id']}.pdf" in html


def test_layout_header_shows_the_edition_description(mlforsystems):
    config = yaml.safe_load((MLFORSYSTEMS / "_config.yml").read_text(encoding="utf-8"))
    old = frontmatter.loads((MLFORSYSTEMS / "neurips2018/index.md").read_text(encoding="utf-8"))
    # No `layout` in the front matter: GitHub Pages gives Markdown pages the `default` layout.
    html = layout_of(mlforsystems, "neurips2018/index.md")
    assert html is not None
    assert f'<div class="floating-description no-mobile-480">{old["site_description"]}</div>' in html
    assert config["description"] not in html
    assert '<a href="/neurips2018/schedule.html" alt="Schedule">Schedule</a>' in html  # site.pages of that edition
    assert "<p>THE CONTENT</p>" in html

    current = layout_of(mlforsystems, "index.md")
    assert current is not None
    assert f'<div class="floating-description no-mobile-480">{config["description"]}</div>' in current
    assert '<a href="/schedule.html" alt="Schedule">Schedule</a>' in current
    assert 'href="https://mlforsystems.org/neurips2018"' in current  # absolute_url with the CNAME host


def test_base_url_from_cname_or_config(mlforsystems, verifai, tmp_path):
    assert mlforsystems.base_url() == "https://mlforsystems.org"
    assert verifai.base_url() is None  # `url` is commented out and there is no CNAME
    site = make_site(tmp_path, {"_config.yml": "url: example.github.io/\nbaseurl: /ws2025/\n", "CNAME": "x.org\n"})
    assert site.base_url() == "https://example.github.io/ws2025"


# --- errors --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("# Title\n\n{% for x in %}{{ x }}{% endfor %}\n", 3, "expected a primitive expression"),
        ("intro\n{% bibliography --file papers %}\n", 2, "bibliography: _bibliography/papers.bib not found"),
        ("intro\n\n{% gist 12345 %}\n", 3, "unexpected tag 'gist'"),
        ("a\nb\nc\n{{ page.title | shout }}\n", 4, "unknown filter 'shout'"),
        ("a\n{% if page.title %}\nno end\n", 2, "expected tag endif"),
        ("a\n\n{{ page.title\n", 3, "expected '}}'"),
        ("{% include profile.html p= %}", 1, "expected a primitive expression"),
    ],
)
def test_template_errors_name_the_line_in_the_body(verifai, body, line, fragment):
    with pytest.raises(LiquidError) as caught:
        verifai.render(body, {"title": "T"}, "page.md")
    assert caught.value.line == line
    assert fragment in caught.value.problem
    assert str(caught.value).startswith(f"line {line}: ")


def test_a_missing_include_is_named(verifai):
    with pytest.raises(LiquidError, match=r"line 2: include 'gtag.html' not found in _includes/"):
        verifai.render("text\n{% include gtag.html %}", {}, "page.md")
    with pytest.raises(LiquidError, match=r"include_relative 'notes.md' not found in docs/"):
        verifai.render("{% include_relative notes.md %}", {}, "docs/page.md")


def test_an_error_inside_an_include_points_at_the_include_tag(tmp_path):
    site = make_site(tmp_path, {
        "_includes/inner.html": "fine\n{{ x | shout }}\n",
        "_includes/outer.html": "{% include inner.html %}",
    })
    with pytest.raises(LiquidError) as caught:
        site.render("one\ntwo\n{% include outer.html %}", {}, "page.md")
    assert caught.value.line == 3
    assert caught.value.problem == (
        "in include outer.html, line 1: in include inner.html, line 2: unknown filter 'shout'"
    )


def test_a_broken_config_names_the_file_and_line(tmp_path):
    (tmp_path / "_config.yml").write_text("title: ok\nexclude:\n  - a\n - b\n", encoding="utf-8")
    with pytest.raises(SiteConfigError, match=r"_config.yml: line 4: "):
        JekyllSite.load(tmp_path)


def test_layouts_render_what_they_can(tmp_path):
    site = make_site(tmp_path, {
        "_layouts/default.html": (
            "---\nlayout: base\n---\n<main>{% bibliography %}{{ page.title | shout }}{% include gtag.html %}"
            "{{ site.title - img }}{{ content }}</main>"
        ),
        "_layouts/base.html": "<html>{% seo %}{% feed_meta %}{{ content }}</html>",
        "_layouts/broken.html": "<p>{{ content </p>",
    })
    assert site.render_layout({"title": "T"}, "page.md", "BODY") == "<html><main>TBODY</main></html>"
    assert site.render_layout({"layout": "broken"}, "page.md", "BODY") == "BODY"
    assert site.render_layout({"layout": "none"}, "page.md", "BODY") is None
    assert site.render_layout({"layout": "missing"}, "page.md", "BODY") is None
    assert site.render_layout({}, "page.html", "BODY") is None  # only Markdown gets a default layout


# --- the site's files ----------------------------------------------------------------------------------------------


def test_excluded_follows_jekyll(verifai, tmp_path):
    assert verifai.excluded("README.md")  # listed in `exclude`
    assert verifai.excluded("_data/speakers.yml")
    assert verifai.excluded(".git/config")
    assert verifai.excluded("Gemfile.lock") and verifai.excluded("node_modules/x/index.js")
    assert not verifai.excluded("schedule.md")
    assert not verifai.excluded("img/logo.png")

    site = make_site(tmp_path, {"_config.yml": (
        "exclude: [drafts/, '*.bak', old, _pages/news.md]\ninclude: [_pages, .well-known]\n")})
    assert site.excluded("drafts/cfp.md") and site.excluded("notes.bak") and site.excluded("old/2019/index.md")
    assert not site.excluded("_pages/about.md") and not site.excluded(".well-known/security.txt")
    assert site.excluded("_pages/news.md")  # an included folder does not include what is excluded inside it
    assert not site.excluded("vendor/app.js") and site.excluded("vendor/bundle/x.rb")


def test_fingerprint_follows_data_includes_layouts_and_config(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(VERIFAI, root)
    before = JekyllSite.load(root).fingerprint()
    (root / "index.md").write_text("changed", encoding="utf-8")  # a page is hashed on its own
    assert JekyllSite.load(root).fingerprint() == before
    (root / "_data/schedule.yml").write_text("opening: {start: '09:00'}\n", encoding="utf-8")
    after_data = JekyllSite.load(root).fingerprint()
    assert after_data != before
    (root / "_includes/profile.html").write_text("<div></div>", encoding="utf-8")
    assert JekyllSite.load(root).fingerprint() != after_data


def test_data_files_nest_by_folder_and_broken_files_are_reported(tmp_path):
    site = make_site(tmp_path, {
        "_data/people.yml": "- name: Ann\n",
        "_data/2025/rooms.json": '{"main": "Hall A"}',
        "_data/2025/talks.csv": 'id,title\n1,"Opening, remarks"\n2,Keynote\n',
        "_data/2025/slots.tsv": "start\tevent\n09:00\tWelcome\n",
        "_data/bad.yml": "ok: 1\nlist:\n  - a\n - b\n",
        "_data/bad.json": '{\n  "a": 1,\n}',
        "_data/bad.csv": 'a,b\n1,"unclosed\n',
        "_data/.hidden.yml": "x: 1\n",
        "talks.md": "---\ntitle: Talks\nlayout: [\n---\nbody",
    })
    assert site.data["people"] == [{"name": "Ann"}]
    assert site.data["2025"] == {
        "rooms": {"main": "Hall A"},
        "talks": [{"id": "1", "title": "Opening, remarks"}, {"id": "2", "title": "Keynote"}],
        "slots": [{"start": "09:00", "event": "Welcome"}],
    }
    assert set(site.data) == {"people", "2025"}
    assert any(p.startswith("_data/bad.yml: line 4: ") for p in site.problems)
    assert any(p.startswith("_data/bad.json: line ") for p in site.problems)  # 3, or 2 from Python 3.13
    assert any(p.startswith("_data/bad.csv: line ") for p in site.problems)
    assert site.pages == []
    assert any(p.startswith("talks.md: front matter: line ") for p in site.problems)


@pytest.mark.parametrize(
    ("config", "relative", "front", "url"),
    [
        ("", "cfp.md", {}, "/cfp.html"),
        ("", "neurips2018/index.md", {}, "/neurips2018/"),
        ("", "feed.xml", {}, "/feed.xml"),
        ("", "404.md", {"permalink": "/404.html"}, "/404.html"),
        ("permalink: pretty", "cfp.md", {}, "/cfp/"),
        ("permalink: /:year-:month-:day-:title/", "2025/cfp.html", {}, "/2025/cfp/"),
        ("defaults: [{scope: {path: 'old'}, values: {permalink: '/archive/'}}]", "old/x.md", {}, "/archive/"),
    ],
)
def test_page_url_is_where_jekyll_writes_the_page(tmp_path, config, relative, front, url):
    site = make_site(tmp_path, {"_config.yml": config})
    assert site.render("{{ page.url }}|{{ page.path }}", front, relative) == f"{url}|{relative}"


# --- Liquid as Jekyll runs it --------------------------------------------------------------------------------------


@pytest.fixture
def liquid_site(tmp_path) -> JekyllSite:
    return make_site(tmp_path, {
        "_config.yml": "title: WS\nurl: https://ws.org\nbaseurl: /2025\npermalink: pretty\n",
        "_data/talks.yml": (
            "b: {title: Beta, day: 2, tags: [ml]}\n"
            "a: {title: Alpha, day: 1}\n"
            "c: {title: Gamma, day: 2, tags: [ml, sys]}\n"
        ),
        "_data/list.yml": "- {name: Ann, n: 3}\n- {name: Bob}\n- {name: Cy, n: 1}\n",
        "_data/slots.yml": "- {day: 1}\n- {day: 2}\n- {day: 2}\n",
        "_data/ids.csv": "id\n10\n9\n",
        "_includes/card.html": "[{{ include.who }}:{{ include.n }}:{{ include.t.title }}]",
        "_includes/card-alt.html": "<{{ include.who }}>",
        "docs/snippet.md": "snippet of {{ page.title }}",
        "docs/about.md": "---\ntitle: About\n---\nabout",
    })


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% for t in site.data.talks %}{{ forloop.index }}{{ t[0] }}={{ t[1].title }} {% endfor %}",
         "1b=Beta 2a=Alpha 3c=Gamma "),
        ("{{ site.data.list[-1].name }}|{{ site.data.list.size }}|{{ site.data.talks.c.tags[-1] }}", "Cy|3|sys"),
        ("{% capture x %}{{ site.title }}!{% endcapture %}{% assign y = x | append: '?' %}{{ y }}", "WS!?"),
        ("{{ nothing.here }}|{{ page.missing | upcase }}|{% for x in nothing %}x{% endfor %}", "||"),
        ("{{ site.data.talks | where: 'day', '2' | map: 'title' | join: ',' }}", "Beta,Gamma"),
        ("{{ site.data.talks | where: 'tags', 'sys' | map: 'title' | join: ',' }}", "Gamma"),
        ("{{ site.data.list | where_exp: 'p', 'p.n > 1' | map: 'name' | join: ',' }}", "Ann"),
        ("{{ site.data.list | find_exp: 'p', \"p.name contains 'o'\" | map: 'name' }}", "Bob"),
        ("{{ site.data.list | sort: 'n' | map: 'name' | join: ',' }}", "Bob,Cy,Ann"),
        ("{{ site.data.list | sort: 'n', 'last' | map: 'name' | join: ',' }}", "Cy,Ann,Bob"),
        ("{% assign g = site.data.slots | group_by: 'day' %}{% for x in g %}{{ x.name }}:{{ x.size }} {% endfor %}",
         "1:1 2:2 "),
        ("{% assign g = site.data.slots | group_by_exp: 's', 's.day | plus: 10' %}{{ g | map: 'name' | join }}",
         "11 12"),
        ("{{ site.data.ids | sort: 'id' | map: 'id' | join }}|{{ site.data.ids | where: 'id', 10 | size }}", "9 10|1"),
        ("{{ '/img/a.png' | relative_url }} {{ 'cfp' | absolute_url }} {{ 'https://x.y/' | relative_url }}",
         "/2025/img/a.png https://ws.org/2025/cfp https://x.y/"),
        ("{{ page.d | date_to_string }}|{{ page.d | date_to_long_string: 'ordinal', 'US' }}|"
         "{{ page.d | date_to_xmlschema }}", "03 Apr 2025|April 3rd, 2025|2025-04-03T00:00:00"),
        ("{{ page.d | date_to_rfc822 }}|{{ '2025-12-01' | date: '%B %-d' }}",
         "Thu, 03 Apr 2025 00:00:00 -0000|December 1"),
        ("{{ 'Call for Papers: 2025!' | slugify }}|{{ 'Café au lait' | slugify: 'latin' }}",
         "call-for-papers-2025|cafe-au-lait"),
        ("{{ 'a & <b> \"c\"' | xml_escape }}|{{ 'a b&c/d' | cgi_escape }}|{{ 'a b/é?x=1' | uri_escape }}",
         'a &amp; &lt;b&gt; &quot;c&quot;|a+b%26c%2Fd|a%20b/%C3%A9?x=1'),
        ("{{ site.data.list | map: 'name' | array_to_sentence_string }}|{{ '  a \n b ' | normalize_whitespace }}",
         "Ann, Bob, and Cy|a b"),
        ("{{ 'one two  three' | number_of_words }}|{{ \"it's\" | smartify }}|{{ '<p>x</p>' | strip_html }}",
         "3|it's|x"),
        ("{% assign l = site.data.list | map: 'name' %}{{ l | push: 'Di' | join }}|{{ l | pop | join }}|"
         "{{ l | shift | join }}|{{ l | unshift: 'Z' | join }}|{{ l | sample }}",
         "Ann Bob Cy Di|Ann Bob|Bob Cy|Z Ann Bob Cy|Ann"),
        ("{{ site.data.list[0] | jsonify }}|{{ site.data.list[1] | inspect }}",
         '{"name":"Ann","n":3}|{&quot;name&quot;=&gt;&quot;Bob&quot;}'),
        ("{{ '**bold**' | markdownify }}", "<p><strong>bold</strong></p>"),
        ("{% if page.title and (false or site.title) %}yes{% endif %}", "yes"),
        ("{{ jekyll.environment }} {{ site.pages | map: 'title' | join }} {{ site.time | date: '%Y' | size }}",
         "production About 4"),
    ],
)
def test_liquid_behaves_like_jekyll(liquid_site, template, expected):
    assert liquid_site.render(template, {"title": "T", "d": date(2025, 4, 3)}, "page.md").replace("\n", "") == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{% include card.html who="Ann" n=2 t=site.data.talks.a %}', "[Ann:2:Alpha]"),
        ("{% include card.html who='A, B' limit=3 %}", "[A, B::]"),
        ("{% assign kind = 'alt' %}{% include card-{{ kind }}.html who=page.title %}", "<T>"),
        ("{% include_relative snippet.md %}", "snippet of T"),
        ("{% highlight ruby %}a < b && {{ page.title }}{% endhighlight %}",
         '<figure class="highlight"><pre><code class="language-ruby" data-lang="ruby">a &lt; b &amp;&amp; T'
         "</code></pre></figure>"),
        ("{% raw %}{{ kept }}{% endraw %}[{% seo %}{% feed_meta %}]", "{{ kept }}[]"),
        ("{% link docs/about.md %} {% link files/cfp.pdf %} {% post_url 2025-01-31-call %}",
         "/2025/docs/about/ /2025/files/cfp.pdf /2025/2025/01/31/call/"),
    ],
)
def test_jekyll_tags(liquid_site, template, expected):
    assert liquid_site.render(template, {"title": "T"}, "docs/page.md") == expected


# --- collections ---------------------------------------------------------------------------------------------------


@pytest.fixture
def collection_site(tmp_path) -> JekyllSite:
    return make_site(tmp_path, {
        "_config.yml": (
            "title: WS\npermalink: pretty\n"
            "collections:\n  speakers:\n  modules: {sort_by: order}\n  talks: {order: [z.md, b.md]}\n"
            "defaults:\n"
            "  - {scope: {path: '', type: speakers}, values: {layout: speaker, role: Speaker}}\n"
            "  - {scope: {path: '', type: modules}, values: {layout: module}}\n"
            "  - {scope: {path: ''}, values: {role: Page}}\n"
        ),
        "_layouts/speaker.html": '<div class="speaker"><h3>{{ page.name }}</h3>{{ content }}</div>',
        "_layouts/module.html": "<h2>{{ page.title }}</h2>\n<div>{{ content }}</div>",
        "_speakers/lee.md": "---\nname: Jason Lee\n---\nTalk on *optimization* at {{ site.title }}.\n",
        "_speakers/ma.md": "---\nname: Yi Ma\nrole: Keynote\n---\n",
        "_speakers/notes.txt": "no front matter: a static file of the collection\n",
        "_speakers/_drafts/x.md": "---\nname: Draft\n---\n",
        "_modules/day2.md": "---\ntitle: Day 2\norder: 10\n---\n",
        "_modules/day1.md": "---\ntitle: Day 1\norder: 2\n---\n",
        "_modules/extra.md": "---\ntitle: Extra\n---\n",
        "_modules/day0.md": "---\ntitle: Day 0\norder: 1\n---\n",
        "_talks/a.md": "---\ntitle: A\n---\n",
        "_talks/b.md": "---\ntitle: B\n---\n",
        "_talks/z.md": "---\ntitle: Z\n---\n",
    })


def test_a_collection_lists_its_documents_with_the_defaults_of_its_type(collection_site):
    """`site.speakers` holds every document of `_speakers/` (files with front matter, `_` names left out),
    with the defaults scoped to its type and what Jekyll adds; pages keep their own defaults."""
    html = collection_site.render(
        "{% for s in site.speakers %}[{{ s.name }}|{{ s.role }}|{{ s.layout }}|{{ s.title }}|{{ s.slug }}|"
        "{{ s.url }}|{{ s.path }}|{{ s.relative_path }}|{{ s.collection }}|{{ s.id }}]{% endfor %}|{{ page.role }}|"
        "{{ site.speakers | where: 'role', 'Keynote' | map: 'name' | join }}|{{ site.speakers.size }}",
        {}, "index.md")
    assert html == (
        "[Jason Lee|Speaker|speaker|Lee|lee|/speakers/lee/|_speakers/lee.md|_speakers/lee.md|speakers|"
        "/speakers/lee/lee]"
        "[Yi Ma|Keynote|speaker|Ma|ma|/speakers/ma/|_speakers/ma.md|_speakers/ma.md|speakers|/speakers/ma/ma]"
        "|Page|Yi Ma|2")
    assert collection_site.render("{{ site.collections | map: 'label' | join }}", {}, "index.md") == \
        "modules posts speakers talks"


def test_a_printed_document_is_its_content_in_its_layout(collection_site):
    """`{{ speaker }}` prints what Jekyll renders for the document: Liquid, Markdown, then its layout;
    `speaker.content` is the rendered body alone."""
    html = collection_site.render(
        "{% for speaker in site.speakers %}{{ speaker }}{% endfor %}|{{ site.speakers[0].content }}", {}, "index.md")
    assert html == (
        '<div class="speaker"><h3>Jason Lee</h3><p>Talk on <em>optimization</em> at WS.</p></div>'
        '<div class="speaker"><h3>Yi Ma</h3></div>'
        "|<p>Talk on <em>optimization</em> at WS.</p>")


@pytest.mark.parametrize(
    ("label", "order"),
    [
        ("modules", "Day 0,Day 1,Day 2,Extra"),  # by `sort_by: order`, documents without it last
        ("talks", "Z,B,A"),  # the `order` list first, then the rest by path
        ("speakers", "Jason Lee,Yi Ma"),  # by path
    ],
)
def test_collections_are_in_jekyll_order(collection_site, label, order):
    template = f"{{{{ site.{label} | map: 'title' | join: ',' }}}}" if label != "speakers" else \
        "{{ site.speakers | map: 'name' | join: ',' }}"
    assert collection_site.render(template, {}, "index.md") == order


def test_dated_documents_come_in_date_order(tmp_path):
    site = make_site(tmp_path, {
        "_config.yml": "collections: [events]\n",
        "_events/a.md": "---\ntitle: Late\ndate: 2025-03-01\n---\n",
        "_events/b.md": "---\ntitle: Early\ndate: 2025-01-01 10:00:00 +05:00\n---\n",
        "_events/c.md": "---\ntitle: Middle\ndate: 2025-02-01\n---\n",
    })
    assert site.render("{{ site.events | map: 'title' | join: ',' }}", {}, "index.md") == "Early,Middle,Late"


def test_collections_dir_holds_the_collections_and_posts(tmp_path):
    site = make_site(tmp_path, {
        "_config.yml": "collections_dir: my_collections\ncollections: [talks]\n",
        "my_collections/_talks/keynote.md": "---\ntitle: Keynote\n---\n",
        "my_collections/_posts/2025-01-31-call.md": "---\ntitle: Call\n---\n",
        "_talks/ignored.md": "---\ntitle: Elsewhere\n---\n",
    })
    assert site.render("{{ site.talks | map: 'title' | join }}|{{ site.talks[0].path }}|{{ site.posts[0].title }}",
                       {}, "index.md") == "Keynote|_talks/keynote.md|Call"


def test_posts_are_newest_first_and_only_published(tmp_path):
    """`_posts` is the `posts` collection: dated file names, newest first, at the permalink style's URL."""
    site = make_site(tmp_path, {
        "_config.yml": "baseurl: /ws\n",
        "_posts/2025-01-31-call-for-papers.md": "---\ntags: [cfp, dates]\n---\nSubmit by March.\n",
        "_posts/2025-03-01-program.md": "---\ntitle: The Program\ncategories: news\n---\n",
        "_posts/2025-02-01-hidden.md": "---\ntitle: Hidden\npublished: false\n---\n",
        "_posts/notes.md": "---\ntitle: Not a post\n---\n",
    })
    html = site.render(
        "{% for post in site.posts %}[{{ post.title }}|{{ post.url }}|{{ post.date | date: '%F' }}]{% endfor %}"
        "{{ site.tags.cfp | map: 'title' | join }}|{{ site.categories.news.size }}|"
        "{% post_url 2025-03-01-program %}", {}, "index.md")
    assert html == ("[The Program|/news/2025/03/01/program.html|2025-03-01]"
                    "[Call For Papers|/2025/01/31/call-for-papers.html|2025-01-31]Call For Papers|1|"
                    "/ws/2025/03/01/program.html")


def test_a_broken_document_is_reported_and_the_listing_still_renders(tmp_path):
    """Broken front matter leaves the document out; broken Liquid keeps what renders; both name the file."""
    site = make_site(tmp_path, {
        "_config.yml": "collections: [speakers]\n",
        "_speakers/a.md": "---\nname: Ann\n---\nFirst.\n",
        "_speakers/b.md": "---\nname: [Bob\n---\nSecond.\n",
        "_speakers/c.md": "---\nname: Cy\n---\nThird\n{{ page.name | shout }}\n",
    })
    html = site.render("{% for s in site.speakers %}{{ s.name }}={{ s.content | strip_html | strip }};{% endfor %}",
                       {}, "index.md")
    assert html == "Ann=First.;Cy=Third\nCy;"  # the unknown filter is left out
    assert any(p.startswith("_speakers/b.md: front matter: line 3: ") for p in site.problems)
    assert "_speakers/c.md: line 5: Liquid template cannot be rendered: unknown filter 'shout'" in site.problems


def test_a_document_that_lists_its_own_collection_renders_once(tmp_path):
    """A layout printing every speaker, itself included, ends: the document being rendered prints its content."""
    site = make_site(tmp_path, {
        "_config.yml": "collections: [speakers]\ndefaults: [{scope: {type: speakers}, values: {layout: card}}]\n",
        "_layouts/card.html": "<card>{{ content }}:{% for s in site.speakers %}{{ s.content }}{% endfor %}</card>",
        "_speakers/a.md": "---\nx: 1\n---\nA",
        "_speakers/b.md": "---\nx: 2\n---\nB {% for s in site.speakers %}({{ s }}){% endfor %}",
    })
    html = site.render("{% for s in site.speakers %}{{ s }}{% endfor %}", {}, "index.md").replace("\n", "")
    assert html.startswith("<card><p>A</p>:<p>A</p><p>B (<p>A</p>)()</p></card><card><p>B (<card><p>A</p>")
    assert html.count("<card>") == html.count("</card>") and "{{" not in html


def test_fingerprint_follows_collections_and_bibliographies(tmp_path):
    root = tmp_path / "site"
    make_site(root, {
        "_config.yml": "collections: [speakers]\n",
        "_speakers/a.md": "---\nname: Ann\n---\n",
        "_posts/2025-01-01-hello.md": "---\n---\n",
        "_bibliography/references.bib": "@misc{a, title={A}}\n",
    })
    fingerprints = {JekyllSite.load(root).fingerprint()}
    for relative, text in [("_speakers/a.md", "---\nname: Ann Lee\n---\n"), ("_speakers/b.md", "---\n---\n"),
                           ("_posts/2025-01-01-hello.md", "---\ntitle: Hi\n---\n"),
                           ("_bibliography/references.bib", "@misc{a, title={B}}\n")]:
        (root / relative).write_text(text, encoding="utf-8")
        fingerprints.add(JekyllSite.load(root).fingerprint())
    assert len(fingerprints) == 5


# --- jekyll-scholar ------------------------------------------------------------------------------------------------


@pytest.fixture
def scholar_site(tmp_path) -> JekyllSite:
    return make_site(tmp_path, {
        "_config.yml": "scholar:\n  source: /papers/\n  bibliography: accepted.bib\n",
        "papers/accepted.bib": (
            "---\n---\n"
            "@inproceedings{zhang2024maven,\n  title={Maven: A Multimodal Foundation Model for Supernova Science},\n"
            "  author={Zhang, Gemma and Micha{\\l} Wili{\\'n}ski and others},\n"
            "  booktitle={NeurIPS Workshop on Time Series},\n  year={2024},\n  abbr={Oral}\n}\n"
            "@misc{chow2024,\n  title={Towards Time-Series Reasoning with {LLM}s},\n  author={Winnie Chow}\n}\n"
        ),
        "papers/invited.bib": "@article{k, title={Invited {\\&} Keynote}, journal={JMLR}, year=2023}\n",
        "papers/broken.bib": "@article{k, title = undefined # { macro}}\n",
    })


def test_bibliography_lists_every_entry_with_title_authors_venue_and_year(scholar_site):
    """`{% bibliography %}` reads the configured file (front matter and LaTeX aside): a reader can tell
    which papers were accepted and who wrote them."""
    html = scholar_site.render("<h2>Accepted</h2>\n{% bibliography --query @*[year=2024] --cited %}", {}, "p.md")
    assert html == (
        '<h2>Accepted</h2>\n<ol class="bibliography"><li id="zhang2024maven"><span class="abbr">[Oral]</span> '
        '<span class="title">Maven: A Multimodal Foundation Model for Supernova Science</span>. '
        '<span class="author">Gemma Zhang, Michał Wiliński</span>. <em>NeurIPS Workshop on Time Series</em>, 2024.'
        '</li><li id="chow2024"><span class="title">Towards Time-Series Reasoning with LLMs</span>. '
        '<span class="author">Winnie Chow</span>.</li></ol>')
    assert parse_html(html).sections[0].lines == [
        "- [Oral] Maven: A Multimodal Foundation Model for Supernova Science. Gemma Zhang, Michał Wiliński. "
        "NeurIPS Workshop on Time Series, 2024.",
        "- Towards Time-Series Reasoning with LLMs. Winnie Chow."]


def test_scholar_file_option_and_citations(scholar_site):
    assert scholar_site.render("{% bibliography --file invited %}", {}, "p.md") == (
        '<ol class="bibliography"><li id="k"><span class="title">Invited &amp; Keynote</span>. '
        "<em>JMLR</em>, 2023.</li></ol>")
    assert scholar_site.render("({% cite chow2024 %})({% cite nowhere %})", {}, "p.md") == \
        "(Towards Time-Series Reasoning with LLMs)()"
    assert scholar_site.render("{% reference chow2024 %}", {}, "p.md") == \
        '<span class="title">Towards Time-Series Reasoning with LLMs</span>. <span class="author">Winnie Chow</span>.'
    with pytest.raises(LiquidError, match=r"line 2: bibliography: papers/missing.bib not found"):
        scholar_site.render("a\n{% bibliography -f missing %}", {}, "p.md")
    assert scholar_site.render("{% bibliography --file broken.bib %}", {}, "p.md") == '<ol class="bibliography"></ol>'
    assert scholar_site.problems == ["papers/broken.bib: undefined string 'undefined'"]


def test_python_liquid_loads_with_the_first_render_not_with_listing_a_site(tmp_path):
    """Listing a site's pages, documents and URLs needs no template engine, and python-liquid takes a tenth of
    a second to import: it loads with the first template rendered (a fresh interpreter shows it)."""
    make_site(tmp_path, {
        "_config.yml": "collections:\n  talks: {output: true, sort_by: order}\n",
        "_posts/2025-01-31-call.md": "---\ntitle: Call\ndate: '2025-01-31 10:00'\n---\n",
        "_talks/keynote.md": "---\norder: 1\n---\n",
        "index.md": "---\ntitle: Home\n---\n{{ site.posts | size }}",
    })
    script = (
        "import sys\nfrom pathlib import Path\nfrom bot.knowledge.site import edition_folders\n"
        f"site = edition_folders(Path({str(tmp_path)!r}))[0].site\n"
        "urls = [site.url_of(name, {}) for name in site.published_documents()]\n"
        "print(urls, 'liquid' in sys.modules)\n"
        "print(site.render('{{ site.posts | size }}', {}, 'index.md'), 'liquid' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == ["['/2025/01/31/call.html', '/talks/keynote.html'] False", "1 True"]
