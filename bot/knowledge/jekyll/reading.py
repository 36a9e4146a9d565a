"""Front matter, `_data` files and `_config.yml` as Jekyll reads them (YAML, JSON, CSV, TSV), within bounds:
a site's data is a few hundred kilobytes of lists, and a file that is more is refused, not rendered."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import yaml

DATA_SUFFIXES = {".yml", ".yaml", ".json", ".csv", ".tsv"}
MAX_DATA_BYTES = 5_000_000  # a `_data` file or `_config.yml`; the largest real one seen is under 1 MB
MAX_YAML_VALUES = 1_000_000  # values of one YAML document once its aliases are written out
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?\n?)^(?:---|\.\.\.)\s*$\n?", re.S | re.M)


def bounded_read(path: Path) -> bytes:
    """A data or configuration file's bytes; a ValueError for one larger than MAX_DATA_BYTES, read no
    further than that: a site's data is a few hundred kilobytes, not the 50 MB that stall a render."""
    with path.open("rb") as file:
        raw = file.read(MAX_DATA_BYTES + 1)
    if len(raw) > MAX_DATA_BYTES:
        raise ValueError(f"larger than {MAX_DATA_BYTES:,} bytes; not read (a data file holds a site's lists, "
                         "not bulk data)")
    return raw


def decode(raw: bytes) -> str:
    """A file's text (without a BOM); a ValueError naming the first line that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ValueError(f"line {line}: not UTF-8 text") from err


def parse_yaml(text: str, first_line: int = 1) -> object:
    """Parsed YAML; a ValueError 'line N: problem' where the parser gave up, counted from `first_line`, or
    where aliases would expand into more values than any site's data holds (a "billion laughs": nine
    lines that a template printing them turns into gigabytes)."""
    try:
        if "*" in text:  # aliases are shared when loaded, but copied out by every template that prints them
            _within_expansion(yaml.compose(text, Loader=yaml.SafeLoader))
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = " ".join(filter(None, [getattr(err, "context", None), getattr(err, "problem", None)])) or str(err)
        raise ValueError(f"line {mark.line + first_line}: {problem}" if mark else problem) from err


def _within_expansion(root: yaml.Node | None) -> None:
    """Raise a MarkedYAMLError when the document, its aliases written out, holds more than MAX_YAML_VALUES
    values. Each node is counted once, however many aliases point at it: linear in the document."""
    expanded: dict[int, int] = {}
    order, todo = [], [root] if root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in expanded:
            continue
        expanded[id(node)] = 0
        order.append(node)
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend(part for pair in node.value for part in pair)
    for node in reversed(order):  # a child was first seen after its first parent: counted before it
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else [])
        expanded[id(node)] = 1 + sum(expanded[id(child)] for child in children)
        if expanded[id(node)] > MAX_YAML_VALUES:
            raise yaml.MarkedYAMLError(problem=f"its aliases expand to more than {MAX_YAML_VALUES:,} values",
                                       problem_mark=node.start_mark)


def split_front_matter(text: str) -> tuple[dict, str] | None:
    """Jekyll's split of a file into front matter and body; None when the file has no front matter."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return None
    data = parse_yaml(match.group(1), first_line=2)
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def read_data_file(path: Path) -> object:
    """One `_data` file as Jekyll reads it: CSV and TSV become lists of rows keyed by the header."""
    text = decode(bounded_read(path))
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"line {err.lineno}: {err.msg}") from err
    if suffix in (".csv", ".tsv"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",", strict=True)
        try:
            header, *rows = list(reader) or [[]]
        except csv.Error as err:
            raise ValueError(f"line {reader.line_num}: {err}") from err
        return [dict(zip(header, row, strict=False)) for row in rows if row]
    return parse_yaml(text)


def data_key(name: str) -> str:
    """Jekyll's sanitized data name: punctuation dropped, spaces to underscores."""
    return re.sub(r"\s+", "_", re.sub(r"[^\w\s-]+", "", name).strip())
