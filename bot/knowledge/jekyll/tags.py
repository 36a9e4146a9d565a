"""Jekyll's own Liquid tags (`include`, `link`, `post_url`, `highlight`) and its plugins' (`seo`, `feed_meta`),
each parsed into a node that renders as Jekyll would."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO, cast

from liquid import Environment, RenderContext, Token, TokenStream
from liquid import exceptions as liquid_errors
from liquid.ast import BlockNode, Node
from liquid.builtin.expressions import FilteredExpression, parse_primitive, tokenize
from liquid.expression import Expression
from liquid.parser import get_parser
from liquid.tag import Tag
from liquid.token import TOKEN_ASSIGN, TOKEN_COLON, TOKEN_COMMA, TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_TAG, TOKEN_WORD

from bot.knowledge.jekyll.values import as_text

if TYPE_CHECKING:
    from bot.knowledge.jekyll.environment import SiteEnvironment

OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
INCLUDE_ARGUMENTS = re.compile(r"((?:\{\{.*?\}\}|[^\s{])+)\s*(.*)", re.S)


class NamedTag(Tag):
    """A tag class registered under several names (`include`, `include_relative`, …)."""

    block = False

    def __init__(self, env: Environment, name: str) -> None:
        super().__init__(env)
        self.name = name


class IncludeTag(NamedTag):
    """Jekyll's include: `{% include file.html key=value key2="text" %}`, the name may hold `{{ }}`."""

    def parse(self, stream: TokenStream) -> Node:
        tag, expression = tag_expression(stream)
        match = INCLUDE_ARGUMENTS.fullmatch(expression.value) if expression else None
        if expression is None or match is None:
            raise liquid_errors.LiquidSyntaxError(f"{self.name} needs a file name", token=tag)
        rest = Token(TOKEN_EXPRESSION, match.group(2), expression.start_index + match.start(2), expression.source)
        params = _parse_params(self.env, TokenStream(tokenize(rest.value, rest)))
        return _IncludeNode(tag, self.name, _parse_parts(self.env, match.group(1), expression), params)


class _IncludeNode(Node):
    def __init__(self, token: Token, tag: str, name: list[str | Expression], params: dict[str, Expression] | None):
        super().__init__(token)
        self.tag = tag
        self.name = name
        self.params = params
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        env = cast("SiteEnvironment", context.env)
        name = _render_parts(self.name, context).strip()
        try:
            template = env.include(self.tag, name, _page_path(context), self.token)
            # Without parameters Jekyll leaves `include` as the enclosing include set it.
            scope = {} if self.params is None else {"include": {k: v.evaluate(context) for k, v in self.params.items()}}
            with context.extend(scope, template=template):
                template.render_with_context(context, buffer, partial=True)
        except liquid_errors.LiquidError as err:
            env.error(_inside(err, f"{self.tag} {name}", self.token))
        return 1


class LinkTag(NamedTag):
    """`{% link path %}` and `{% post_url name %}`: the URL of another file of the site."""

    def parse(self, stream: TokenStream) -> Node:
        tag, expression = tag_expression(stream)
        if expression is None:
            raise liquid_errors.LiquidSyntaxError(f"{self.name} needs a target", token=tag)
        return _LinkNode(tag, self.name, _parse_parts(self.env, expression.value, expression))


class _LinkNode(Node):
    def __init__(self, token: Token, tag: str, target: list[str | Expression]) -> None:
        super().__init__(token)
        self.tag = tag
        self.target = target
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        target = _render_parts(self.target, context).strip()
        url = cast("SiteEnvironment", context.env).site._link(self.tag, target)
        if url is None:
            problem = f"{self.tag}: '{target}' is not a post name (YYYY-MM-DD-title)"
            raise liquid_errors.LiquidError(problem, token=self.token)
        return buffer.write(url)


class SilentTag(NamedTag):
    """Plugin tags that only write metadata into <head> (`seo`, `feed_meta`): nothing a reader sees."""

    def parse(self, stream: TokenStream) -> Node:
        return _EmptyNode(tag_expression(stream)[0])


class _EmptyNode(Node):
    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return 0


class HighlightTag(NamedTag):
    """`{% highlight lang %}code{% endhighlight %}`: the code escaped in <pre><code>, as Rouge wraps it."""

    block = True
    end = "endhighlight"

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        lang = ""
        if stream.current.kind == TOKEN_EXPRESSION:
            lang = stream.current.value.split()[0]
            next(stream)
        block = get_parser(self.env).parse_block(stream, (self.end,))
        stream.expect(TOKEN_TAG, value=self.end)
        return _HighlightNode(token, lang, block)


class _HighlightNode(Node):
    def __init__(self, token: Token, lang: str, block: BlockNode) -> None:
        super().__init__(token)
        self.lang = lang
        self.block = block
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        code = io.StringIO()
        self.block.render(context, code)
        escaped = html.escape(code.getvalue().strip("\r\n"), quote=False)
        attributes = f' class="language-{self.lang.replace("+", "-")}" data-lang="{self.lang}"' if self.lang else ""
        return buffer.write(f'<figure class="highlight"><pre><code{attributes}>{escaped}</code></pre></figure>')


def tag_expression(stream: TokenStream) -> tuple[Token, Token | None]:
    """A tag's token and raw expression, leaving the stream on the tag's last token as the parser expects."""
    tag = stream.current
    if stream.peek.kind != TOKEN_EXPRESSION:
        return tag, None
    next(stream)
    return tag, stream.current


def _parse_parts(env: Environment, text: str, token: Token) -> list[str | Expression]:
    """A name that may embed `{{ expressions }}` (`{% include {{ page.x }}.html %}`); `text` starts `token`."""
    parts: list[str | Expression] = []
    position = 0
    for match in OUTPUT.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        inner = Token(TOKEN_EXPRESSION, match.group(1), token.start_index + match.start(1), token.source)
        parts.append(FilteredExpression.parse(env, TokenStream(tokenize(inner.value, inner))))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return parts


def _render_parts(parts: list[str | Expression], context: RenderContext) -> str:
    return "".join(part if isinstance(part, str) else as_text(part.evaluate(context)) for part in parts)


def _parse_params(env: Environment, tokens: TokenStream) -> dict[str, Expression] | None:
    """Jekyll's `key=value` include parameters, separated by spaces (or commas); None when there are none."""
    params: dict[str, Expression] = {}
    while tokens.current.kind != TOKEN_EOF:
        key = next(tokens)
        # Words tokenize as TOKEN_WORD, keywords (`limit`, `for`, …) as their own name: both are valid keys.
        if key.kind not in (TOKEN_WORD, key.value):
            raise liquid_errors.LiquidSyntaxError(f"expected a parameter name, found {key.value!r}", token=key)
        tokens.eat_one_of(TOKEN_ASSIGN, TOKEN_COLON)
        params[key.value] = parse_primitive(env, tokens)
        if tokens.current.kind == TOKEN_COMMA:
            next(tokens)
    return params or None


def _page_path(context: RenderContext) -> str:
    page = context.globals.get("page")
    return str(page.get("path", "")) if isinstance(page, Mapping) else ""


def line_of(token: Token | None) -> int | None:
    """The line a token starts on in its source; None for a token python-liquid did not place."""
    if token is None or token.start_index < 0:
        return None
    return token.source.count("\n", 0, token.start_index) + 1


def _inside(err: liquid_errors.LiquidError, what: str, token: Token) -> liquid_errors.LiquidError:
    """An error from inside an included file, re-pointed at the include tag and saying where inside it was."""
    if err.token is not None and err.token.source == token.source:
        return err
    line = line_of(err.token)
    return liquid_errors.LiquidError(f"in {what}{f', line {line}' if line else ''}: {err.message}", token=token)
