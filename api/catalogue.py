"""The catalogue of canned queries: `queries/*.rq`, one query per file, named by its file.

Each file opens with `#+ ` comment lines that hold YAML (grlc's convention, so the file stays
valid SPARQL):

    #+ summary: What involves an entity
    #+ description: >
    #+   Longer text.
    #+ parameters:
    #+   entity:
    #+     type: iri
    #+     required: true
    #+     example: https://w3id.org/eu-migration-kg/id/agency/frontex
    #+     description: the entity to look for
    #+ tags: [entities]

A parameter `entity` is the variable `?_entity` in the query. Its value is checked against its
type and bound as an RDF term (`bind`): the embedded store hands the terms to pyoxigraph as
substitutions, an external endpoint gets them serialized in a VALUES block at the head of the
WHERE group (`api.sparql_guard.bind_values`). User text never becomes query text.

Stricter than grlc, a file is refused at load time, with its name, when its header is not
YAML, names an unknown key or type, lacks a summary, description or example, declares a
parameter the query does not use or uses a `?_variable` it does not declare. The query must
be a SELECT with an ORDER BY (stable pages) and no LIMIT/OFFSET of its own (paging is the
server's). A query must mean the same under both ways of binding. So every parameter is in
the SELECT projection, since pyoxigraph substitutes only projected variables (answers leave the
`_` columns out), and `BOUND(?_x)` is refused, since a substituted variable is never BOUND: an
optional parameter is tested with `FILTER(COALESCE(?x = ?_x, true))`, where the comparison
fails, and COALESCE keeps the row, when the parameter is not given. Parameters appear in the
top-level group, whose FILTERs see a VALUES block, or in triple patterns, which join with it.
Each file is finally run with its example values, bound both ways, on an empty store: that
catches syntax errors and unprojected parameters.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import pyoxigraph as ox
import yaml

from api.sparql_guard import bind_values, query_form, tokens
from graph.resources import data_dir

QUERIES_DIR = data_dir("api", "queries")

ParameterType = Literal["string", "integer", "decimal", "date", "iri", "commitment", "status"]
PARAMETER_TYPES: tuple[str, ...] = get_args(ParameterType)

#: the server's own query parameters, which a canned query cannot declare
RESERVED_NAMES = frozenset({"limit", "offset", "format"})
MAX_STRING = 200
MAX_IRI = 2000
COMMITMENTS = range(1, 16)
STATUSES = ("Completed", "Ongoing", "Planned")

EMK = "https://w3id.org/eu-migration-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_INTEGER = ox.NamedNode(XSD + "integer")
XSD_DECIMAL = ox.NamedNode(XSD + "decimal")
XSD_DATE = ox.NamedNode(XSD + "date")

HEADER_KEYS = frozenset({"summary", "description", "parameters", "tags"})
PARAMETER_KEYS = frozenset({"type", "required", "example", "description", "default"})
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_PARAMETER_NAME = re.compile(r"[a-z][a-zA-Z0-9]*")
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COMMITMENT = re.compile(r"[0-9]{1,2}")
#: characters an IRI parameter may not hold: RFC 3987 excludes them, and they are the ones that
#: would matter if a value ever reached query text
_IRI_FORBIDDEN = re.compile(r"[\s<>\"'{}|\\^`\x00-\x1f\x7f]")

Term = ox.NamedNode | ox.Literal


class CatalogueError(Exception):
    """A canned query file is unusable; the message starts with the file's name."""


class ParameterError(ValueError):
    """A parameter value was refused (HTTP 422): which parameter, and why."""

    def __init__(self, parameter: str, reason: str, value: str | None = None) -> None:
        super().__init__(f"parameter {parameter!r}: {reason}")
        self.parameter = parameter
        self.reason = reason
        self.value = value

    @property
    def detail(self) -> dict[str, str]:
        detail = {"parameter": self.parameter, "reason": self.reason}
        if self.value is not None:
            detail["value"] = self.value if len(self.value) <= 80 else self.value[:80] + "…"
        return detail


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: ParameterType
    required: bool
    example: str
    description: str
    default: str | None = None

    @property
    def variable(self) -> str:
        """The query variable that carries the value, without its `?`."""
        return "_" + self.name

    def term(self, raw: str) -> Term:
        """The value as an RDF term of this parameter's type; raises ParameterError."""
        checker = _CHECKERS[self.type]
        return checker(self.name, raw)

    def as_dict(self) -> dict[str, object]:
        described: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "example": self.example,
            "description": self.description,
        }
        if self.default is not None:
            described["default"] = self.default
        return described


@dataclass(frozen=True, slots=True)
class CannedQuery:
    name: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    tags: tuple[str, ...]
    sparql: str
    path: Path

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def example(self) -> dict[str, str]:
        """Values that run the query: every parameter's example."""
        return {p.name: p.example for p in self.parameters}

    def bind(self, raw: Mapping[str, str]) -> dict[str, Term]:
        """The checked values as RDF terms, keyed by query variable (`_entity`).

        Empty values count as not given; a parameter not given takes its default, if any.
        Raises ParameterError for an unknown parameter, a missing required one or a value
        its type refuses.
        """
        for name in raw:
            if self.parameter(name) is None:
                known = ", ".join(p.name for p in self.parameters) or "none"
                raise ParameterError(name, f"unknown parameter (this query takes: {known})")
        bound: dict[str, Term] = {}
        for parameter in self.parameters:
            value = raw.get(parameter.name, "")
            if value == "" and parameter.default is not None:
                value = parameter.default
            if value == "":
                if parameter.required:
                    raise ParameterError(parameter.name, "missing: this parameter is required")
                continue
            bound[parameter.variable] = parameter.term(value)
        return bound

    def bound_values(self, bound: Mapping[str, Term]) -> dict[str, str]:
        """The bound values as a client writes them, by parameter name (`status`: Planned)."""
        shown: dict[str, str] = {}
        for parameter in self.parameters:
            term = bound.get(parameter.variable)
            if term is not None:
                value = term.value
                shown[parameter.name] = (
                    value.removeprefix(EMK) if parameter.type == "status" else value
                )
        return shown

    def paged(self, limit: int, offset: int = 0) -> str:
        """The query with LIMIT and OFFSET appended: they follow its ORDER BY."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset cannot be negative")
        text = self.sparql.rstrip()
        return f"{text}\nLIMIT {limit}" + (f" OFFSET {offset}" if offset else "") + "\n"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "parameters": [p.as_dict() for p in self.parameters],
            "tags": list(self.tags),
        }


# ------------------------------------------------------------------- checking values


def _check_text(name: str, raw: str, limit: int) -> None:
    if len(raw) > limit:
        raise ParameterError(name, f"longer than {limit} characters", raw)
    for char in raw:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ParameterError(name, "contains a control character", raw)


def _string(name: str, raw: str) -> Term:
    _check_text(name, raw, MAX_STRING)
    return ox.Literal(raw)


def _integer(name: str, raw: str) -> Term:
    if not _INTEGER.fullmatch(raw):
        raise ParameterError(name, "not an integer", raw)
    return ox.Literal(str(int(raw)), datatype=XSD_INTEGER)


def _decimal(name: str, raw: str) -> Term:
    if not _DECIMAL.fullmatch(raw):
        raise ParameterError(name, "not a decimal number (digits, optionally a point)", raw)
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ParameterError(name, "not a decimal number", raw) from exc
    text = format(number, "f")
    if "." not in text:
        text += ".0"
    return ox.Literal(text, datatype=XSD_DECIMAL)


def _date(name: str, raw: str) -> Term:
    if not _DATE.fullmatch(raw):
        raise ParameterError(name, "not an ISO date (YYYY-MM-DD)", raw)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ParameterError(name, f"not a valid date: {exc}", raw) from exc
    return ox.Literal(day.isoformat(), datatype=XSD_DATE)


def _iri(name: str, raw: str) -> Term:
    _check_text(name, raw, MAX_IRI)
    if _IRI_FORBIDDEN.search(raw):
        raise ParameterError(
            name, "not an IRI: it contains a space, a quote, <, >, {, }, |, \\, ^ or `", raw
        )
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(
            name,
            "not an absolute http(s) IRI (the `search` query or GET /entities?q= finds one)",
            raw,
        )
    try:
        return ox.NamedNode(raw)
    except ValueError as exc:
        raise ParameterError(name, f"not an IRI: {exc}", raw) from exc


def _commitment(name: str, raw: str) -> Term:
    if not _COMMITMENT.fullmatch(raw) or int(raw) not in COMMITMENTS:
        raise ParameterError(name, "not a commitment number: give 1 to 15", raw)
    return ox.Literal(str(int(raw)))


def _status(name: str, raw: str) -> Term:
    local = raw.removeprefix(EMK)
    for status in STATUSES:
        if local.lower() == status.lower():
            return ox.NamedNode(EMK + status)
    raise ParameterError(name, f"not a status: give one of {', '.join(STATUSES)}", raw)


_CHECKERS = {
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "iri": _iri,
    "commitment": _commitment,
    "status": _status,
}


# ------------------------------------------------------------------- loading files


def load_catalogue(folder: Path = QUERIES_DIR) -> dict[str, CannedQuery]:
    """Every `*.rq` of the folder, checked, by name; raises CatalogueError for a bad one."""
    paths = sorted(folder.glob("*.rq"))
    if not paths:
        raise CatalogueError(f"{folder}: no canned queries (*.rq) found")
    return {query.name: query for query in map(load_query, paths)}


@lru_cache(maxsize=1)
def default_catalogue() -> dict[str, CannedQuery]:
    """The project's catalogue (`queries/`), loaded once per process."""
    return load_catalogue(QUERIES_DIR)


def load_query(path: Path) -> CannedQuery:
    """One canned query file, checked; raises CatalogueError naming the file."""
    try:
        return _load_query(path)
    except CatalogueError as exc:
        raise CatalogueError(f"{path.name}: {exc}") from None


def _load_query(path: Path) -> CannedQuery:
    name = path.stem
    if not _NAME.fullmatch(name):
        raise CatalogueError(
            "the file name must be lowercase words joined by '-' (e.g. due-after.rq)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read the file: {exc}") from exc
    header, sparql = _split_header(text)
    meta = _read_header(header)
    parameters = tuple(_read_parameter(key, spec) for key, spec in meta["parameters"].items())
    query = CannedQuery(
        name=name,
        summary=meta["summary"],
        description=meta["description"],
        parameters=parameters,
        tags=meta["tags"],
        sparql=sparql,
        path=path,
    )
    _check_body(query)
    _check_runs(query)
    return query


def _split_header(text: str) -> tuple[str, str]:
    """The YAML of the leading `#+` lines, and the query text after them."""
    lines = text.splitlines(keepends=True)
    header: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("#+"):
            header.append(line[3:] if line.startswith("#+ ") else line[2:])
            continue
        rest = lines[index:]
        if any(later.startswith("#+") for later in rest):
            raise CatalogueError("'#+' header lines must all come first, before the query")
        return "".join(header), "".join(rest)
    raise CatalogueError("the file holds a header but no query")


def _read_header(header: str) -> dict[str, Any]:
    if not header.strip():
        raise CatalogueError("no '#+' header: a summary and a description are required")
    try:
        meta = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"the '#+' header is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise CatalogueError("the '#+' header must be a YAML mapping")
    unknown = sorted(str(key) for key in set(meta) - HEADER_KEYS)
    if unknown:
        raise CatalogueError(f"unknown header key(s) {unknown}; allowed: {sorted(HEADER_KEYS)}")
    for key in ("summary", "description"):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(f"the header needs a non-empty `{key}`")
        meta[key] = " ".join(value.split())
    parameters = meta.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise CatalogueError("`parameters` must be a mapping of name to description")
    meta["parameters"] = parameters
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise CatalogueError("`tags` must be a list of words")
    meta["tags"] = tuple(tags)
    return meta


def _read_parameter(name: object, spec: object) -> Parameter:
    if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
        raise CatalogueError(f"parameter name {name!r} must be a word of letters and digits")
    if name in RESERVED_NAMES:
        raise CatalogueError(f"parameter name {name!r} is reserved for paging and formats")
    if not isinstance(spec, dict):
        raise CatalogueError(f"parameter {name!r} must be a mapping (type, required, …)")
    unknown = sorted(str(key) for key in set(spec) - PARAMETER_KEYS)
    if unknown:
        raise CatalogueError(f"parameter {name!r}: unknown key(s) {unknown}")
    kind = spec.get("type")
    if kind not in PARAMETER_TYPES:
        raise CatalogueError(
            f"parameter {name!r}: type {kind!r} is not one of {', '.join(PARAMETER_TYPES)}"
        )
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise CatalogueError(f"parameter {name!r}: `required` must be true or false")
    description = spec.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CatalogueError(f"parameter {name!r} needs a description")
    example = _scalar(name, "example", spec.get("example"))
    if example is None:
        raise CatalogueError(f"parameter {name!r} needs an example")
    default = _scalar(name, "default", spec.get("default"))
    if default is not None and required:
        raise CatalogueError(f"parameter {name!r} is required, so it cannot have a default")
    parameter = Parameter(name, kind, required, example, " ".join(description.split()), default)
    for role, value in (("example", example), ("default", default)):
        if value is None:
            continue
        try:
            parameter.term(value)
        except ParameterError as exc:
            raise CatalogueError(
                f"parameter {name!r}: the {role} is refused: {exc.reason}"
            ) from exc
    return parameter


def _scalar(name: str, key: str, value: object) -> str | None:
    """A YAML scalar as the text a client would send (YAML reads `2` and 2023-03-01 as such)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CatalogueError(f"parameter {name!r}: `{key}` must be text, not true/false")
    if isinstance(value, str | int | float | Decimal | dt.date):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    raise CatalogueError(f"parameter {name!r}: `{key}` must be a single value")


def _check_body(query: CannedQuery) -> None:
    if query_form(query.sparql) != "select":
        raise CatalogueError("a canned query must be a SELECT")
    stream = list(tokens(query.sparql))
    words = [t.text.upper() for t in stream if t.kind == "word"]
    for keyword in ("LIMIT", "OFFSET"):
        if keyword in words:
            raise CatalogueError(f"remove {keyword}: the server pages the answers")
    if not any(a == "ORDER" and b == "BY" for a, b in itertools.pairwise(words)):
        raise CatalogueError("add an ORDER BY, so that pages and repeated runs agree")
    used = {t.text[1:] for t in stream if t.kind == "var" and t.text[1:].startswith("_")}
    declared = {p.variable for p in query.parameters}
    undeclared = sorted(used - declared)
    if undeclared:
        raise CatalogueError(
            f"the query uses {', '.join('?' + v for v in undeclared)} but the header does not "
            "declare the parameter(s)"
        )
    unused = sorted(declared - used)
    if unused:
        raise CatalogueError(
            f"the header declares parameter(s) {', '.join(v[1:] for v in unused)} that the "
            "query does not use (as ?_name)"
        )
    for first, second, third in zip(stream, stream[1:], stream[2:], strict=False):
        if (
            first.kind == "word"
            and first.text.upper() == "BOUND"
            and second.text == "("
            and third.text[1:] in declared
        ):
            raise CatalogueError(
                f"BOUND({third.text}) is always false once the value is substituted; test an "
                f"optional parameter with COALESCE(<comparison with {third.text}>, true)"
            )


def _check_runs(query: CannedQuery) -> None:
    """Run the query with its examples on an empty store, bound both ways a store may bind."""
    try:
        bound = query.bind(query.example)
    except ParameterError as exc:  # pragma: no cover - _read_parameter checked each example
        raise CatalogueError(str(exc)) from exc
    try:
        _run(query.sparql, substitutions=bound)
        if bound:
            _run(bind_values(query.sparql, {name: str(term) for name, term in bound.items()}))
    except SyntaxError as exc:
        raise CatalogueError(f"the query is not valid SPARQL: {exc}") from exc
    except (RuntimeError, ValueError, OSError) as exc:
        raise CatalogueError(
            f"the query cannot run with its example values: {exc} (a parameter's variable must "
            "be in the SELECT projection, and the WHERE clause must be a group)"
        ) from exc


def _run(sparql: str, substitutions: Mapping[str, Term] | None = None) -> None:
    terms: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(name): term for name, term in (substitutions or {}).items()
    }
    solutions = ox.Store().query(sparql, substitutions=terms or None)
    if isinstance(solutions, ox.QuerySolutions):
        for _ in solutions:  # the answer is lazy: reading it runs the query
            pass


__all__ = [
    "PARAMETER_TYPES",
    "QUERIES_DIR",
    "CannedQuery",
    "CatalogueError",
    "Parameter",
    "ParameterError",
    "default_catalogue",
    "load_catalogue",
    "load_query",
]
