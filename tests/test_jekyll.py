"""Jekyll pages render as the published site shows them: data loops, includes, layouts, and clear errors."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import frontmatter
import pytest
import yaml

from bot.knowledge.jekyll import JekyllSite, LiquidError, SiteConfigError

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
        ("intro\n{% bibliography --file papers %}\n", 2, "unexpected tag 'bibliography'"),
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

    site = make_site(tmp_path, {"_config.yml": "exclude: [drafts/, '*.bak', old]\ninclude: [_pages, .well-known]\n"})
    assert site.excluded("drafts/cfp.md") and site.excluded("notes.bak") and site.excluded("old/2019/index.md")
    assert not site.excluded("_pages/about.md") and not site.excluded(".well-known/security.txt")
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
    assert any(p.startswith("_data/bad.json: line 3: ") for p in site.problems)
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
