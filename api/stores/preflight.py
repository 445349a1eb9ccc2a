"""What both stores check and convert before a query leaves the server process."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import pyoxigraph as ox

from api.errors import ApiError, bad_parameter, bad_request
from api.sparql_guard import (
    QueryPlan,
    bind_values,
    dataset_clause,
    inspect_query,
    undeclared_prefixes,
)
from api.stores.encoding import GRAPH_FORMATS, RESULT_FORMATS

if TYPE_CHECKING:
    from api.settings import Settings
    from api.stores import BoundTerm, QueryForm

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)


def check_query(sparql: str, settings: Settings) -> QueryPlan:
    """The guard's verdict (raises 403/413), under this server's limits and allowlist."""
    return inspect_query(
        sparql, max_bytes=settings.max_query_bytes, allowlist=settings.service_allowlist
    )


def check_format(form: QueryForm | None, media_type: str) -> None:
    """406 when the media type cannot carry the answer of this query form."""
    if media_type not in RESULT_FORMATS and media_type not in GRAPH_FORMATS:
        raise ApiError(406, f"cannot answer in {media_type}", {"available": formats_for(form)})
    if form is None:
        return
    if media_type not in formats_for(form):
        raise ApiError(
            406,
            f"a {form.upper()} answer cannot be given as {media_type}",
            {"available": formats_for(form)},
        )


def formats_for(form: QueryForm | None) -> list[str]:
    """The media types an answer of this form can be written in, the default first."""
    if form in ("select", "ask"):
        return list(RESULT_FORMATS)
    if form in ("construct", "describe"):
        return list(GRAPH_FORMATS)
    return [*RESULT_FORMATS, *GRAPH_FORMATS]


def check_graph_iris(iris: Sequence[str], parameter: str) -> tuple[str, ...]:
    """422 unless every value is an absolute IRI."""
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise bad_parameter(f"{parameter} is not an absolute IRI", {"value": iri}) from exc
        if ":" not in iri:
            raise bad_parameter(f"{parameter} is not an absolute IRI", {"value": iri})
    return tuple(iris)


def request_dataset(
    sparql: str,
    default_graph_uris: Sequence[str],
    named_graph_uris: Sequence[str],
    graph_iri: str,
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The query without its FROM clauses, and the dataset it runs on, the same on every store.

    Every store holds the data in the named graph `graph_iri`. A request that names no graph
    reads it as its default graph, with itself as the one named graph; graphs named by the
    protocol's `default-graph-uri` / `named-graph-uri` (which win, as the protocol says) or by
    the query's FROM / FROM NAMED replace that dataset: `graph_iri` is the data, any other IRI a
    graph the store may hold (the embedded store holds no other).
    """
    clause = dataset_clause(sparql)
    if clause is not None:
        sparql = clause.query
    if default_graph_uris or named_graph_uris:
        return (
            sparql,
            check_graph_iris(default_graph_uris, "default-graph-uri"),
            check_graph_iris(named_graph_uris, "named-graph-uri"),
        )
    if clause is not None:
        return (
            sparql,
            check_graph_iris(clause.default_graphs, "FROM"),
            check_graph_iris(clause.named_graphs, "FROM NAMED"),
        )
    return sparql, (graph_iri,), (graph_iri,)


def oxigraph_terms(
    substitutions: Mapping[str, BoundTerm] | None,
) -> tuple[tuple[str, ox.NamedNode | ox.Literal], ...]:
    """Bound values as pyoxigraph terms (422 for anything but an IRI or a literal)."""
    if not substitutions:
        return ()
    return tuple((name, oxigraph_term(name, term)) for name, term in substitutions.items())


def bind_as_values(
    sparql: str,
    substitutions: Mapping[str, BoundTerm] | None,
    settings: Settings,
    render: Callable[[ox.NamedNode | ox.Literal], str] = str,
) -> tuple[str, QueryPlan]:
    """For an external endpoint: the bound values as a leading VALUES block, and the plan.

    On every canned query this answers as pyoxigraph's substitutions do (a test compares them
    on the built graph). Terms are validated by pyoxigraph and serialized, never pasted text.
    """
    plan = check_query(sparql, settings)
    if not substitutions:
        return sparql, plan
    terms = {name: render(term) for name, term in oxigraph_terms(substitutions)}
    try:
        text = bind_values(sparql, terms)
    except ValueError as exc:
        raise bad_parameter("cannot bind values in this query", str(exc)) from exc
    return text, check_query(text, settings)


def iri_term(name: str, iri: str) -> ox.NamedNode:
    """The IRI as a pyoxigraph term for `name`; 422 if it is not a valid IRI."""
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise bad_parameter(f"the value for {name} is not a valid RDF term", str(exc)) from exc


def oxigraph_term(name: str, term: object) -> ox.NamedNode | ox.Literal:
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term
    from rdflib.term import Literal, URIRef

    try:
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            return ox.Literal(str(term))
    except ValueError as exc:
        raise bad_parameter(f"the value for {name} is not a valid RDF term", str(exc)) from exc
    raise bad_parameter(f"the value for {name} must be an IRI or a literal", repr(term))


def syntax_error(message: str, sparql: str | None = None) -> ApiError:
    """400 for a query the parser refused, with the line and column when the parser gave them;
    a prefix used but not declared is named, with its declaration when it is a known one."""
    match = _POSITION.match(message.strip())
    if match is None:
        return bad_request("the query is not valid SPARQL", {"message": message})
    line, column, reason = match.groups()
    where = f"(line {line}, column {column})"
    detail: dict[str, object] = {
        "message": message,
        "line": int(line),
        "column": int(column),
        "expected": reason,
    }
    missing = undeclared_prefixes(sparql) if sparql and "Prefix not found" in reason else []
    if missing:
        from graph.prefixes import PREFIXES

        names = ", ".join(f"{name}:" for name in missing)
        known = [f"PREFIX {n}: <{PREFIXES[n]}>" for n in missing if n in PREFIXES]
        detail.update(undeclared=missing, declare=known)
        hint = f"; declare: {' '.join(known)}" if known else ""
        plural = "es" if len(missing) > 1 else ""
        return bad_request(
            f"the query uses the undeclared prefix{plural} {names} {where}{hint}", detail
        )
    return bad_request(f"the query is not valid SPARQL {where}", detail)
