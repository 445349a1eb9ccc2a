"""What an external store's SPARQL dialect needs, so that the query files stay SPARQL 1.1.

`RemoteStore` sends every query through the dialect of the endpoint it found at start-up (by the
`Server` header): standard SPARQL 1.1 goes out unchanged; Virtuoso 7 gets the same query
rewritten where it departs from the standard:

- an aggregate in ORDER BY (`ORDER BY MIN(?offset)`, SP030 syntax error) is computed in the
  projection of the query wrapped as a sub-select and ordered on outside;
- GROUP_CONCAT without a separator (SR183) gets the standard's single space;
- a GROUP_CONCAT separator that is not ASCII comes back as "?": it is sent as an ASCII
  placeholder and put back in the answer;
- a regular-expression character class with letters that are not ASCII (`"[àáâ]"`) matches
  nothing: it is sent as the alternation `(?:à|á|â)`;
- a decimal bound to a parameter cannot be a group key that is sorted on (SR128): it goes as
  a double, which compares the same;
- DESCRIBE gives the concise bounded description, as Oxigraph does (Virtuoso adds incoming
  triples by default);
- a request with no named graphs gets an empty set of them (Virtuoso exposes all its graphs);
- ASK answered as a one-column table (`__ask_retval`) is read as the boolean it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyoxigraph as ox

from api.sparql_guard import Token, tokens
from api.stores import Rows

XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})
#: a graph no store holds: named so that "no named graphs" means none on every store
NO_GRAPH = "urn:x-emkg:no-named-graph"
_PLACEHOLDER = "@@emkg-separator-{}@@"


@dataclass
class Outgoing:
    """A query as it goes to the store, and how to mend the store's answer."""

    text: str
    replacements: dict[str, str] = field(default_factory=dict)

    def mend(self, body: bytes) -> bytes:
        """The answer with every placeholder back to the text it stands for (JSON-escaped:
        the same escapes as in N-Triples)."""
        for placeholder, original in self.replacements.items():
            escaped = json.dumps(original, ensure_ascii=False)[1:-1]
            body = body.replace(placeholder.encode(), escaped.encode("utf-8"))
        return body


class Dialect:
    """Standard SPARQL 1.1: queries and terms go out as they are."""

    name = "SPARQL 1.1"

    def prepare(self, sparql: str, form: str | None) -> Outgoing:
        return Outgoing(sparql)

    def term(self, term: ox.NamedNode | ox.Literal) -> str:
        return str(term)

    def named_graphs(self, named: tuple[str, ...]) -> tuple[str, ...]:
        return named


class Virtuoso(Dialect):
    """OpenLink Virtuoso 7 (the store behind the Publications Office's Cellar)."""

    name = "Virtuoso"

    def prepare(self, sparql: str, form: str | None) -> Outgoing:
        outgoing = Outgoing(sparql)
        outgoing.text = _group_concat(outgoing.text, outgoing.replacements)
        outgoing.text = _regex_classes(outgoing.text)
        outgoing.text = _order_by_aggregates(outgoing.text)
        if form == "describe":
            outgoing.text = 'define sql:describe-mode "CBD" ' + outgoing.text
        return outgoing

    def term(self, term: ox.NamedNode | ox.Literal) -> str:
        if isinstance(term, ox.Literal) and term.datatype.value == XSD_DECIMAL:
            return str(ox.Literal(term.value, datatype=ox.NamedNode(XSD_DOUBLE)))
        return str(term)

    def named_graphs(self, named: tuple[str, ...]) -> tuple[str, ...]:
        return named or (NO_GRAPH,)


def empty_concatenations_unbound(sparql: str, rows: Rows) -> Rows:
    """Rows with a GROUP_CONCAT over nothing unbound on every store: the standard says "", as
    Virtuoso gives, Oxigraph gives "" or leaves it unbound depending on the query's shape."""
    columns = set(concatenations(sparql)) & set(rows.columns)
    for row in rows:
        for column in columns:
            if row.get(column) == "":
                row[column] = None
    return rows


def concatenations(sparql: str) -> dict[str, str]:
    """The variables bound directly to a GROUP_CONCAT, `(GROUP_CONCAT(…) AS ?v)`, with their
    separators (SPARQL leaves the order of the parts open: stores differ there)."""
    try:
        stream = list(tokens(sparql))
        calls = _calls(stream, frozenset({"GROUP_CONCAT"}))
    except ValueError:
        return {}
    found = {}
    for name, closing in calls:
        alias = stream[closing + 2] if closing + 2 < len(stream) else None
        if not (
            stream[name - 1].text == "("
            and stream[closing + 1].text.upper() == "AS"
            and alias is not None
            and alias.kind == "var"
        ):
            continue
        separator = " "
        for index in range(name + 2, closing - 2):
            if stream[index].text == ";" and _depth(stream, name + 1, index) == 1:
                separator = _string_value(stream[index + 3]) or " "
        found[alias.text[1:]] = separator
    return found


def dialect_of(server: str) -> Dialect:
    """The dialect of an endpoint, from its HTTP `Server` header."""
    return Virtuoso() if "virtuoso" in server.lower() else Dialect()


def is_ask_table(variables: list[str]) -> bool:
    """An ASK answered as a table of one column `__ask_retval` (Virtuoso)."""
    return len(variables) == 1 and variables[0].lower() == "__ask_retval"


# ---------------------------------------------------------------- rewrites


def _calls(stream: list[Token], names: frozenset[str]) -> list[tuple[int, int]]:
    """(index of the name, index of its closing parenthesis) of every call of `names`."""
    found = []
    for index, token in enumerate(stream[:-1]):
        if token.kind == "word" and token.text.upper() in names and stream[index + 1].text == "(":
            found.append((index, _closing(stream, index + 1)))
    return found


def _closing(stream: list[Token], opening: int, pair: tuple[str, str] = ("(", ")")) -> int:
    depth = 0
    for index in range(opening, len(stream)):
        if stream[index].text == pair[0]:
            depth += 1
        elif stream[index].text == pair[1]:
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced brackets in the query")


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace the character ranges (start, end) by new text, last first."""
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _group_concat(text: str, replacements: dict[str, str]) -> str:
    try:
        stream = list(tokens(text))
        calls = _calls(stream, frozenset({"GROUP_CONCAT"}))
    except ValueError:
        return text
    edits: list[tuple[int, int, str]] = []
    for name, closing in calls:
        depth, separator = 0, None
        for index in range(name + 1, closing):
            token = stream[index]
            depth += token.text == "("
            depth -= token.text == ")"
            if token.text == ";" and depth == 1:
                separator = index + 3 if index + 3 < closing else None
        if separator is None:
            edits.append((stream[closing].start, stream[closing].start, '; separator=" "'))
            continue
        literal = stream[separator]
        value = _string_value(literal)
        if literal.kind == "string" and value is not None and not value.isascii():
            placeholder = _PLACEHOLDER.format(len(replacements))
            replacements[placeholder] = value
            edits.append((literal.start, literal.end, f'"{placeholder}"'))
    return _splice(text, edits)


def _string_value(token: Token) -> str | None:
    """The value of a short string literal without escapes; None for anything else."""
    text = token.text
    if token.kind != "string" or text[:3] in ('"""', "'''") or "\\" in text:
        return None
    return text[1:-1]


def _regex_classes(text: str) -> str:
    """REPLACE(x, "[àá]", "a") as REPLACE(REPLACE(x, "à", "a"), "á", "a"), innermost call first;
    a class elsewhere in a REPLACE or REGEX pattern as an alternation."""
    for _ in range(200):  # one call a round; a query has far fewer
        rewritten = _one_class(text)
        if rewritten is None:
            return text
        text = rewritten
    return text


def _one_class(text: str) -> str | None:
    try:
        stream = list(tokens(text))
        calls = _calls(stream, frozenset({"REPLACE", "REGEX"}))
    except ValueError:
        return None
    # innermost first: a call that holds no other call that will be rewritten
    for name, closing in sorted(calls, key=lambda call: call[1] - call[0]):
        commas = [
            index
            for index in range(name + 2, closing)
            if stream[index].text == "," and _depth(stream, name + 1, index) == 1
        ]
        if not commas:
            continue
        pattern = stream[commas[0] + 1]
        value = _string_value(pattern)
        if value is None or value.isascii():
            continue
        members = value[1:-1] if value.startswith("[") and value.endswith("]") else ""
        plain = members and "[" not in members and all(ch.isalnum() for ch in members)
        if stream[name].text.upper() == "REPLACE" and plain and len(commas) == 2:
            subject = text[stream[name + 2].start : stream[commas[0]].start].strip()
            replacement = text[stream[commas[1] + 1].start : stream[closing].start].strip()
            for member in dict.fromkeys(members):
                subject = f'REPLACE({subject}, "{member}", {replacement})'
            return text[: stream[name].start] + subject + text[stream[closing].end :]
        alternation = _alternations(value)
        if alternation != value:
            return text[: pattern.start] + f'"{alternation}"' + text[pattern.end :]
    return None


def _depth(stream: list[Token], opening: int, index: int) -> int:
    depth = 0
    for token in stream[opening:index]:
        depth += token.text == "("
        depth -= token.text == ")"
    return depth


def _alternations(pattern: str) -> str:
    """Each character class of plain letters with one that is not ASCII, as an alternation."""
    out, index = [], 0
    while index < len(pattern):
        if pattern[index] == "[":
            end = pattern.find("]", index + 1)
            members = pattern[index + 1 : end] if end > index else ""
            if members and all(ch.isalnum() for ch in members) and not members.isascii():
                out.append("(?:" + "|".join(dict.fromkeys(members)) + ")")
                index = end + 1
                continue
        out.append(pattern[index])
        index += 1
    return "".join(out)


def _order_by_aggregates(text: str) -> str:
    """`SELECT … ORDER BY MIN(?x) …` as `SELECT vars { { SELECT … (MIN(?x) AS ?o) … } }
    ORDER BY ?o …`: the aggregate is computed where the standard allows it everywhere."""
    try:
        return _wrap_ordering(text)
    except (ValueError, IndexError):
        return text


def _wrap_ordering(text: str) -> str:
    stream = list(tokens(text))
    select = next(
        (i for i, t in enumerate(stream) if t.kind == "word" and t.text.upper() == "SELECT"),
        None,
    )
    if select is None:
        return text
    order = _top_level_order_by(stream, select)
    if order is None:
        return text
    end = order + 2
    while end < len(stream) and not (
        stream[end].kind == "word" and stream[end].text.upper() in ("LIMIT", "OFFSET", "VALUES")
    ):
        end += 1
    conditions = _conditions(stream, order + 2, end)
    if not any(_has_aggregate(stream, a, b) for a, b, _ in conditions):
        return text
    projection_end, variables = _projection(stream, select)
    if projection_end is None or not variables:
        return text
    extra, ordering = [], []
    for number, (start, stop, direction) in enumerate(conditions):
        body = text[stream[start].start : stream[stop - 1].end]
        if not _has_aggregate(stream, start, stop):
            ordering.append(body)
            continue
        if direction:
            body = text[stream[start + 2].start : stream[stop - 2].end]
        alias = f"?_emkg_order{number}"
        extra.append(f"({body} AS {alias})")
        ordering.append(f"{direction}({alias})" if direction else alias)
    inner = (
        text[stream[select].start : stream[projection_end].start]
        + " ".join(extra)
        + " "
        + text[stream[projection_end].start : stream[order].start]
    )
    tail = text[stream[end].start :] if end < len(stream) else ""
    return (
        text[: stream[select].start]
        + f"SELECT {' '.join(variables)} WHERE {{ {{ {inner} }} }} ORDER BY {' '.join(ordering)} "
        + tail
    )


def _top_level_order_by(stream: list[Token], select: int) -> int | None:
    depth, found = 0, None
    for index in range(select, len(stream) - 1):
        token = stream[index]
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif (
            depth == 0
            and token.kind == "word"
            and token.text.upper() == "ORDER"
            and stream[index + 1].text.upper() == "BY"
        ):
            found = index
    return found


def _conditions(stream: list[Token], start: int, end: int) -> list[tuple[int, int, str]]:
    """(first token, token after the last, ASC/DESC or "") of each ORDER BY condition."""
    found, index = [], start
    while index < end:
        token = stream[index]
        direction = ""
        if token.kind == "word" and token.text.upper() in ("ASC", "DESC"):
            direction = token.text.upper()
            stop = _closing(stream, index + 1) + 1
        elif token.text == "(":
            stop = _closing(stream, index) + 1
        elif index + 1 < end and stream[index + 1].text == "(":
            stop = _closing(stream, index + 1) + 1
        else:
            stop = index + 1
        found.append((index, stop, direction))
        index = stop
    return found


def _has_aggregate(stream: list[Token], start: int, stop: int) -> bool:
    return any(t.kind == "word" and t.text.upper() in AGGREGATES for t in stream[start:stop])


def _projection(stream: list[Token], select: int) -> tuple[int | None, list[str]]:
    """Where the WHERE clause starts, and the projected variables (none for SELECT *)."""
    variables: list[str] = []
    index = select + 1
    while index < len(stream):
        token = stream[index]
        if token.text == "{" or (token.kind == "word" and token.text.upper() == "WHERE"):
            return index, variables
        if token.text == "*":
            return None, []
        if token.text == "(":
            closing = _closing(stream, index)
            variables.append(stream[closing - 1].text)
            index = closing + 1
            continue
        if token.kind == "var":
            variables.append(token.text)
        index += 1
    return None, []


__all__ = [
    "NO_GRAPH",
    "Dialect",
    "Outgoing",
    "Virtuoso",
    "concatenations",
    "dialect_of",
    "empty_concatenations_unbound",
    "is_ask_table",
]
