"""The pages around the data: the tracker, ontology, shapes, VoID, dumps, timeline, funding,
editor, API documentation.

- `/`: the tracker of the commitments (actions by status, sums, next dated step), and where to
  start;
- `/ontology`, `/shapes`, `/void`: the files as Turtle (also for `*/*`), JSON-LD, N-Triples or
  RDF/XML by Accept (or `?format=`), and as a page for browsers;
- `/dumps/{emkg.ttl|emkg.nt|emkg.jsonld}`: the built graph, those three names and no others;
- `/timeline`: events and dated actions drawn on a time axis (vis-timeline), and as a table;
- `/funding`: the sums by place, by commitment and one by one (Chart.js), each counted once;
- `/docs`: Swagger UI over `/openapi.json`;
- `/assets/...`: this module's CSS and scripts, and the built files of the front-end libraries
  npm installed into node_modules (YASGUI, Swagger UI, vis-timeline, Chart.js): a fixed list of
  names per library, nothing else.

The SPARQL router's `editor_page` calls `editor_html`: YASGUI with every canned query as an
example tab when its files are there (`node_modules/@zazuko/yasgui/build`, or the folder named
by the `EMKG_YASGUI_DIR` environment variable), a plain form posting to /sparql otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from api.app import StoreDep
from api.assets import (
    LIBRARIES,
    YASGUI_DIR_VARIABLE,
    YASGUI_FILES,
    node_modules,
    yasgui_available,
    yasgui_dir,
)
from api.errors import ApiError
from api.html import (
    ExampleQuery,
    FundingBar,
    FundingItem,
    FundingView,
    StatusCount,
    TimelineRow,
    TrackedCommitment,
    docs_page,
    editor_page,
    form_editor_page,
    format_dates,
    funding_page,
    landing_page,
    ontology_page,
    shapes_page,
    timeline_page,
    void_page,
)
from api.routers.resources import HTML, choose_representation, internal_query
from api.settings import SettingsDep
from api.stores import QueryStore, Rows
from graph.prefixes import PREFIXES
from graph.resources import SHAPES_FILE

log = logging.getLogger("emkg.pages")

router = APIRouter(tags=["pages"])

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
VOID_FILE = "void.ttl"

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
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
ASSETS = {
    "site.css": CSS,
    "favicon.svg": "image/svg+xml",
    "editor.js": JS,
    "timeline.js": JS,
    "funding.js": JS,
    "docs.js": JS,
}
ASSET_CACHE = {"Cache-Control": "public, max-age=3600"}
FORMAT_QUERY = Query(description="html, ttl, jsonld, nt or rdf; overrides Accept")


# ------------------------------------------------------------------------ landing page


@router.get(
    "/", summary="The tracker of the commitments, and where to start", response_class=HTMLResponse
)
async def landing(store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    statuses, funding, timeline_rows, letter = await asyncio.gather(
        store.select(internal_query("commitment-tracker")),
        store.select(internal_query("funding-by-commitment")),
        store.select(internal_query("timeline-items")),
        store.select(internal_query("letter-date")),
    )
    letter_date = _date(letter[0].get("date")) if letter else None
    commitments, legend = tracker(statuses, funding, timeline_items(timeline_rows), letter_date)
    html = landing_page(
        commitments, legend, letter_date, store.triple_count, store.version, settings.base_iri
    )
    return HTMLResponse(html)


def tracker(
    statuses: Rows,
    funding: Rows,
    items: Sequence[TimelineRow],
    letter_date: dt.date | None,
) -> tuple[list[TrackedCommitment], list[tuple[str, str]]]:
    """The commitments in number order, each with its actions by status, its sums counted
    once, and its next dated step after the letter (or its last one, when none is later)."""
    counts: dict[str, list[StatusCount]] = {}
    facts: dict[str, tuple[str, str, str | None]] = {}
    legend: dict[str, str] = {}
    for row in statuses:
        iri = str(row["commitment"])
        facts.setdefault(
            iri, (str(row["number"]), _text(row.get("label")) or iri, _text(row.get("title")))
        )
        counts.setdefault(iri, [])
        actions = row.get("actions")
        if isinstance(actions, int) and actions > 0:
            status = _text(row.get("status"))
            label = _text(row.get("statusLabel")) or (status or "no status").rsplit("#", 1)[-1]
            counts[iri].append(StatusCount(status, label.lower(), actions))
            if status:
                legend[status] = label.lower()
    money = {
        str(row["commitment"]): (row.get("totalEUR"), row.get("instruments")) for row in funding
    }
    steps: dict[str, list[TimelineRow]] = {}
    for item in items:
        for iri, _number, _label in item.commitments:
            steps.setdefault(iri, []).append(item)
    tracked = []
    for iri, (number, label, title) in facts.items():
        total, instruments = money.get(iri, (None, 0))
        next_item, past = _next_step(steps.get(iri, []), letter_date)
        tracked.append(
            TrackedCommitment(
                iri=iri,
                number=number,
                label=label,
                title=title,
                counts=sorted(counts[iri], key=lambda c: _status_order(c.status)),
                funding=Decimal(str(total)) if isinstance(total, Decimal | int) else None,
                instruments=instruments if isinstance(instruments, int) else 0,
                next_item=next_item,
                next_is_past=past,
            )
        )
    tracked.sort(key=lambda c: (int(c.number) if c.number.isdigit() else 10**6, c.number))
    ordered = sorted(legend.items(), key=lambda pair: _status_order(pair[0]))
    return tracked, [(iri.rsplit("#", 1)[-1].lower(), label) for iri, label in ordered]


STATUS_ORDER = ("Completed", "Ongoing", "Planned")


def _status_order(status: str | None) -> tuple[int, str]:
    local = (status or "").rsplit("#", 1)[-1]
    return (STATUS_ORDER.index(local) if local in STATUS_ORDER else len(STATUS_ORDER), local)


def _next_step(
    items: Sequence[TimelineRow], letter_date: dt.date | None
) -> tuple[tuple[str, str, str] | None, bool]:
    dated = sorted(
        (i for i in items if i.start is not None), key=lambda i: (i.start, i.end or i.start)
    )
    if not dated:
        return None, False
    later = [i for i in dated if letter_date is None or (i.start and i.start >= letter_date)]
    chosen, past = (later[0], False) if later else (dated[-1], True)
    return (chosen.iri, chosen.label, format_dates(chosen.start, chosen.end)), past


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
        from api.rdf_views import ontology_view, parsed  # rdflib, only for this page

        view = ontology_view(parsed(path, *_stamp(path)), settings.base_iri)
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
        from api.rdf_views import parsed, shape_views  # rdflib, only for this page

        views = shape_views(parsed(SHAPES_FILE, *_stamp(SHAPES_FILE)))
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
        from api.rdf_views import parsed, void_facts  # rdflib, only for this page

        facts = void_facts(parsed(path, *_stamp(path)), settings)
        return HTMLResponse(void_page(turtle, facts, settings.base_iri), headers={"Vary": "Accept"})
    return _rdf_file(path, media_type)


def _rdf_file(path: Path, media_type: str) -> Response:
    """The file itself as Turtle; other RDF types converted (once per file version)."""
    if media_type == "text/turtle":
        body = path.read_bytes()
    else:
        from api.rdf_views import converted  # rdflib, only for another RDF type

        body = converted(path, *_stamp(path), RDFLIB_FORMATS[media_type])
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return Response(body, media_type=content_type, headers={"Vary": "Accept"})


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


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
    summary="Events and dated actions on a time axis, and as a table (a page)",
    response_class=HTMLResponse,
)
async def timeline(store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    rows = await store.select(internal_query("timeline-items"))
    return HTMLResponse(timeline_page(timeline_items(rows), settings.base_iri))


def timeline_items(rows: Rows) -> list[TimelineRow]:
    items = []
    for row in rows:
        status = _text(row.get("status"))
        items.append(
            TimelineRow(
                iri=str(row["resource"]),
                kind=str(row["kind"]),
                label=str(row["label"]),
                start=_date(row.get("startDate")),
                end=_date(row.get("endDate")),
                date_phrase=_text(row.get("datePhrase")),
                status=(status, _text(row.get("statusLabel")) or status.rsplit("#", 1)[-1])
                if status
                else None,
                commitments=sorted(
                    (
                        (p[0], p[1], p[2] if len(p) > 2 else p[1])
                        for p in _lines(row.get("commitments"), 2)
                    ),
                    key=lambda c: (int(c[1]) if c[1].isdigit() else 10**6, c[1]),
                ),
                places=sorted(
                    ((p[0], p[1]) for p in _lines(row.get("places"), 2)), key=lambda p: p[1]
                ),
            )
        )
    return items


def _lines(value: object, fields: int) -> list[list[str]]:
    """The "IRI<TAB>text…" lines of a GROUP_CONCAT, each with at least `fields` parts."""
    found = []
    for line in str(value or "").split("\n"):
        parts = line.split("\t")
        if len(parts) >= fields and parts[0]:
            found.append(parts)
    return found


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


# ------------------------------------------------------------------------ funding


@router.get(
    "/funding",
    summary="The sums of money by place, by commitment and one by one, each counted once (a page)",
    response_class=HTMLResponse,
)
async def funding(store: StoreDep, settings: SettingsDep) -> HTMLResponse:
    return HTMLResponse(funding_page(await funding_view(store), settings.base_iri))


async def funding_view(store: QueryStore) -> FundingView:
    """The figures of /funding. By place and in total they are the canned queries' own
    (`funding-by-country`, `funding-total`), so the page and the API cannot disagree."""
    from api.catalogue import default_catalogue

    catalogue = default_catalogue()
    by_country, total, by_commitment, instruments = await asyncio.gather(
        _canned(store, catalogue.get("funding-by-country")),
        _canned(store, catalogue.get("funding-total")),
        store.select(internal_query("funding-by-commitment")),
        store.select(internal_query("funding-instruments")),
    )
    whole = total[0] if total else {}
    return FundingView(
        total=_decimal(whole.get("totalEUR")),
        counted=_int(whole.get("instruments")),
        components=_int(whole.get("components")),
        by_place=[
            FundingBar(
                iri=str(row["place"]),
                label=str(row.get("placeLabel") or row["place"]),
                kind=_words(_text(row.get("placeType"))),
                total=_decimal(row.get("totalEUR")) or Decimal(0),
                instruments=_int(row.get("instruments")) or 0,
            )
            for row in by_country
        ],
        by_commitment=sorted(
            (
                FundingBar(
                    iri=str(row["commitment"]),
                    label=str(row.get("label") or row["number"]),
                    kind=None,
                    total=_decimal(row.get("totalEUR")) or Decimal(0),
                    instruments=_int(row.get("instruments")) or 0,
                )
                for row in by_commitment
            ),
            key=lambda bar: -bar.total,
        ),
        instruments=_nested(
            [
                FundingItem(
                    iri=str(row["money"]),
                    label=str(row.get("label") or row["money"]),
                    amount=_decimal(row.get("amountEUR")) or Decimal(0),
                    phrase=_text(row.get("amountPhrase")),
                    part_of=(str(row["partOf"]), str(row.get("partOfLabel") or row["partOf"]))
                    if row.get("partOf")
                    else None,
                    commitments=sorted(
                        {(p[0], p[1]) for p in _lines(row.get("commitments"), 2)},
                        key=lambda c: (int(c[1]) if c[1].isdigit() else 10**6, c[1]),
                    ),
                )
                for row in instruments
            ]
        ),
    )


async def _canned(store: QueryStore, query: object) -> Rows:
    from api.catalogue import CannedQuery

    if not isinstance(query, CannedQuery):
        raise ApiError(503, "a canned funding query the page needs is missing")
    return await store.select(query.sparql, query.bind({}))


def _nested(items: list[FundingItem]) -> list[FundingItem]:
    """Largest first, each part right after the sum it is part of."""
    parts: dict[str, list[FundingItem]] = {}
    for item in items:
        if item.part_of is not None:
            parts.setdefault(item.part_of[0], []).append(item)
    known = {item.iri for item in items}
    ordered: list[FundingItem] = []

    def add(item: FundingItem, depth: int) -> None:
        ordered.append(item)
        if depth < 10:
            for part in parts.get(item.iri, []):
                add(part, depth + 1)

    for item in items:
        if item.part_of is None or item.part_of[0] not in known:
            add(item, 0)
    return ordered


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _words(name: str | None) -> str | None:
    """`PartnerCountry` as `partner country`."""
    if not name:
        return None
    return "".join(" " + ch.lower() if ch.isupper() else ch for ch in name).strip()


# ------------------------------------------------------------------------ the query editor


def editor_html(endpoint: str) -> str:
    """The editor page for browsers at `endpoint` (see the module's docstring)."""
    examples = example_queries()
    if yasgui_available():
        return editor_page(endpoint, examples, internal_query("editor-starter"), editor_prefixes())
    return form_editor_page(endpoint, examples, internal_query("editor-starter"))


def editor_prefixes() -> dict[str, str]:
    """The prefixes answers are shown with: the graph's own (`id/agency/` as `agency:`), then
    the vocabularies it uses."""
    from graph.prefixes import BASE, KINDS

    prefixes = {kind: f"{BASE}id/{kind}/" for kind in KINDS}
    prefixes.update(PREFIXES)
    return prefixes


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


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    """Swagger UI from node_modules (`swagger-ui-dist`): no file from another host."""
    return HTMLResponse(docs_page(request.app.title, request.app.openapi_url or "/openapi.json"))


@router.get("/assets/yasgui/{name}", include_in_schema=False)
async def yasgui_asset(name: str) -> FileResponse:
    media_type = YASGUI_FILES.get(name)
    path = yasgui_dir() / name if media_type is not None else None
    if media_type is None or path is None or not path.is_file():
        raise ApiError(404, f"no asset named {name!r}")
    return FileResponse(path, media_type=media_type, headers=ASSET_CACHE)


@router.get("/assets/{library}/{name}", include_in_schema=False)
async def library_asset(library: str, name: str) -> FileResponse:
    # only the listed names: a name from the request never becomes a path by itself
    found = LIBRARIES.get(library, {}).get(name)
    path = node_modules() / found[0] if found is not None else None
    if found is None or path is None or not path.is_file():
        raise ApiError(404, f"no asset named {library}/{name}")
    return FileResponse(path, media_type=found[1], headers=ASSET_CACHE)


@router.get("/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None or not (STATIC_DIR / name).is_file():
        raise ApiError(404, f"no asset named {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=ASSET_CACHE)


__all__ = [
    "YASGUI_DIR_VARIABLE",
    "editor_html",
    "example_queries",
    "funding_view",
    "router",
    "timeline_items",
    "tracker",
    "yasgui_available",
    "yasgui_dir",
]
