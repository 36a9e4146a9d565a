"""Render a Jekyll site's pages the way Jekyll does, so the bot reads what visitors read.

Workshop sites keep schedules, speakers and papers in `_data/` and loop over them in Liquid; the
page files alone say little. python-liquid does the Liquid. This package adds what Jekyll adds on
top of it: the `site` and `page` variables, Jekyll's `include`, its filters and plugin tags (and
jekyll-scholar's bibliography), front-matter defaults, layouts, collections (`site.speakers`, posts),
and the rules for what a site publishes, GitHub Pages' among them (a README indexes its folder).

- `reading`: front matter, `_data` files and the config, within bounds
- `source`: a checkout's files, which of them Jekyll publishes, and front-matter defaults
- `urls`: permalinks, slugs, `site.url` and the baseurl
- `documents`: collections and their documents, in Jekyll's order
- `dates`, `values`: dates, and values as Liquid prints and sorts them, without python-liquid
- `site`: `JekyllSite`, the `site` and `page` variables, layouts and rendering
- `environment`, `tags`, `filters`, `bibliography`: the Liquid side, imported with the first render
"""

from bot.knowledge.jekyll.errors import LiquidError
from bot.knowledge.jekyll.site import JekyllSite
from bot.knowledge.jekyll.source import CONFIG_FILE, SiteConfigError

__all__ = ["CONFIG_FILE", "JekyllSite", "LiquidError", "SiteConfigError"]
