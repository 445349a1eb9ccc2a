"""Serialize query answers with a cap, in pyoxigraph's own (Rust) serializers.

The cap stops the query, not just the output: solutions are written as TSV and triples as
N-Triples (one per line in both) into a buffer that raises once it holds one line too many;
pyoxigraph evaluates lazily, so the query stops there too. The capped lines are then re-read and
written in the requested format, which keeps every format's escaping pyoxigraph's.

Runs inside query worker processes (embedded store) and in threads (remote store).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, NamedTuple

import pyoxigraph as ox

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    # a CONSTRUCT's triples as the default graph of a dataset
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
BOOLEAN_FORMATS = ("application/sparql-results+json", "application/sparql-results+xml")

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = frozenset(
    _XSD + name
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)


class Encoded(NamedTuple):
    body: bytes
    rows: int | None
    truncated: bool


class _CapReachedError(Exception):
    """Raised from inside pyoxigraph's serializer to stop the query at the cap."""


class _LineCappedBuffer(io.BytesIO):
    """A binary sink that refuses to take more than `max_lines` complete lines."""

    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.lines = 0

    def write(self, buffer: ReadableBuffer, /) -> int:
        chunk = bytes(buffer)
        written = super().write(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.max_lines:
            raise _CapReachedError
        return written

    def head(self) -> bytes:
        """The first `max_lines` lines."""
        data = self.getvalue()
        if self.lines <= self.max_lines:
            return data
        end = -1
        for _ in range(self.max_lines):
            end = data.index(b"\n", end + 1)
        return data[: end + 1]


def encode_solutions(solutions: ox.QuerySolutions, media_type: str, cap: int) -> Encoded:
    """At most `cap` solutions in a SPARQL results format; JSON says `"truncated": true` first."""
    tsv, truncated = capped_tsv(solutions, cap)
    rows = tsv.count(b"\n") - 1
    return Encoded(tsv_as(tsv, media_type, truncated), rows, truncated)


def capped_tsv(solutions: ox.QuerySolutions, cap: int) -> tuple[bytes, bool]:
    """At most `cap` solutions as TSV, and whether there were more: this is where pyoxigraph
    evaluates the query (lazily), and where the cap stops it."""
    sink = _LineCappedBuffer(cap + 1)  # the header line, then one line per solution
    truncated = False
    try:
        solutions.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except _CapReachedError:
        truncated = True
    return sink.head(), truncated


def tsv_as(tsv: bytes, media_type: str, truncated: bool) -> bytes:
    """Capped TSV solutions written in a SPARQL results format."""
    target = RESULT_FORMATS[media_type]
    if target == ox.QueryResultsFormat.TSV:
        return tsv
    reread = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    assert isinstance(reread, ox.QuerySolutions)
    body = _bytes(reread.serialize(format=target))
    if truncated and target == ox.QueryResultsFormat.JSON:
        # first, so that streaming parsers (Oxigraph's among them) still accept the document
        body = b'{"truncated":true,' + body[1:]
    return body


def encode_boolean(answer: ox.QueryBoolean, media_type: str) -> Encoded:
    return Encoded(_bytes(answer.serialize(format=RESULT_FORMATS[media_type])), None, False)


def encode_triples(
    triples: ox.QueryTriples | Iterable[ox.Quad],
    media_type: str,
    cap: int,
    prefixes: Mapping[str, str] | None = None,
) -> Encoded:
    """At most `cap` triples in an RDF format (Turtle written with `prefixes`)."""
    ntriples, truncated = capped_ntriples(triples, cap)
    rows = ntriples.count(b"\n")
    return Encoded(ntriples_as(ntriples, media_type, prefixes), rows, truncated)


def capped_ntriples(triples: ox.QueryTriples | Iterable[ox.Quad], cap: int) -> tuple[bytes, bool]:
    """At most `cap` triples as N-Triples (evaluating the query), and whether there were more."""
    sink = _LineCappedBuffer(cap)
    truncated = False
    try:
        if isinstance(triples, ox.QueryTriples):
            triples.serialize(sink, format=ox.RdfFormat.N_TRIPLES)
        else:
            ox.serialize(triples, sink, format=ox.RdfFormat.N_TRIPLES)
    except _CapReachedError:
        truncated = True
    return sink.head(), truncated


def ntriples_as(ntriples: bytes, media_type: str, prefixes: Mapping[str, str] | None) -> bytes:
    """Capped N-Triples written in an RDF format (Turtle with the prefixes it uses)."""
    target = GRAPH_FORMATS[media_type]
    if target == ox.RdfFormat.N_TRIPLES:
        return ntriples
    # triples as quads of the default graph; a dataset format asks for quads
    reread = [
        ox.Quad(t.subject, t.predicate, t.object)
        for t in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    ]
    wanted = None
    if target in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) and prefixes:
        wanted = {name: iri for name, iri in prefixes.items() if iri.encode() in ntriples}
    return _bytes(ox.serialize(reread, format=target, prefixes=wanted))


def _bytes(serialized: bytes | None) -> bytes:
    assert serialized is not None, "pyoxigraph returns bytes when given no output"
    return serialized


def solution_rows(
    solutions: ox.QuerySolutions, cap: int
) -> tuple[list[str], list[dict[str, object]], bool]:
    """Columns, at most `cap` rows of Python values, and whether more solutions existed."""
    columns = [variable.value for variable in solutions.variables]
    rows: list[dict[str, object]] = []
    for solution in solutions:
        if len(rows) == cap:
            return columns, rows, True
        rows.append({name: python_value(solution[name]) for name in columns})
    return columns, rows, False


def python_value(term: object) -> object:
    """An RDF term as a Python value: IRIs as str, typed literals as int, Decimal, date, …"""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if not isinstance(term, ox.Literal):
        return str(term)
    datatype = term.datatype.value
    text = term.value
    try:
        if datatype in _INTEGERS:
            return int(text)
        if datatype == _XSD + "decimal":
            return Decimal(text)
        if datatype in (_XSD + "double", _XSD + "float"):
            return float(text)
        if datatype == _XSD + "boolean":
            return text in ("true", "1")
        if datatype == _XSD + "date" and len(text) == 10:
            return dt.date.fromisoformat(text)
        if datatype == _XSD + "dateTime":
            return dt.datetime.fromisoformat(text)
    except (ValueError, InvalidOperation):
        return text
    return text
