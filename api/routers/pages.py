"""The pages around the data: landing page, ontology, shapes, VoID, dumps, timeline, editor.

- `/` says what this is and where to start;
- `/ontology`, `/shapes`, `/void`: the files as Turtle (also for `*/*`), JSON-LD, N-Triples or
  RDF/XML by Accept (or `?format=`), and as a page for browsers;
- `/dumps/{emkg.ttl|emkg.nt|emkg.jsonld}`: the built graph, those three names and no others;
- `/timeline`: events and dated actions in date order, rendered here, no script;
- `/assets/...`: this module's CSS and script, and YASGUI's built files from node_modules.

The SPARQL router's `editor_page` calls `editor_html`: YASGUI with every canned query as an
example tab when its files are there (`node_modules/@zazuko/yasgui/build`, or the folder named
by the `EMKG_YASGUI_DIR` environment variable), a plain form posting to /sparql otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SH, SKOS, VOID
from rdflib.term import Node

from api.app import StoreDep
from api.errors import ApiError
from api.html import (
    ExampleQuery,
    OntologyView,
    ShapeView,
    TermView,
    TimelineRow,
    editor_page,
    esc,
    form_editor_page,
    landing_page,
    local_href,
    ontology_page,
    shapes_page,
    timeline_page,
    void_page,
)
from api.routers.resources import HTML, choose_representation, compact, internal_query
from api.settings import PROJECT_ROOT, Settings, SettingsDep

log = logging.getLogger("emkg.pages")

router = APIRouter(tags=["pages"])

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
SHAPES_FILE = PROJECT_ROOT / "shapes" / "emk-shapes.ttl"
VOID_FILE = "void.ttl"
DEFAULT_YASGUI_DIR = PROJECT_ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"
YASGUI_DIR_VARIABLE = "EMKG_YASGUI_DIR"

RDF_OFFERS = [
    "text/turtle",
    HTML,
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
]
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
DUMPS = {
    "emkg.ttl": "text/turtle; charset=utf-8",
    "emkg.nt": "application/n-triples",
    "emkg.jsonld": "application/ld+json",
}
ASSETS = {
    "site.css": "text/css; charset=utf-8",
    "editor.js": "text/javascript; charset=utf-8",
}
YASGUI_FILES = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
    "yasgui.min.js.map": "application/json",
}
ASSET_CACHE = {"Cache-Control": "public, max-age=3600"}
FORMAT_QUERY = Query(description="html, ttl, jsonld, nt or rdf; overrides Accept")


# ------------------------------------------------------------------------ landing page


@router.get("/", summary="What this is, and where to start", response_class=HTMLResponse)
async def landing(store: StoreDep) -> HTMLResponse:
    return HTMLResponse(landing_page(store.triple_count, store.version))


# ------------------------------------------------------------------------ ontology, shapes, VoID


@router.get(
    "/ontology",
    summary="The ontology: HTML documentation, or the OWL file by Accept",
    response_class=Response,
    responses={200: {"content": {media: {} for media in RDF_OFFERS}}},
)
async def ontology(
    request: Request,
    settings: SettingsDep,
    format: Annotated[str | None, FORMAT_QUERY] = None,
) -> Response:
    path = settings.ontology_file
    if path is None or not path.is_file():
        raise ApiError(404, "no ontology file is configured")
    media_type = choose_representation(request.headers.get("accept"), RDF_OFFERS, format)
    if media_type == HTML:
        view = ontology_view(_parsed(path, *_stamp(path)), settings.base_iri)
        return HTMLResponse(ontology_page(view, settings.base_iri), headers={"Vary": "Accept"})
    return _rdf_file(path, media_type)


@router.get(
    "/shapes",
    summary="The SHACL shapes the graph is validated against",
    response_class=Response,
    responses={200: {"content": {media: {} for media in RDF_OFFERS}}},
)
async def shapes(
    request: Request,
    settings: SettingsDep,
    format: Annotated[str | None, FORMAT_QUERY] = None,
) -> Response:
    if not SHAPES_FILE.is_file():
        raise ApiError(404, "no shapes file")
    media_type = choose_representation(request.headers.get("accept"), RDF_OFFERS, format)
    if media_type == HTML:
        views = shape_views(_parsed(SHAPES_FILE, *_stamp(SHAPES_FILE)))
        return HTMLResponse(shapes_page(views, settings.base_iri), headers={"Vary": "Accept"})
    return _rdf_file(SHAPES_FILE, media_type)


@router.get(
    "/void",
    summary="VoID and DCAT description of the dataset, with its dumps",
    response_class=Response,
    responses={200: {"content": {media: {} for media in RDF_OFFERS}}},
)
async def void(
    request: Request,
    settings: SettingsDep,
    format: Annotated[str | None, FORMAT_QUERY] = None,
) -> Response:
    path = settings.graph_dir / VOID_FILE
    if not path.is_file():
        raise ApiError(404, "the dataset description has not been built")
    media_type = choose_representation(request.headers.get("accept"), RDF_OFFERS, format)
    if media_type == HTML:
        turtle = path.read_text(encoding="utf-8")
        facts = void_facts(_parsed(path, *_stamp(path)), settings)
        return HTMLResponse(void_page(turtle, facts), headers={"Vary": "Accept"})
    return _rdf_file(path, media_type)


def _rdf_file(path: Path, media_type: str) -> Response:
    """The file itself as Turtle; other RDF types converted (once per file version)."""
    if media_type == "text/turtle":
        body = path.read_bytes()
    else:
        body = _converted(path, *_stamp(path), RDFLIB_FORMATS[media_type])
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return Response(body, media_type=content_type, headers={"Vary": "Accept"})


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> Graph:
    return Graph().parse(path, format="turtle")


@lru_cache(maxsize=16)
def _converted(path: Path, mtime_ns: int, size: int, rdflib_format: str) -> bytes:
    graph = _parsed(path, mtime_ns, size)
    return graph.serialize(format=rdflib_format, encoding="utf-8")


# ------------------------------------------------------------------------ ontology as a page


def ontology_view(graph: Graph, base_iri: str) -> OntologyView:
    # a file without its header (a test fixture, say) still lists its terms
    header = next(graph.subjects(RDF.type, OWL.Ontology), URIRef(base_iri + "ontology"))
    namespace = base_iri + "ontology#"

    def text(subject: Node, *predicates: URIRef) -> str | None:
        for predicate in predicates:
            values = sorted(graph.objects(subject, predicate), key=_english_first)
            if values:
                return str(values[0])
        return None

    def terms(types: tuple[URIRef, ...], kind_of: dict[URIRef, str]) -> list[TermView]:
        found: dict[URIRef, str] = {}
        for term_type in types:
            for subject in graph.subjects(RDF.type, term_type):
                if isinstance(subject, URIRef) and str(subject).startswith(namespace):
                    found.setdefault(subject, kind_of[term_type])
        views = []
        for term, kind in found.items():
            name = str(term)[len(namespace) :]
            views.append(
                TermView(
                    iri=str(term),
                    name=name,
                    label=text(term, RDFS.label, SKOS.prefLabel) or name,
                    definition=text(term, SKOS.definition),
                    comment=text(term, RDFS.comment),
                    kind=kind,
                    parents=_targets(graph, term, RDFS.subClassOf, SKOS.broader),
                    domains=_targets(graph, term, RDFS.domain),
                    ranges=_targets(graph, term, RDFS.range),
                    equivalents=_targets(graph, term, OWL.equivalentClass),
                )
            )
        return sorted(views, key=lambda view: view.label.lower())

    classes = terms((OWL.Class, RDFS.Class), {OWL.Class: "class", RDFS.Class: "class"})
    properties = terms(
        (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property),
        {
            OWL.ObjectProperty: "object property",
            OWL.DatatypeProperty: "datatype property",
            OWL.AnnotationProperty: "annotation property",
            RDF.Property: "property",
        },
    )
    concepts = terms(
        (SKOS.ConceptScheme, SKOS.Concept),
        {SKOS.ConceptScheme: "concept scheme", SKOS.Concept: "concept"},
    )
    return OntologyView(
        iri=str(header),
        title=text(header, DCTERMS.title, RDFS.label) or str(header),
        description=text(header, DCTERMS.description),
        version=text(header, OWL.versionInfo),
        version_iri=text(header, OWL.versionIRI),
        modified=text(header, DCTERMS.modified),
        license=text(header, DCTERMS.license),
        comment=text(header, RDFS.comment),
        classes=classes,
        properties=properties,
        concepts=concepts,
    )


def _english_first(value: Node) -> tuple[int, str]:
    language = value.language if isinstance(value, Literal) else None
    return (0 if language in (None, "en") else 1, str(value))


def _targets(graph: Graph, term: URIRef, *predicates: URIRef) -> list[tuple[str, str]]:
    """The IRIs a term points to; a class union (`owl:unionOf`) counts as its members."""
    found: list[tuple[str, str]] = []
    for predicate in predicates:
        for target in graph.objects(term, predicate):
            for member in _members(graph, target):
                found.append((str(member), compact(str(member))))
    return sorted(set(found), key=lambda pair: pair[1])


def _members(graph: Graph, node: Node) -> Iterator[URIRef]:
    if isinstance(node, URIRef):
        yield node
    elif isinstance(node, BNode):
        union = graph.value(node, OWL.unionOf)
        if union is not None:
            for member in Collection(graph, union):
                if isinstance(member, URIRef):
                    yield member


# ------------------------------------------------------------------------ shapes as a page


def shape_views(graph: Graph) -> list[ShapeView]:
    views = []
    for shape in set(graph.subjects(RDF.type, SH.NodeShape)):
        if not isinstance(shape, URIRef):
            continue
        target = graph.value(shape, SH.targetClass)
        properties = []
        for property_shape in graph.objects(shape, SH.property):
            path = graph.value(property_shape, SH.path)
            message = graph.value(property_shape, SH.message) or graph.value(
                property_shape, SH.description
            )
            shown = compact(str(path)) if isinstance(path, URIRef) else "(a path expression)"
            properties.append((shown, str(message or "")))
        name = str(shape).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        views.append(
            ShapeView(
                iri=str(shape),
                name=name,
                target=compact(str(target)) if target is not None else None,
                message=str(graph.value(shape, SH.message) or "") or None,
                properties=sorted(properties),
            )
        )
    # the shapes with targets (what a class must satisfy) first, then the helpers
    return sorted(views, key=lambda view: (view.target is None, view.name))


# ------------------------------------------------------------------------ VoID as a page


def void_facts(graph: Graph, settings: Settings) -> list[tuple[str, str]]:
    dataset = next(graph.subjects(RDF.type, VOID.Dataset), None)
    if dataset is None:
        return []
    facts: list[tuple[str, str]] = []
    for name, predicate in (
        ("Title", DCTERMS.title),
        ("Description", DCTERMS.description),
        ("Triples", VOID.triples),
        ("Entities", VOID.entities),
    ):
        value = graph.value(dataset, predicate)
        if value is not None:
            facts.append((name, esc(value)))
    for name, predicate in (
        ("License", DCTERMS.license),
        ("Source", DCTERMS.source),
        ("SPARQL endpoint", VOID.sparqlEndpoint),
    ):
        value = graph.value(dataset, predicate)
        if isinstance(value, URIRef):
            href = local_href(str(value), settings.base_iri)
            facts.append((name, f'<a href="{esc(href)}">{esc(value)}</a>'))
    dumps = sorted(
        {str(d) for d in graph.objects(dataset, VOID.dataDump)}
        | {str(d) for d in graph.objects(dataset, DCAT.distribution)}
    )
    if dumps:
        links = ", ".join(
            f'<a href="{esc(local_href(dump, settings.base_iri))}">{esc(dump.rsplit("/", 1)[-1])}</a>'
            for dump in dumps
        )
        facts.append(("Dumps", links))
    return facts


# ------------------------------------------------------------------------ dumps


@router.get(
    "/dumps/{file}",
    summary="The whole graph: emkg.ttl, emkg.nt or emkg.jsonld",
    response_class=FileResponse,
    responses={200: {"content": {media.split(";")[0]: {} for media in DUMPS.values()}}},
)
async def dump(file: str, settings: SettingsDep) -> FileResponse:
    media_type = DUMPS.get(file)
    # only the three names: a name from the request never becomes a path by itself
    path = settings.graph_dir / file if media_type is not None else None
    if media_type is None or path is None or not path.is_file():
        raise ApiError(404, f"no dump named {file!r}", {"dumps": sorted(DUMPS)})
    return FileResponse(path, media_type=media_type)


# ------------------------------------------------------------------------ timeline


@router.get(
    "/timeline",
    summary="Events and dated actions in date order (a page)",
    response_class=HTMLResponse,
)
async def timeline(store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    rows = await store.select(internal_query("timeline"))
    entries = [
        TimelineRow(
            iri=str(row["resource"]),
            kind=str(row["kind"]),
            label=str(row["label"]),
            start=_date(row.get("startDate")),
            end=_date(row.get("endDate")),
            date_phrase=str(row["datePhrase"]) if row.get("datePhrase") else None,
            status=str(row["status"]) if row.get("status") else None,
            commitments=_numbers(row.get("commitments")),
        )
        for row in rows
    ]
    return HTMLResponse(timeline_page(entries, settings.base_iri))


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _numbers(value: object) -> list[str]:
    numbers = {part for part in str(value or "").split() if part.isdigit()}
    return sorted(numbers, key=int)


# ------------------------------------------------------------------------ the query editor


def yasgui_dir() -> Path:
    configured = os.environ.get(YASGUI_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else DEFAULT_YASGUI_DIR


def yasgui_available() -> bool:
    folder = yasgui_dir()
    return all((folder / name).is_file() for name in ("yasgui.min.js", "yasgui.min.css"))


def editor_html(endpoint: str) -> str:
    """The editor page for browsers at `endpoint` (see the module's docstring)."""
    examples = example_queries()
    if yasgui_available():
        return editor_page(endpoint, examples, internal_query("editor-starter"))
    return form_editor_page(endpoint, examples, internal_query("editor-starter"))


@dataclass(frozen=True, slots=True)
class _Catalogued:
    name: str
    summary: str
    sparql: str
    parameters: Sequence[tuple[str, str, str]]  # (name, type, example)
    bound: dict[str, str]  # variable -> term in SPARQL syntax


@lru_cache(maxsize=1)
def example_queries() -> tuple[ExampleQuery, ...]:
    """Every canned query with its example values bound in a VALUES block, as it would run.

    A query whose WHERE clause cannot take the block keeps its `?_parameter` variables.
    """
    from api.sparql_guard import bind_values

    examples = []
    for query in _catalogue():
        lines = [f"# {query.summary}", f"# canned query {query.name}: GET /queries/{query.name}"]
        for name, kind, example in query.parameters:
            lines.append(f"# parameter {name} ({kind}) is ?_{name}, here {example}")
        try:
            text = bind_values(query.sparql, query.bound)
        except ValueError:
            text = query.sparql
        examples.append(ExampleQuery(query.name, query.summary, "\n".join(lines) + "\n" + text))
    return tuple(examples)


def _catalogue() -> list[_Catalogued]:
    try:
        from api.catalogue import default_catalogue

        catalogue = default_catalogue()
    except Exception:  # a broken catalogue must not take the editor down with it
        log.exception("the canned queries could not be loaded for the editor")
        return []
    found = []
    for name, query in sorted(catalogue.items()):
        try:
            bound = {variable: str(term) for variable, term in query.bind(query.example).items()}
        except ValueError:
            bound = {}
        parameters = [(p.name, p.type, p.example) for p in query.parameters]
        found.append(_Catalogued(name, query.summary, query.sparql.strip(), parameters, bound))
    return found


# ------------------------------------------------------------------------ assets


@router.get("/assets/yasgui/{name}", include_in_schema=False)
async def yasgui_asset(name: str) -> FileResponse:
    media_type = YASGUI_FILES.get(name)
    path = yasgui_dir() / name if media_type is not None else None
    if media_type is None or path is None or not path.is_file():
        raise ApiError(404, f"no asset named {name!r}")
    return FileResponse(path, media_type=media_type, headers=ASSET_CACHE)


@router.get("/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None or not (STATIC_DIR / name).is_file():
        raise ApiError(404, f"no asset named {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=ASSET_CACHE)


__all__ = ["editor_html", "example_queries", "router", "yasgui_available", "yasgui_dir"]
