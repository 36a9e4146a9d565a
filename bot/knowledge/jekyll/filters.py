"""Jekyll's Liquid filters, where python-liquid has none or a different one: arrays and hashes (`where`,
`group_by`, `sort`…), dates, text and URLs."""

from __future__ import annotations

import email.utils
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import markdown
from liquid import Environment, RenderContext, Token, TokenStream, is_undefined
from liquid import exceptions as liquid_errors
from liquid.builtin.expressions import BooleanExpression, FilteredExpression, tokenize
from liquid.expression import Expression
from liquid.filter import int_arg, with_context
from liquid.token import TOKEN_EXPRESSION

from bot.knowledge.jekyll.dates import NOT_A_DATE, to_datetime
from bot.knowledge.jekyll.urls import SiteUrls, slugify
from bot.knowledge.jekyll.values import as_text, sort_key

NUMBER = re.compile(r"\s*-?(?:\d+\.?\d*|\.\d+)\s*")


def _items(value: object) -> list:
    """The elements Jekyll's array filters walk: a hash's values, nothing for nil."""
    if value is None or is_undefined(value):
        return []
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _property(item: object, name: str) -> object:
    """Jekyll's `item_property`: a dotted path into hashes, nil where it leads nowhere, numbers read as numbers."""
    for key in name.split("."):
        if not isinstance(item, Mapping) or is_undefined(item):
            return None
        item = item.get(key)
        if isinstance(item, str) and NUMBER.fullmatch(item):  # so "10" sorts after "9", as in Jekyll
            item = float(item) if "." in item else int(item)
    return item


def _same(actual: object, target: object) -> bool:
    """Jekyll's `where` comparison: as strings, and an array property matches if any element does."""
    if target is None or is_undefined(target):
        return actual is None
    if actual is None:
        return False
    if isinstance(actual, (list, tuple)):
        return any(as_text(element) == as_text(target) for element in actual)
    return as_text(actual) == as_text(target)


def where(value: object, name: object, target: object = None) -> list:
    """Items whose property equals `target`, compared as Jekyll does (as text)."""
    items = _items(value)
    if not name or is_undefined(name) or isinstance(target, (list, dict)):
        return items
    return [item for item in items if _same(_property(item, as_text(name)), target)]


def find(value: object, name: object, target: object = None) -> object:
    return next(iter(where(value, name, target)), None)


@lru_cache(maxsize=256)
def _expression(env: Environment, text: str, boolean: bool) -> Expression:
    """A filter's Liquid expression argument (`where_exp`, `group_by_exp`), parsed once."""
    token = Token(TOKEN_EXPRESSION, text, 0, text)
    try:
        tokens = TokenStream(tokenize(text, token))
        return BooleanExpression.parse(env, tokens) if boolean else FilteredExpression.parse(env, tokens)
    except liquid_errors.LiquidSyntaxError as err:
        raise liquid_errors.FilterArgumentError(f"invalid expression {text!r}: {err.message}", token=None) from err


def _evaluate(context: RenderContext, variable: object, item: object, expression: Expression) -> object:
    with context.extend({as_text(variable): item}):
        return expression.evaluate(context)


@with_context
def where_exp(value: object, variable: object, expression: object, *, context: RenderContext) -> list:
    condition = _expression(context.env, as_text(expression), True)
    return [item for item in _items(value) if _evaluate(context, variable, item, condition)]


@with_context
def find_exp(value: object, variable: object, expression: object, *, context: RenderContext) -> object:
    return next(iter(where_exp(value, variable, expression, context=context)), None)


def _grouped(pairs: Iterable[tuple[object, object]]) -> list[dict]:
    groups: dict[str, list] = {}
    for item, key in pairs:
        groups.setdefault(as_text(key), []).append(item)
    return [{"name": name, "items": items, "size": len(items)} for name, items in groups.items()]


def _groupable(value: object) -> list | None:
    if is_undefined(value) or not isinstance(value, (list, tuple, Mapping)):
        return None
    return list(value.items()) if isinstance(value, Mapping) else list(value)


def group_by(value: object, name: object) -> object:
    items = _groupable(value)
    return value if items is None else _grouped((item, _property(item, as_text(name))) for item in items)


@with_context
def group_by_exp(value: object, variable: object, expression: object, *, context: RenderContext) -> object:
    items = _groupable(value)
    if items is None:
        return value
    key = _expression(context.env, as_text(expression), False)
    return _grouped((item, _evaluate(context, variable, item, key)) for item in items)


def sort(value: object, name: object = None, nils: object = "first") -> list:
    """Jekyll's sort: a hash sorts as [key, value] pairs, items without the property go first (or last)."""
    if value is None or is_undefined(value):
        raise liquid_errors.FilterArgumentError("cannot sort a null object", token=None)
    if isinstance(value, Mapping):
        return sorted(value.items(), key=lambda pair: sort_key(pair[0]))
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if name is None or is_undefined(name):
        return sorted(items, key=sort_key)
    if nils not in ("first", "last"):
        raise liquid_errors.FilterArgumentError(f"invalid nils order {nils!r}: 'first' or 'last'", token=None)
    missing = 0 if nils == "first" else 2

    def key(item: object) -> tuple:
        found = _property(item, as_text(name))
        return (missing, ()) if found is None else (1, sort_key(found))

    return sorted(items, key=key)


def _time(value: object) -> datetime | None:
    """A filter's date; FilterArgumentError for what is not one."""
    if is_undefined(value):
        return None
    try:
        return to_datetime(value)
    except NOT_A_DATE as err:
        raise liquid_errors.FilterArgumentError(f"invalid date {value!r}", token=None) from err


def _ordinal(day: int) -> str:
    return "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _date_string(value: object, month: str, kind: object, style: object) -> str:
    moment = _time(value)
    if moment is None:
        return ""
    if kind == "ordinal":
        day = f"{moment.day}{_ordinal(moment.day)}"
        return moment.strftime(f"{month} {day}, %Y" if style == "US" else f"{day} {month} %Y")
    return moment.strftime(f"%d {month} %Y")


def date_to_string(value: object, kind: object = None, style: object = None) -> str:
    return _date_string(value, "%b", kind, style)


def date_to_long_string(value: object, kind: object = None, style: object = None) -> str:
    return _date_string(value, "%B", kind, style)


def date_to_xmlschema(value: object) -> str:
    moment = _time(value)
    return "" if moment is None else moment.isoformat(timespec="seconds")


def date_to_rfc822(value: object) -> str:
    moment = _time(value)
    return "" if moment is None else email.utils.format_datetime(moment)


def jsonify(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: object) -> Any:
    return None if is_undefined(value) else str(value)


def markdownify(value: object) -> str:
    return markdown.markdown(as_text(value), extensions=["extra"])


@with_context
def liquify(value: object, *, context: RenderContext) -> str:
    """jekyll-liquify: the value rendered as a Liquid template where it is printed."""
    output = io.StringIO()
    context.env.from_string(as_text(value)).render_with_context(context, output, partial=True)
    return output.getvalue()


def smartify(value: object) -> str:
    """Curly quotes change nothing a reader needs, so the text is kept as it is."""
    return as_text(value)


def xml_escape(value: object) -> str:
    return html.escape(as_text(value), quote=False).replace('"', "&quot;")


def cgi_escape(value: object) -> str:
    return quote_plus(as_text(value), safe="")


def uri_escape(value: object) -> str:
    return quote(as_text(value), safe="!#$%&'()*+,/:;=?@[]~")


def number_of_words(value: object, mode: object = None) -> int:
    return len(as_text(value).split())


def normalize_whitespace(value: object) -> str:
    return " ".join(as_text(value).split())


def array_to_sentence_string(value: object, connector: object = "and") -> str:
    words = [as_text(item) for item in _items(value)]
    if len(words) < 3:
        return f" {as_text(connector)} ".join(words)
    return f"{', '.join(words[:-1])}, {as_text(connector)} {words[-1]}"


def sample(value: object, count: object = 1) -> object:
    """The first item(s) rather than random ones, so a page renders the same every time."""
    if not isinstance(value, (list, tuple)):
        return value
    wanted = int_arg(count, 1)
    return (value[0] if value else None) if wanted == 1 else list(value[:wanted])


def push(value: object, item: object) -> object:
    return [*value, item] if isinstance(value, (list, tuple)) else value


def pop(value: object, count: object = 1) -> object:
    if not isinstance(value, (list, tuple)):
        return value
    return list(value[: max(len(value) - int_arg(count, 1), 0)])


def shift(value: object, count: object = 1) -> object:
    return list(value[int_arg(count, 1) :]) if isinstance(value, (list, tuple)) else value


def unshift(value: object, item: object) -> object:
    return [item, *value] if isinstance(value, (list, tuple)) else value


def _ruby_inspect(value: object) -> str:
    if value is None or is_undefined(value):
        return "nil"
    if isinstance(value, (bool, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_ruby_inspect(k)}=>{_ruby_inspect(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_ruby_inspect(item) for item in value) + "]"
    return str(value)


def inspect(value: object) -> str:
    return xml_escape(_ruby_inspect(value))


def relative_url(site: SiteUrls, value: object) -> str:
    """Jekyll's `relative_url`: the baseurl before a site path; absolute URLs pass through."""
    if isinstance(value, Mapping) and not is_undefined(value):
        value = value.get("url")
    if value is None or is_undefined(value):
        return ""
    text = as_text(value)
    if urlsplit(text).scheme:
        return text
    return site._baseurl + (text if not text or text.startswith("/") else f"/{text}")


def absolute_url(site: SiteUrls, value: object) -> str:
    """Jekyll's `absolute_url`: `site.url` before the relative URL (just the relative one without a url)."""
    if value is None or is_undefined(value):
        return ""
    relative = relative_url(site, value)
    return relative if urlsplit(relative).scheme else site._url + relative


FILTERS: dict[str, Callable[..., object]] = {
    "where": where,
    "where_exp": where_exp,
    "find": find,
    "find_exp": find_exp,
    "group_by": group_by,
    "group_by_exp": group_by_exp,
    "sort": sort,
    "date_to_string": date_to_string,
    "date_to_long_string": date_to_long_string,
    "date_to_xmlschema": date_to_xmlschema,
    "date_to_rfc822": date_to_rfc822,
    "jsonify": jsonify,
    "markdownify": markdownify,
    "liquify": liquify,
    "smartify": smartify,
    "slugify": slugify,
    "xml_escape": xml_escape,
    "cgi_escape": cgi_escape,
    "uri_escape": uri_escape,
    "number_of_words": number_of_words,
    "normalize_whitespace": normalize_whitespace,
    "array_to_sentence_string": array_to_sentence_string,
    "sample": sample,
    "push": push,
    "pop": pop,
    "shift": shift,
    "unshift": unshift,
    "inspect": inspect,
}
