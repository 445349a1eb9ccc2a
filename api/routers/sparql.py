"""/sparql: the query operation of the SPARQL 1.1 Protocol, read-only.

GET `?query=`, POST `application/x-www-form-urlencoded` and POST `application/sparql-query`,
with repeatable `default-graph-uri` / `named-graph-uri`. The answer's media type comes from the
Accept header (or a `format=`/`output=` parameter); a browser asking with a query gets the
default type. Without a query: the query editor for browsers, the SPARQL service description
for RDF clients. Parameters are decoded strictly: bad percent-escapes or non-UTF-8 text is a 400.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.app import StoreDep
from api.disconnect import unless_client_leaves
from api.errors import (
    ApiError,
    bad_parameter,
    bad_request,
    forbidden,
    not_acceptable,
    too_large,
    unsupported_media_type,
)
from api.logs import annotate, query_digest
from api.middleware import URL_HINT, URL_TOO_LONG
from api.negotiation import negotiate
from api.settings import Settings, SettingsDep
from api.stores import QueryForm, QueryStore
from api.stores.encoding import GRAPH_FORMATS, RESULT_FORMATS
from api.stores.preflight import check_query

if TYPE_CHECKING:
    from rdflib import Graph

router = APIRouter(tags=["SPARQL"])

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"

RESULT_TYPES = list(RESULT_FORMATS)  # the default first: SPARQL JSON
GRAPH_TYPES = list(GRAPH_FORMATS)  # the default first: Turtle
HTML = "text/html"

RESULT_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/xhtml+xml": HTML,
}
GRAPH_ALIASES = {
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/rdf+n3": "text/turtle",
    "application/json": "application/ld+json",
    "application/x-json+ld": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
    "application/xhtml+xml": HTML,
}
#: `format=` / `output=` names: (media type for SELECT/ASK, media type for CONSTRUCT/DESCRIBE)
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"),
    "ttl": (None, "text/turtle"),
    "nt": (None, "application/n-triples"),
    "ntriples": (None, "application/n-triples"),
    "n-triples": (None, "application/n-triples"),
    "jsonld": (None, "application/ld+json"),
    "json-ld": (None, "application/ld+json"),
    "rdfxml": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"),
    "rdf": (None, "application/rdf+xml"),
    "nq": (None, "application/n-quads"),
    "nquads": (None, "application/n-quads"),
    "n-quads": (None, "application/n-quads"),
    "trig": (None, "application/trig"),
    "n3": (None, "text/turtle"),  # Turtle is N3; SPARQLWrapper asks for "n3"
}
RESULT_FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS + "SPARQL_Results_JSON",
    "application/sparql-results+xml": FORMATS + "SPARQL_Results_XML",
    "text/csv": FORMATS + "SPARQL_Results_CSV",
    "text/tab-separated-values": FORMATS + "SPARQL_Results_TSV",
    "text/turtle": FORMATS + "Turtle",
    "application/n-triples": FORMATS + "N-Triples",
    "application/ld+json": FORMATS + "JSON-LD",
    "application/rdf+xml": FORMATS + "RDF_XML",
    "application/n-quads": FORMATS + "N-Quads",
    "application/trig": FORMATS + "TriG",
}
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
DIRECT_MEDIA_TYPE = "application/sparql-query"

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class ProtocolRequest:
    """The protocol's parameters, decoded."""

    query: str | None
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]
    format: str | None


_ENDPOINT_DOC: dict[str, Any] = {
    "summary": "SPARQL 1.1 query endpoint (read-only)",
    "response_class": Response,
    "responses": {
        200: {"description": "query results, or the service description / editor without a query"},
        400: {"description": "malformed query or request"},
        403: {"description": "SPARQL Update, or a SERVICE endpoint not allowed"},
        406: {"description": "no acceptable media type"},
        413: {"description": "query too long"},
        415: {"description": "unsupported POST body type"},
        503: {"description": "the query passed the time limit"},
    },
}


@router.get("/sparql", operation_id="sparql_get", **_ENDPOINT_DOC)
@router.post("/sparql", operation_id="sparql_post", **_ENDPOINT_DOC)
async def sparql_endpoint(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Requests with a query are answered by `api.lean_sparql` before they reach this route;
    it serves the editor and the service description, and any app built without that layer."""
    params = await read_protocol_request(request, settings)
    if params.query is None:
        if request.method == "POST":
            raise bad_request(
                "no query in the request", "send the query as `query=` or as the body"
            )
        return describe_service(request, store, settings)
    return await answer_query(request, store, settings, params)


async def answer_query(
    request: Request, store: QueryStore, settings: Settings, params: ProtocolRequest
) -> Response:
    """Guard, negotiate, run and answer one query (raises ApiError, ClientDisconnect)."""
    assert params.query is not None
    annotate(request, query_sha256=query_digest(params.query))
    plan = check_query(params.query, settings)
    media_type = choose_media_type(request.headers.get("accept"), plan.form, params.format)
    etag = _etag(store.version, media_type, params)
    if request.method == "GET" and etag in _if_none_match(request):
        return Response(status_code=304, headers={"ETag": etag, "Vary": "Accept"})
    result = await unless_client_leaves(
        request,
        store.query(
            params.query,
            result_format=media_type,
            default_graph_uris=params.default_graph_uris,
            named_graph_uris=params.named_graph_uris,
            base_iri=endpoint_url(request),
        ),
    )
    annotate(request, rows=result.rows, truncated=result.truncated)
    headers = {"ETag": etag, "Vary": "Accept"}
    if result.truncated:
        headers["X-Result-Truncated"] = "true"
    return Response(result.body, media_type=_content_type(media_type), headers=headers)


def endpoint_url(request: Request) -> str:
    """This endpoint's URL as the client reached it: the base of a query's relative IRIs.

    Remembered for what it is made of (scheme, Host, server, root path, path): clients reach
    the endpoint by a few URLs, and building one costs more than finding it."""
    scope = request.scope
    key = (
        scope.get("scheme"),
        request.headers.get("host"),
        tuple(scope.get("server") or ()),
        scope.get("root_path", ""),
        scope.get("path"),
    )
    url = _ENDPOINT_URLS.get(key)
    if url is None:
        if len(_ENDPOINT_URLS) >= 256:
            _ENDPOINT_URLS.clear()
        url = _ENDPOINT_URLS[key] = str(request.url.replace(query="", fragment=""))
    return url


_ENDPOINT_URLS: dict[tuple[object, ...], str] = {}


def editor_page(endpoint: str) -> str:
    """The query editor for browsers: YASGUI, or a plain form without it (api.routers.pages)."""
    from api.routers.pages import editor_html

    return editor_html(endpoint)


@lru_cache(maxsize=512)
def choose_media_type(accept: str | None, form: QueryForm | None, format_name: str | None) -> str:
    """The answer's media type: `format=` first, then Accept; a browser gets the default.

    Cached: clients send the same few Accept headers again and again."""
    graph = form in ("construct", "describe")
    offers = GRAPH_TYPES if graph else RESULT_TYPES
    aliases = GRAPH_ALIASES if graph else RESULT_ALIASES
    if format_name:
        named = FORMAT_NAMES.get(format_name.strip().lower())
        if named is not None:
            chosen = named[1] if graph else named[0]
            if chosen is None:
                raise bad_parameter(
                    f"format {format_name!r} cannot carry a {(form or 'select').upper()} answer",
                    {"available": offers},
                )
            return chosen
        accept = format_name  # a media type given as format=
        if "/" not in format_name or negotiate(accept, offers, aliases) is None:
            raise bad_parameter(f"unknown format {format_name!r}", {"known": sorted(FORMAT_NAMES)})
    choice = negotiate(accept, [*offers, HTML], aliases)
    if choice is None:
        raise not_acceptable(offers)
    return offers[0] if choice == HTML else choice


def describe_service(request: Request, store: QueryStore, settings: Settings) -> Response:
    """The editor for a browser, the SPARQL service description for an RDF client."""
    endpoint = endpoint_url(request)
    choice = negotiate(request.headers.get("accept"), [*RDFLIB_FORMATS, HTML], GRAPH_ALIASES)
    if choice is None:
        raise bad_request(
            "no query in the request",
            "pass ?query=…; without one, ask for text/html (the editor) or an RDF type "
            "(the service description)",
        )
    if choice == HTML:
        return HTMLResponse(editor_page(endpoint))
    graph = service_description(endpoint, store.triple_count, settings)
    body = graph.serialize(format=RDFLIB_FORMATS[choice], encoding="utf-8")
    return Response(body, media_type=_content_type(choice), headers={"Vary": "Accept"})


def service_description(endpoint: str, triples: int, settings: Settings) -> Graph:
    """sd:Service for this endpoint: language, result formats, features, default dataset.

    rdflib is imported here, for this rare request only: a server that answers queries does
    not load it (about 4 MiB)."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, RDF, VOID, XSD

    sd = Namespace(SD)
    graph = Graph(bind_namespaces="core")
    graph.bind("sd", sd)
    graph.bind("formats", Namespace(FORMATS))
    graph.bind("void", VOID)
    graph.bind("dct", DCTERMS)
    service = URIRef(endpoint)
    dataset = URIRef(settings.base_iri + "dataset")
    default_graph = BNode()
    graph.add((service, RDF.type, sd.Service))
    graph.add((service, sd.endpoint, service))
    graph.add((service, sd.supportedLanguage, sd.SPARQL11Query))
    graph.add(
        (
            service,
            DCTERMS.title,
            Literal("EU migration knowledge graph: SPARQL endpoint", lang="en"),
        )
    )
    for format_iri in RESULT_FORMAT_IRIS.values():
        graph.add((service, sd.resultFormat, URIRef(format_iri)))
    if settings.service_allowlist:
        graph.add((service, sd.feature, sd.BasicFederatedQuery))
    graph.add((service, sd.defaultDataset, dataset))
    graph.add((dataset, RDF.type, sd.Dataset))
    graph.add((dataset, sd.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, sd.Graph))
    graph.add((default_graph, VOID.triples, Literal(triples, datatype=XSD.integer)))
    return graph


# ---------------------------------------------------------------- reading the request


async def read_protocol_request(request: Request, settings: Settings) -> ProtocolRequest:
    """The protocol parameters from the URL and the body, with the protocol's error statuses."""
    query_string: bytes = request.scope.get("query_string", b"")
    if len(query_string) > min(3 * settings.max_query_bytes + 4096, settings.max_url_bytes):
        raise ApiError(414, URL_TOO_LONG, {"limit_bytes": settings.max_url_bytes, "hint": URL_HINT})
    url_fields = parse_urlencoded(query_string)
    fields = url_fields
    if request.method == "POST":
        media_type, charset = _content_type_of(request)
        if media_type == FORM_MEDIA_TYPE:
            body = await _read_body(request, 3 * settings.max_query_bytes + 4096, settings)
            form_fields = parse_urlencoded(body)
            if _values(url_fields, "query") and _values(form_fields, "query"):
                raise bad_request("the query is given both in the URL and in the body")
            fields = form_fields + url_fields
        elif media_type == DIRECT_MEDIA_TYPE:
            if charset not in ("utf-8", "utf8"):
                raise bad_request("the query must be UTF-8", {"charset": charset})
            body = await _read_body(request, settings.max_query_bytes, settings)
            if _values(url_fields, "query"):
                raise bad_request("the query is given both in the URL and in the body")
            fields = [*url_fields, ("query", _utf8(body))]
        elif media_type == "application/sparql-update":
            raise forbidden("SPARQL Update is not allowed: this endpoint is read-only")
        else:
            raise unsupported_media_type(
                media_type or "(none)", [FORM_MEDIA_TYPE, DIRECT_MEDIA_TYPE]
            )
    if _values(fields, "update"):
        raise forbidden("SPARQL Update is not allowed: this endpoint is read-only")
    queries = _values(fields, "query")
    if len(queries) > 1:
        raise bad_request("more than one query in the request")
    query = queries[0] if queries else None
    if query is not None and not query.strip():
        raise bad_request("the query is empty")
    formats = _values(fields, "format") or _values(fields, "output")
    return ProtocolRequest(
        query,
        tuple(_values(fields, "default-graph-uri")),
        tuple(_values(fields, "named-graph-uri")),
        formats[-1] if formats else None,
    )


def parse_urlencoded(raw: bytes) -> list[tuple[str, str]]:
    """`application/x-www-form-urlencoded` pairs, refusing bad escapes and non-UTF-8 text."""
    if _BAD_ESCAPE.search(raw):
        raise bad_request("malformed percent-encoding in the request")
    pairs: list[tuple[str, str]] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


def _form_decode(raw: bytes) -> str:
    """A name or value of a form, its escapes already checked by `parse_urlencoded`."""
    if b"%" not in raw:
        return _utf8(raw.replace(b"+", b" "))
    return _utf8(percent_decode(raw.replace(b"+", b" ")))


def percent_decode(raw: bytes) -> bytes:
    """`urllib.parse.unquote_to_bytes` for text whose every `%` starts a valid escape, in C:
    quoted-printable's `=XX` is the same escape, so `=` is escaped and `%` becomes `=` (a dozen
    times faster on a query, where almost every other character is escaped)."""
    return binascii.a2b_qp(raw.replace(b"=", b"=3D").replace(b"%", b"="))


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("the request is not valid UTF-8", str(exc)) from exc


def _values(fields: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in fields if key == name]


def _content_type_of(request: Request) -> tuple[str, str]:
    header = request.headers.get("content-type", "")
    media_type, *params = (part.strip() for part in header.split(";"))
    charset = "utf-8"
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.lower(), charset


async def _read_body(request: Request, limit: int, settings: Settings) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(settings.max_query_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(settings.max_query_bytes)
    return bytes(body)


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def _etag(version: str, media_type: str, params: ProtocolRequest) -> str:
    digest = hashlib.sha256()
    for part in (
        version,
        media_type,
        params.query or "",
        *params.default_graph_uris,
        "|",
        *params.named_graph_uris,
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return f'W/"{digest.hexdigest()[:32]}"'


def _if_none_match(request: Request) -> set[str]:
    header = request.headers.get("if-none-match", "")
    return {tag.strip() for tag in header.split(",") if tag.strip()}


__all__ = [
    "ProtocolRequest",
    "answer_query",
    "choose_media_type",
    "editor_page",
    "read_protocol_request",
    "router",
    "service_description",
]
