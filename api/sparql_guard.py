"""What a query may do here, decided before it runs: read-only, allowlisted SERVICE, bounded size.

`inspect_query` is called by every store before it runs anything, so no route can bypass it:

- SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) is refused with 403;
- `SERVICE <iri>` must name an endpoint in the allowlist, `SERVICE ?var` is always refused;
- a query longer than the byte limit is refused with 413.

A small tokenizer (strings, IRIs, comments and prefixed names kept whole) finds the query form
after the prologue. Only a query whose text mentions "service" pays for a full parse: rdflib's
SPARQL parser and algebra resolve the endpoint IRIs (prefixes, BASE); the tokenizer's own scan
is added to rdflib's answer, so a query rdflib cannot parse is still checked. Codepoint escapes
(`\\u0053ERVICE`) are undone before both checks.

`bind_values` puts a `VALUES` block of already-serialized terms at the start of the query's
WHERE group: the way bound parameters reach an external endpoint without pasting user text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple
from urllib.parse import urljoin

from api.errors import forbidden, too_large

log = logging.getLogger("emkg.guard")

QueryForm = Literal["select", "construct", "describe", "ask"]

QUERY_FORMS: dict[str, QueryForm] = {
    "SELECT": "select",
    "CONSTRUCT": "construct",
    "DESCRIBE": "describe",
    "ASK": "ask",
}
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>\"\"\"(?:\\.|[^\\])*?\"\"\"
               | '''(?:\\.|[^\\])*?'''
               | "(?:\\.|[^"\\\r\n])*"
               | '(?:\\.|[^'\\\r\n])*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:[\w\-:%\\]|\.(?=[\w\-:%\\]))*)
    | (?P<word>[^\W\d]\w*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """What the guard learned: the query form (None if it cannot tell) and the SERVICE IRIs."""

    form: QueryForm | None
    services: frozenset[str] = frozenset()


def tokens(text: str, start: int = 0) -> Iterator[Token]:
    """The significant tokens of a SPARQL text (from `start`): whitespace and comments dropped."""
    for match in _TOKEN.finditer(text, start):
        kind = match.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            yield Token(kind, match.group(), match.start(), match.end())


@dataclass(slots=True)
class _Prologue:
    base: str | None
    prefixes: dict[str, str]
    first: Token | None  # the first token after BASE and PREFIX declarations


def _read_prologue(stream: Iterator[Token]) -> _Prologue:
    base: str | None = None
    prefixes: dict[str, str] = {}
    for token in stream:
        keyword = token.text.upper() if token.kind == "word" else ""
        if keyword == "BASE":
            iri = next(stream, None)
            if iri is None or iri.kind != "iri":
                return _Prologue(base, prefixes, iri)
            base = _resolve(base, iri.text[1:-1])
        elif keyword == "PREFIX":
            name, iri = next(stream, None), next(stream, None)
            if name is None or name.kind != "pname" or iri is None or iri.kind != "iri":
                return _Prologue(base, prefixes, iri)
            prefixes[name.text.split(":", 1)[0]] = _resolve(base, iri.text[1:-1])
        else:
            return _Prologue(base, prefixes, token)
    return _Prologue(base, prefixes, None)


def _resolve(base: str | None, iri: str) -> str:
    return urljoin(base, iri) if base else iri


# The prologue's well-formed BASE and PREFIX declarations in one regular expression, token for
# token as `_read_prologue` reads them (the same token patterns; a keyword is a whole word that
# the tokenizer would not read as a prefixed name). Possessive, so it never backtracks far.
_SKIP = r"(?:\s++|\#[^\r\n]*+)*+"
_KEYWORD_END = r"(?![\w.\-]*:)(?!\w)"
_IRI = r"<[^<>\"{}|^`\\\x00-\x20]*+>"
_PNAME = r"(?:[^\W\d_][\w.\-]*+)?:(?:[\w\-:%\\]|\.(?=[\w\-:%\\]))*+"
_DECLARATIONS = re.compile(
    rf"(?:{_SKIP}(?:[Bb][Aa][Ss][Ee]{_KEYWORD_END}{_SKIP}{_IRI}"
    rf"|[Pp][Rr][Ee][Ff][Ii][Xx]{_KEYWORD_END}{_SKIP}{_PNAME}{_SKIP}{_IRI}))*"
)


def first_token(text: str) -> Token | None:
    """The first token after the prologue: `_read_prologue(tokens(text)).first`, without
    stepping through every declaration in Python when they are well formed."""
    match = _DECLARATIONS.match(text)
    first = next(tokens(text, match.end() if match else 0), None)
    if first is not None and first.kind == "word" and first.text.upper() in ("BASE", "PREFIX"):
        return _read_prologue(tokens(text)).first  # a declaration the expression did not take
    return first


def undeclared_prefixes(text: str) -> list[str]:
    """The prefixes of the query's prefixed names that its prologue does not declare."""
    stream = tokens(text)
    prologue = _read_prologue(stream)
    rest = [prologue.first, *stream] if prologue.first is not None else []
    missing: list[str] = []
    for token in rest:
        if token is not None and token.kind == "pname":
            prefix = token.text.split(":", 1)[0]
            if prefix not in prologue.prefixes and prefix not in missing:
                missing.append(prefix)
    return missing


def query_form(text: str) -> QueryForm | None:
    """SELECT/CONSTRUCT/DESCRIBE/ASK from the first keyword after the prologue, or None."""
    return _form_of(first_token(text))


def _form_of(first: Token | None) -> QueryForm | None:
    if first is None or first.kind != "word":
        return None
    return QUERY_FORMS.get(first.text.upper())


def _is_update(first: Token | None) -> bool:
    return first is not None and first.kind == "word" and first.text.upper() in UPDATE_KEYWORDS


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


_DYNAMIC = "?"  # stands for a SERVICE whose endpoint is a variable
_UNRESOLVED = "?unresolved"  # a prefixed name whose prefix is not declared


def _services_by_tokens(text: str) -> set[str]:
    stream = tokens(text)
    prologue = _read_prologue(stream)
    found: set[str] = set()
    for token in stream:
        if token.kind != "word" or token.text.upper() != "SERVICE":
            continue
        target = next(stream, None)
        if target is not None and target.kind == "word" and target.text.upper() == "SILENT":
            target = next(stream, None)
        if target is None:
            break
        if target.kind == "iri":
            found.add(_resolve(prologue.base, target.text[1:-1]))
        elif target.kind == "var":
            found.add(_DYNAMIC)
        elif target.kind == "pname":
            prefix, local = target.text.split(":", 1)
            namespace = prologue.prefixes.get(prefix)
            found.add(_UNRESOLVED if namespace is None else namespace + local.replace("\\", ""))
    return found


def _services_by_rdflib(text: str) -> set[str] | None:
    """The SERVICE endpoints rdflib's algebra sees, or None when rdflib cannot parse the text."""
    from rdflib.plugins.sparql.algebra import translateQuery, traverse
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    try:
        algebra = translateQuery(parseQuery(text)).algebra
    except Exception as exc:  # rdflib's grammar is narrower than Oxigraph's
        log.debug("rdflib cannot parse a query naming SERVICE (%s); using the tokenizer", exc)
        return None
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            term = node.get("term")
            found.add(str(term) if isinstance(term, URIRef) else _DYNAMIC)

    traverse(algebra, visitPre=visit)
    return found


def _check_services(text: str, allowlist: Collection[str]) -> frozenset[str]:
    if "service" not in text.lower():
        return frozenset()
    found = _services_by_tokens(text) | (_services_by_rdflib(text) or set())
    if _DYNAMIC in found:
        raise forbidden("SERVICE with a variable endpoint is not allowed")
    if _UNRESOLVED in found:
        raise forbidden("SERVICE names an endpoint with an undeclared prefix")
    refused = sorted(found.difference(allowlist))
    if refused:
        raise forbidden(
            "SERVICE endpoint not in the allowlist",
            {"refused": refused, "allowed": sorted(allowlist)},
        )
    return frozenset(found)


def inspect_query(sparql: str, *, max_bytes: int, allowlist: Collection[str] = ()) -> QueryPlan:
    """The plan of a query this server may run; raises ApiError (403, 413) for one it may not."""
    if len(sparql) > max_bytes or len(sparql.encode("utf-8", "surrogatepass")) > max_bytes:
        raise too_large(max_bytes)
    return _inspect(sparql, tuple(sorted(allowlist)))


@lru_cache(maxsize=256)
def _inspect(sparql: str, allowlist: tuple[str, ...]) -> QueryPlan:
    texts = [sparql]
    if "\\u" in sparql or "\\U" in sparql:
        texts.append(_unescape(sparql))
    firsts = [first_token(text) for text in texts]
    if any(_is_update(first) for first in firsts):
        raise forbidden(
            "SPARQL Update is not allowed: this endpoint is read-only",
            "INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY and WITH are refused",
        )
    services: frozenset[str] = frozenset()
    for text in texts:
        services |= _check_services(text, allowlist)
    form = next((found for first in firsts if (found := _form_of(first))), None)
    return QueryPlan(form, services)


def bind_values(sparql: str, bindings: Mapping[str, str]) -> str:
    """The query with `VALUES (?a …) { (term …) }` first in its WHERE group.

    `bindings` maps variable names to terms already serialized in SPARQL syntax (e.g. by
    rdflib's `n3()`). A WHERE group that is a sub-select gets wrapped, since VALUES cannot
    share a group with SELECT. Raises ValueError when the query has no WHERE group to bind in.
    """
    if not bindings:
        return sparql
    return bind_table(sparql, list(bindings), [list(bindings.values())])


def bind_table(sparql: str, names: Sequence[str], rows: Sequence[Sequence[str | None]]) -> str:
    """The query with `VALUES (?a …) { (term …) … }` first in its WHERE group, one row per
    entry of `rows` (terms serialized in SPARQL syntax, None for UNDEF), as `bind_values`."""
    for name in names:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
    for row in rows:
        if len(row) != len(names):
            raise ValueError(f"a VALUES row needs {len(names)} terms, not {len(row)}")
    heading = " ".join(f"?{name}" for name in names)
    lines = " ".join(
        "(" + " ".join("UNDEF" if term is None else term for term in row) + ")" for row in rows
    )
    block = f" VALUES ({heading}) {{ {lines} }} "

    opening, closing, subselect = _where_group(sparql)
    head, body, tail = sparql[: opening + 1], sparql[opening + 1 : closing], sparql[closing:]
    if subselect:
        return f"{head}{block}{{ {body} }}{tail}"
    return f"{head}{block}{body}{tail}"


@dataclass(frozen=True, slots=True)
class DatasetClause:
    """A query's FROM and FROM NAMED graphs, and the query without them."""

    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


def dataset_clause(sparql: str) -> DatasetClause | None:
    """The FROM / FROM NAMED clauses of a query (IRIs resolved), or None when it has none.

    They stand between the query form and the WHERE group's brace: tokens are read up to that
    brace only (past a CONSTRUCT template), not through the whole query, and the prologue's
    declarations are read one by one only when a FROM is there to resolve."""
    if not _has_from(sparql):
        return None
    stream = tokens(sparql)
    prologue = _read_prologue(stream)
    rest: list[Token] = [] if prologue.first is None else [prologue.first]

    def have(index: int) -> bool:
        while len(rest) <= index:
            token = next(stream, None)
            if token is None:
                return False
            rest.append(token)
        return True

    defaults: list[str] = []
    named: list[str] = []
    cuts: list[tuple[int, int]] = []
    index = 0
    while have(index):
        token = rest[index]
        if token.text == "{":
            if index != 1 or rest[0].text.upper() != "CONSTRUCT":
                break
            rest.extend(stream)  # a CONSTRUCT template comes first: find its closing brace
            index = _matching_brace(rest, index) + 1
            continue
        if token.kind == "word" and token.text.upper() == "FROM":
            is_named = have(index + 1) and rest[index + 1].text.upper() == "NAMED"
            if not have(index + (2 if is_named else 1)):
                return None  # FROM at the end: the store's parser says what is wrong
            graph = rest[index + 2] if is_named else rest[index + 1]
            if graph.kind == "iri":
                iri = _resolve(prologue.base, _unescape(graph.text[1:-1]))
            elif graph.kind == "pname":
                prefix, _, local = graph.text.partition(":")
                iri = prologue.prefixes.get(prefix, "") + local
            else:
                return None
            (named if is_named else defaults).append(iri)
            cuts.append((token.start, graph.end))
            index += 3 if is_named else 2
            continue
        index += 1
    if not cuts:
        return None
    text = sparql
    for start, end in reversed(cuts):
        text = text[:start] + text[end:]
    return DatasetClause(text, tuple(defaults), tuple(named))


def _has_from(sparql: str) -> bool:
    """Whether a FROM stands before the WHERE group (True too when the prologue is not the
    plain kind the one-expression reading takes, so that the full reading decides)."""
    stream = tokens(sparql, _prologue_end(sparql))
    first = next(stream, None)
    if first is None:
        return False
    if first.kind == "word" and first.text.upper() in ("BASE", "PREFIX", "FROM"):
        return True
    depth = 0
    template = first.kind == "word" and first.text.upper() == "CONSTRUCT"
    for index, token in enumerate(stream, start=1):
        if token.text == "{":
            if not (template and index == 1) and depth == 0:
                return False
            depth += 1
        elif token.text == "}" and depth:
            depth -= 1
            if depth == 0:
                template = False  # the template is done: the next brace is the WHERE group's
        elif depth == 0 and token.kind == "word" and token.text.upper() == "FROM":
            return True
    return False


def _prologue_end(text: str) -> int:
    match = _DECLARATIONS.match(text)
    return match.end() if match else 0


def with_base(sparql: str, base: str) -> str:
    """The query with `BASE <base>` first, unless its prologue declares a BASE."""
    for token in tokens(sparql):
        if token.kind == "word" and token.text.upper() == "BASE":
            return sparql
        if token.kind == "word" and token.text.upper() != "PREFIX":
            break
    return f"BASE <{base}>\n{sparql}"


def _where_group(sparql: str) -> tuple[int, int, bool]:
    """Offsets of the WHERE group's braces, and whether it holds a sub-select."""
    stream = tokens(sparql)
    first = _read_prologue(stream).first
    form = first.text.upper() if first is not None and first.kind == "word" else ""
    if form not in QUERY_FORMS:
        raise ValueError("cannot bind variables: not a SPARQL query")
    rest = list(stream)
    start = 0
    if form == "CONSTRUCT":
        if rest and rest[0].kind == "word" and rest[0].text.upper() == "WHERE":
            raise ValueError("cannot bind variables in CONSTRUCT WHERE { … }; name a template")
        start = _matching_brace(rest, 0) + 1 if rest and rest[0].text == "{" else 0
    for index in range(start, len(rest)):
        if rest[index].text == "{":
            end = _matching_brace(rest, index)
            inner = rest[index + 1] if index + 1 < len(rest) else None
            subselect = (
                inner is not None and inner.kind == "word" and inner.text.upper() == "SELECT"
            )
            return rest[index].start, rest[end].start, subselect
    raise ValueError("cannot bind variables: the query has no WHERE group")


def _matching_brace(stream: list[Token], opening: int) -> int:
    depth = 0
    for index in range(opening, len(stream)):
        if stream[index].text == "{":
            depth += 1
        elif stream[index].text == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced braces in the query")


__all__ = [
    "QUERY_FORMS",
    "UPDATE_KEYWORDS",
    "DatasetClause",
    "QueryForm",
    "QueryPlan",
    "bind_table",
    "bind_values",
    "dataset_clause",
    "first_token",
    "inspect_query",
    "query_form",
    "tokens",
    "undeclared_prefixes",
    "with_base",
]
