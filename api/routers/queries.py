"""/queries: the catalogue of canned queries, and running one with checked parameters.

`GET /queries` lists every query of `queries/*.rq` (see `api.catalogue`) with a link that runs
it on its examples: JSON for programs, a page with a form per query for browsers (an Accept
that prefers `text/html`, or `format=html`). `GET /queries/{name}?param=…` binds the parameters as RDF terms and answers
JSON `{"query", "parameters", "columns", "rows", "count", "total", "limit", "offset"}` by
default, CSV for `Accept: text/csv`, SPARQL JSON for `Accept: application/sparql-results+json`
(or `format=json|csv|sparql`), and for a browser a page with the query's form and the answer
as a table (`format=html`). Columns named `_…` carry the bound parameters inside the query
and are left out of every answer.

Pages: `limit` (default 100, at most 1000) and `offset`. The whole answer is run once per graph
version and bound values (the store caches it); it gives the total, sent as `X-Total-Count`, and
the JSON page is cut from it. Only when the row cap cut the whole answer, or for CSV and SPARQL
JSON, is the query run again with LIMIT/OFFSET appended after its ORDER BY. `Link` carries the
`first`, `prev`, `next` and `last` pages (RFC 8288).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.app import StoreDep
from api.catalogue import CannedQuery, ParameterError, Term, default_catalogue
from api.disconnect import unless_client_leaves
from api.errors import ApiError, bad_parameter, not_acceptable
from api.html import FormField, QueryAnswer, QueryCard, queries_page, query_page
from api.negotiation import negotiate
from api.stores import QueryStore, Rows

router = APIRouter(tags=["canned queries"])


async def _catalogue() -> dict[str, CannedQuery]:
    return default_catalogue()


CatalogueDep = Annotated[dict[str, CannedQuery], Depends(_catalogue)]

JSON = "application/json"
CSV = "text/csv"
SPARQL_JSON = "application/sparql-results+json"
HTML = "text/html"
OFFERS = [JSON, CSV, SPARQL_JSON, HTML]
LIST_OFFERS = [JSON, HTML]
FORMAT_NAMES = {
    "json": JSON,
    "csv": CSV,
    "sparql": SPARQL_JSON,
    "srj": SPARQL_JSON,
    "html": HTML,
}
ALIASES = {"application/xhtml+xml": HTML}
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000
PAGING = frozenset({"limit", "offset", "format"})

# a bad .rq file stops the server at start-up, with the file's name, not at the first request
default_catalogue()


@router.get(
    "/queries",
    summary="The catalogue of canned queries",
    response_class=Response,
    responses={
        200: {
            "description": "the queries: JSON, or a page with a form per query for browsers",
            "content": {JSON: {}, HTML: {}},
        },
        406: {"description": "no acceptable media type"},
    },
)
async def list_queries(
    request: Request,
    catalogue: CatalogueDep,
    output: Annotated[str | None, Query(alias="format", description="json or html")] = None,
) -> Response:
    media_type = _media_type(request.headers.get("accept"), output, LIST_OFFERS)
    headers = {"Vary": "Accept"}
    if media_type == HTML:
        cards = [query_card(query, query.example) for query in catalogue.values()]
        return HTMLResponse(queries_page(cards, _base_iri(request)), headers=headers)
    queries = []
    for query in catalogue.values():
        described = query.as_dict()
        described["url"] = str(request.url_for("run_canned_query", name=query.name))
        described["example"] = str(
            request.url_for("run_canned_query", name=query.name).include_query_params(
                **query.example
            )
        )
        queries.append(described)
    body = orjson.dumps({"count": len(queries), "queries": queries})
    return Response(body, media_type=JSON, headers=headers)


@router.get(
    "/queries/{name}",
    name="run_canned_query",
    summary="Run a canned query",
    response_class=Response,
    responses={
        200: {
            "description": "the answer",
            "content": {JSON: {}, CSV: {}, SPARQL_JSON: {}, HTML: {}},
        },
        404: {"description": "no canned query of that name (with suggestions)"},
        406: {"description": "no acceptable media type"},
        422: {"description": "a parameter is missing, unknown or refused by its type"},
    },
)
async def run_canned_query(
    name: str,
    request: Request,
    store: StoreDep,
    catalogue: CatalogueDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    output: Annotated[
        str | None, Query(alias="format", description="json, csv, sparql or html")
    ] = None,
) -> Response:
    query = catalogue.get(name)
    if query is None:
        raise unknown_query(name, catalogue)
    media_type = _media_type(request.headers.get("accept"), output, OFFERS)
    if media_type == HTML:
        return await answer_page(query, request, store, limit, offset)
    bound = bind_request(query, request)
    # the whole answer, cached per graph version: it gives the total and, mostly, the page too
    whole = await unless_client_leaves(request, store.select(query.sparql, bound))
    total = None if whole.truncated else len(whole)
    sparql = query.paged(limit, offset)
    headers = {"Vary": "Accept"}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    if media_type == JSON:
        if whole.truncated:
            rows = await store.select(sparql, bound)
        else:
            rows = Rows(whole[offset : offset + limit], columns=whole.columns)
        columns = visible(rows.columns)
        body: bytes = orjson.dumps(
            {
                "query": query.name,
                "parameters": query.bound_values(bound),
                "columns": columns,
                "rows": [{c: json_value(row.get(c)) for c in columns} for row in rows],
                "count": len(rows),
                "total": total,
                "limit": limit,
                "offset": offset,
            }
        )
        count, truncated = len(rows), rows.truncated
    else:
        result = await store.query(sparql, result_format=media_type, substitutions=bound)
        body, count = (
            strip_csv(result.body) if media_type == CSV else strip_sparql_json(result.body)
        )
        truncated = result.truncated
    if truncated:
        headers["X-Result-Truncated"] = "true"
    headers["Link"] = page_links(request, limit, offset, count, total)
    content_type = f"{media_type}; charset=utf-8" if media_type == CSV else media_type
    return Response(body, media_type=content_type, headers=headers)


# ------------------------------------------------------------------ parameters


def unknown_query(name: str, catalogue: Mapping[str, CannedQuery]) -> ApiError:
    shown = name if len(name) <= 80 else name[:80] + "…"
    suggestions = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.5)
    return ApiError(
        404,
        f"no canned query named {shown!r}",
        {"suggestions": suggestions, "available": sorted(catalogue)},
    )


def bind_request(query: CannedQuery, request: Request) -> dict[str, Term]:
    """The request's parameters (paging aside) bound by the query; 422 for a refused one."""
    raw: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in PAGING:
            continue
        if key in raw:
            raise _refused(query, ParameterError(key, "given more than once"))
        raw[key] = value
    try:
        return query.bind(raw)
    except ParameterError as exc:
        raise _refused(query, exc) from None


def _refused(query: CannedQuery, error: ParameterError) -> ApiError:
    detail: dict[str, object] = dict(error.detail)
    detail["query"] = query.name
    detail["parameters"] = [p.as_dict() for p in query.parameters]
    return bad_parameter(str(error), detail)


def _media_type(accept: str | None, format_name: str | None, offers: list[str]) -> str:
    if format_name:
        chosen = FORMAT_NAMES.get(format_name.strip().lower())
        if chosen is None or chosen not in offers:
            known = sorted(name for name, media in FORMAT_NAMES.items() if media in offers)
            raise bad_parameter(f"unknown format {format_name[:40]!r}", {"known": known})
        return chosen
    # JSON comes first: a client that names no type, or `*/*`, is a program
    media_type = negotiate(accept, offers, ALIASES)
    if media_type is None:
        raise not_acceptable(offers)
    return media_type


# ------------------------------------------------------------------ pages for people


def query_card(query: CannedQuery, values: Mapping[str, str]) -> QueryCard:
    """A query with its form: one typed field per parameter, holding `values`."""
    from api.catalogue import COMMITMENTS, STATUSES

    fields = []
    for parameter in query.parameters:
        choices: list[str] = []
        if parameter.type == "status":
            choices = list(STATUSES)
        elif parameter.type == "commitment":
            choices = [str(number) for number in COMMITMENTS]
        fields.append(
            FormField(
                name=parameter.name,
                type=parameter.type,
                required=parameter.required,
                description=parameter.description,
                value=values.get(parameter.name, ""),
                choices=choices,
            )
        )
    return QueryCard(query.name, query.summary, query.description, list(query.tags), fields)


async def answer_page(
    query: CannedQuery, request: Request, store: QueryStore, limit: int, offset: int
) -> HTMLResponse:
    """The query's form with the request's values, and its answer as a table; a value the
    query refuses is shown on the page with status 422."""
    headers = {"Vary": "Accept"}
    given = {key: value for key, value in request.query_params.items() if key not in PAGING}
    shown = given if given else query.example
    card = query_card(query, shown)
    base_iri = _base_iri(request)
    if not given and any(parameter.required for parameter in query.parameters):
        # a browser arriving without values: the form, filled with the examples, to run
        return HTMLResponse(query_page(card, None, None, base_iri), headers=headers)
    try:
        bound = bind_request(query, request)
    except ApiError as error:
        html = query_page(card, None, error.error, base_iri)
        return HTMLResponse(html, status_code=error.status, headers=headers)
    whole = await unless_client_leaves(request, store.select(query.sparql, bound))
    total = None if whole.truncated else len(whole)
    rows = whole[offset : offset + limit]
    columns = visible(whole.columns)

    more = offset + limit < len(whole)
    answer = QueryAnswer(
        columns=columns,
        rows=[{c: row.get(c) for c in columns} for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        csv_href=_local(request, format="csv"),
        json_href=_local(request, format="json"),
        next_href=_local(request, offset=offset + limit) if more else None,
        prev_href=_local(request, offset=max(0, offset - limit)) if offset > 0 else None,
    )
    return HTMLResponse(query_page(card, answer, None, base_iri), headers=headers)


def _local(request: Request, **changes: object) -> str:
    """This request's path and query with `changes`, as a link on this server."""
    url = request.url.include_query_params(**changes)
    return f"{url.path}?{url.query}" if url.query else url.path


def _base_iri(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "base_iri", "https://w3id.org/eu-migration-kg/"))


# ------------------------------------------------------------------ counting and paging


def page_links(request: Request, limit: int, offset: int, count: int, total: int | None) -> str:
    """RFC 8288 links to the first, previous, next and last pages."""

    def link(at: int, rel: str) -> str:
        url = request.url.include_query_params(limit=limit, offset=at)
        return f'<{url}>; rel="{rel}"'

    links = [link(0, "first")]
    if offset > 0:
        links.append(link(max(0, offset - limit), "prev"))
    more = offset + limit < total if total is not None else count == limit
    if more:
        links.append(link(offset + limit, "next"))
    if total is not None:
        links.append(link(max(0, (total - 1) // limit * limit), "last"))
    return ", ".join(links)


# ------------------------------------------------------------------ answers


def visible(columns: tuple[str, ...] | list[str]) -> list[str]:
    """The answer's columns without the `_…` ones that carry bound parameters."""
    return [c for c in columns if not c.startswith("_")]


def json_value(value: object) -> object:
    """A row value for JSON: dates as ISO text, whole decimals as integers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def strip_csv(body: bytes) -> tuple[bytes, int]:
    """SPARQL CSV without the `_…` columns, and its number of rows."""
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    records = list(reader)
    if not records:
        return body, 0
    keep = [i for i, name in enumerate(records[0]) if not name.startswith("_")]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for record in records:
        writer.writerow([record[i] if i < len(record) else "" for i in keep])
    return out.getvalue().encode("utf-8"), len(records) - 1


def strip_sparql_json(body: bytes) -> tuple[bytes, int]:
    """SPARQL JSON results without the `_…` variables, and the number of solutions."""
    document = orjson.loads(body)
    head = document.get("head", {})
    head["vars"] = visible(head.get("vars", []))
    bindings = document.get("results", {}).get("bindings", [])
    for binding in bindings:
        for name in [n for n in binding if n.startswith("_")]:
            del binding[name]
    return orjson.dumps(document), len(bindings)


__all__ = ["CatalogueDep", "router", "unknown_query"]
