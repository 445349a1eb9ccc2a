"""The pages for people: Jinja2 templates in `api/templates/`, one base layout and one
template per kind of page, with autoescaping on.

The routers hand over plain data (dataclasses of strings, numbers and dates, lists, dicts);
every value is escaped by the template engine. Links to the graph's own IRIs point at this
server (the `href` filter), links elsewhere stay as they are. No page loads anything from
another host: `/assets/site.css`, and the front-end libraries installed by npm and served from
`/assets/…` (YASGUI, Swagger UI, vis-timeline, Chart.js).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

from markupsafe import Markup

from api.assets import library_ready

SITE_NAME = "EU migration knowledge graph"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
BASE_IRI = "https://w3id.org/eu-migration-kg/"

NAVIGATION = (
    ("/", "Tracker"),
    ("/timeline", "Timeline"),
    ("/funding", "Funding"),
    ("/queries", "Queries"),
    ("/sparql", "SPARQL"),
    ("/ontology", "Ontology"),
    ("/void", "Dataset"),
    ("/docs", "API"),
)


# ------------------------------------------------------------------------ links and values


def local_href(iri: str, base_iri: str = BASE_IRI) -> str:
    """Where a browser should go for `iri`: this server's page for the graph's own IRIs."""
    if not iri.startswith(base_iri):
        return iri
    rest = iri[len(base_iri) :]
    if rest in ("dataset", ""):
        return "/void" if rest else "/"
    return "/" + rest


EXTERNAL_SOURCES = (
    ("http://publications.europa.eu/resource/authority/country/", "EU authority table: country"),
    (
        "http://publications.europa.eu/resource/authority/corporate-body/",
        "EU authority table: corporate body",
    ),
    ("http://www.wikidata.org/entity/", "Wikidata"),
    ("http://eurovoc.europa.eu/", "EuroVoc"),
)


def external_source(iri: str) -> tuple[str, str]:
    """(which dataset, the identifier inside it) for an IRI of other EU open data."""
    for prefix, name in EXTERNAL_SOURCES:
        if iri.startswith(prefix):
            return name, iri[len(prefix) :]
    return "elsewhere", iri


def format_value(value: object) -> str:
    """A literal for reading: dates as ISO days, amounts with thousands separators."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        whole = value == value.to_integral_value()
        return f"{value:,.0f}" if whole else f"{value:,}"
    if isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, float) else str(value)
    return "" if value is None else str(value)


def format_dates(start: object, end: object) -> str:
    """`2023-03-16`, or `2023-03-01 – 2023-03-31` when the span is longer than a day."""
    first = format_value(start) if start is not None else ""
    last = format_value(end) if end is not None else ""
    if not last or last == first:
        return first
    if not first:
        return f"until {last}"
    return f"{first} – {last}"


def format_eur(value: object) -> str:
    """`EUR 624 million`, `EUR 1.2 billion`, `EUR 80` for reading."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    for size, word in ((Decimal(10**9), "billion"), (Decimal(10**6), "million")):
        if abs(amount) >= size:
            scaled = (amount / size).quantize(Decimal("0.01")).normalize()
            return f"EUR {scaled:f} {word}"
    return f"EUR {format_value(amount)}"


def paragraphs(text: str) -> list[str]:
    """Multi-line text (a commitment's full text) as paragraphs; bullets stay on their lines."""
    return [block.strip() for block in text.replace("\r\n", "\n").split("\n") if block.strip()]


def script_json(data: object) -> Markup:
    """JSON for a `<script type="application/json">` element: `<` escaped so that no string
    in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, default=_json_default).replace("<", "\\u003c")
    return Markup(text)  # noqa: S704 - JSON with "<" escaped, inside a data script element


def _json_default(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


# ------------------------------------------------------------------------ the engine


@cache
def _environment() -> Environment:
    """The template engine, made on the first page: a server that only answers queries never
    imports Jinja2 (about 3 MiB)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = pass_context(_href)
    env.filters["value"] = format_value
    env.filters["eur"] = format_eur
    env.filters["paragraphs"] = paragraphs
    env.filters["script_json"] = script_json
    env.globals["site_name"] = SITE_NAME
    env.globals["navigation"] = NAVIGATION
    env.globals["format_dates"] = format_dates
    env.globals["external_source"] = external_source
    env.globals["library_ready"] = library_ready
    env.globals["cell"] = cell
    return env


def render(template: str, /, **data: Any) -> str:
    """The page `template` (a file of api/templates) filled with `data`."""
    return _environment().get_template(template).render(**data)


def _href(context: Context, iri: object) -> str:
    return local_href(str(iri), str(context.get("base_iri") or BASE_IRI))


# ------------------------------------------------------------------------ resource pages


@dataclass(frozen=True, slots=True)
class Statement:
    """One row of a resource's statements, outgoing or incoming."""

    property: str
    property_label: str
    node: str  # the value (outgoing) or the subject (incoming): an IRI or a literal's text
    node_label: str | None
    is_iri: bool
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class LinkGroup:
    """The resource's own links through one property: `involves` Frontex, Serbia."""

    property: str
    property_label: str
    targets: list[tuple[str, str]]  # (IRI, label)


@dataclass(frozen=True, slots=True)
class Related:
    """A node that points at the resource, once, with every property it points through."""

    iri: str
    label: str
    kind: str | None  # class IRI
    kind_label: str
    roles: list[str]
    start: dt.date | None = None
    end: dt.date | None = None
    status: tuple[str, str] | None = None  # (concept IRI, label)
    notation: str | None = None
    amount: Decimal | None = None
    position: int | None = None  # where its words start in the letter

    @property
    def dates(self) -> str:
        return format_dates(self.start, self.end)


@dataclass(frozen=True, slots=True)
class RelatedGroup:
    kind: str | None
    title: str
    items: list[Related]


@dataclass(frozen=True, slots=True)
class PassageView:
    """A source passage within the text around it."""

    iri: str
    start: int
    end: int
    exact: str
    before: str  # context, already trimmed; empty when the text is not at hand
    after: str
    clipped_before: bool
    clipped_after: bool
    source: str | None


@dataclass(frozen=True, slots=True)
class Summary:
    """The facts a reader looks for first."""

    label: str
    kinds: list[tuple[str, str]]  # (class IRI, class label)
    title: str | None = None
    notation: str | None = None
    description: str | None = None
    aliases: list[str] = field(default_factory=list)
    #: its names in the other EU languages: (name, its language tags), each name once
    other_names: list[tuple[str, list[str]]] = field(default_factory=list)
    dates: str | None = None
    date_phrases: list[str] = field(default_factory=list)
    status: tuple[str, str] | None = None  # (concept IRI, label)
    amount: str | None = None
    amount_phrases: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ResourceView:
    iri: str
    summary: Summary
    links: list[LinkGroup]
    actions: list[Related]  # a commitment's actions, in the letter's order
    related: list[RelatedGroup]
    others: list[Statement]
    external: list[Statement]
    passages: list[PassageView]
    representations: list[tuple[str, str]]  # (media type, href)


FORMAT_NAMES = {
    "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF/XML",
    "text/plain": "stored text",
}


def resource_page(view: ResourceView, base_iri: str) -> str:
    return render("resource.html", view=view, base_iri=base_iri, format_names=FORMAT_NAMES)


def not_found_page(path: str, reason: str) -> str:
    return render("not_found.html", path=path, reason=reason, base_iri=BASE_IRI)


# ------------------------------------------------------------------------ home page: the tracker


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str | None  # concept IRI
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class TrackedCommitment:
    iri: str
    number: str
    label: str
    title: str | None
    counts: list[StatusCount]
    funding: Decimal | None
    instruments: int
    next_item: tuple[str, str, str] | None  # (IRI, label, dates)
    next_is_past: bool = False  # no dated item after the letter: the last one instead

    @property
    def actions(self) -> int:
        return sum(count.count for count in self.counts)


def landing_page(
    commitments: Sequence[TrackedCommitment],
    statuses: Sequence[tuple[str, str]],
    letter_date: dt.date | None,
    triples: int,
    version: str,
    base_iri: str,
) -> str:
    return render(
        "landing.html",
        commitments=commitments,
        statuses=statuses,
        letter_date=letter_date,
        triples=triples,
        version=version,
        base_iri=base_iri,
    )


# ------------------------------------------------------------------------ timeline


@dataclass(frozen=True, slots=True)
class TimelineRow:
    iri: str
    kind: str
    label: str
    start: dt.date | None
    end: dt.date | None
    date_phrase: str | None
    status: tuple[str, str] | None  # (concept IRI, label)
    commitments: list[tuple[str, str, str]]  # (IRI, number, label)
    places: list[tuple[str, str]]  # (IRI, label)


def timeline_page(rows: Sequence[TimelineRow], base_iri: str) -> str:
    items = [
        {
            "id": row.iri,
            "href": local_href(row.iri, base_iri),
            "kind": row.kind,
            "label": row.label,
            "start": row.start,
            "end": row.end,
            "phrase": row.date_phrase,
            "status": row.status[1] if row.status else None,
            "statusClass": _css_name(row.status[0]) if row.status else "none",
            "commitments": [
                {"id": iri, "label": label, "number": number}
                for iri, number, label in row.commitments
            ],
            "places": [{"id": iri, "label": label} for iri, label in row.places],
        }
        for row in rows
    ]
    statuses = sorted({(_css_name(r.status[0]), r.status[1]) for r in rows if r.status})
    return render("timeline.html", rows=rows, items=items, statuses=statuses, base_iri=base_iri)


def _css_name(iri: str) -> str:
    """`completed` for emk:Completed: a class name for colours."""
    local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return "".join(ch for ch in local.lower() if ch.isalnum() or ch == "-") or "none"


# ------------------------------------------------------------------------ funding


@dataclass(frozen=True, slots=True)
class FundingBar:
    iri: str
    label: str
    kind: str | None
    total: Decimal
    instruments: int


@dataclass(frozen=True, slots=True)
class FundingItem:
    iri: str
    label: str
    amount: Decimal
    phrase: str | None
    part_of: tuple[str, str] | None  # (IRI, label): a part of a larger sum, not added again
    commitments: list[tuple[str, str]]  # (IRI, number)


@dataclass(frozen=True, slots=True)
class FundingView:
    total: Decimal | None
    counted: int | None
    components: int | None
    by_place: list[FundingBar]
    by_commitment: list[FundingBar]
    instruments: list[FundingItem]


def funding_page(view: FundingView, base_iri: str) -> str:
    def bars(rows: Sequence[FundingBar]) -> list[dict[str, object]]:
        return [
            {
                "label": bar.label,
                "href": local_href(bar.iri, base_iri),
                "total": bar.total,
                "instruments": bar.instruments,
            }
            for bar in rows
        ]

    charts = {
        "place": bars(view.by_place),
        "commitment": bars(view.by_commitment),
        "sum": [
            {
                "label": item.label,
                "href": local_href(item.iri, base_iri),
                "total": item.amount,
                "instruments": 1,
            }
            for item in view.instruments
            if item.part_of is None
        ],
    }
    return render("funding.html", view=view, charts=charts, base_iri=base_iri)


# ------------------------------------------------------------------------ canned queries


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    type: str  # the parameter's type
    required: bool
    description: str
    value: str
    choices: list[str] = field(default_factory=list)  # for a select


@dataclass(frozen=True, slots=True)
class QueryCard:
    name: str
    summary: str
    description: str
    tags: list[str]
    fields: list[FormField]


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    columns: list[str]
    rows: list[dict[str, object]]
    total: int | None
    limit: int
    offset: int
    csv_href: str
    json_href: str
    next_href: str | None
    prev_href: str | None


def queries_page(cards: Sequence[QueryCard], base_iri: str) -> str:
    return render("queries.html", cards=cards, base_iri=base_iri)


def query_page(
    card: QueryCard, answer: QueryAnswer | None, error: str | None, base_iri: str
) -> str:
    return render("query.html", card=card, answer=answer, error=error, base_iri=base_iri)


def cell(value: object) -> tuple[str, str | None]:
    """(text, link) for an answer's cell: IRIs link, numbers and dates read well."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value, value
    if isinstance(value, Decimal):
        return format_value(value), None
    return format_value(value), None


# ------------------------------------------------------------------------ ontology


@dataclass(frozen=True, slots=True)
class TermView:
    iri: str
    name: str  # the anchor: the local name
    label: str
    definition: str | None
    comment: str | None
    kind: str  # "class", "object property", "datatype property", "concept", …
    parents: list[tuple[str, str]] = field(default_factory=list)  # (IRI, shown as)
    domains: list[tuple[str, str]] = field(default_factory=list)
    ranges: list[tuple[str, str]] = field(default_factory=list)
    equivalents: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OntologyView:
    iri: str
    title: str
    description: str | None
    version: str | None
    version_iri: str | None
    modified: str | None
    license: str | None
    comment: str | None
    classes: list[TermView]
    properties: list[TermView]
    concepts: list[TermView]


def ontology_page(view: OntologyView, base_iri: str) -> str:
    return render("ontology.html", view=view, base_iri=base_iri)


# ------------------------------------------------------------------------ shapes and VoID


@dataclass(frozen=True, slots=True)
class ShapeView:
    iri: str
    name: str
    target: str | None
    message: str | None
    properties: list[tuple[str, str]]  # (path, constraints in words)


def shapes_page(shapes: Sequence[ShapeView], base_iri: str) -> str:
    return render("shapes.html", shapes=shapes, base_iri=base_iri)


@dataclass(frozen=True, slots=True)
class Fact:
    """A line of the dataset description: text, or links (href, text)."""

    name: str
    text: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)


def void_page(turtle: str, facts: Iterable[Fact], base_iri: str = BASE_IRI) -> str:
    return render("void.html", turtle=turtle, facts=list(facts), base_iri=base_iri)


# ------------------------------------------------------------------------ questions


def ask_page(
    question: str,
    result: dict[str, Any] | None,
    error: Any,
    examples: Sequence[str],
) -> str:
    """The answer to a question in plain words (GET /ask in a browser), or why it could not
    be read (an ApiError with what was understood and suggestions)."""
    problem = None
    if error is not None:
        detail = error.detail if isinstance(error.detail, dict) else {}
        problem = {
            "message": error.error,
            "understood": detail.get("understood"),
            "suggestions": detail.get("suggestions") or [],
        }
    return render(
        "ask.html",
        question=question,
        result=result,
        problem=problem,
        examples=examples,
        base_iri=BASE_IRI,
    )


# ------------------------------------------------------------------------ query editor and docs


@dataclass(frozen=True, slots=True)
class ExampleQuery:
    name: str
    summary: str
    query: str


def editor_page(
    endpoint: str,
    examples: Sequence[ExampleQuery],
    starter: str,
    prefixes: dict[str, str] | None = None,
) -> str:
    """YASGUI with one tab per example; the configuration travels as JSON, not as script."""
    config = {
        "endpoint": endpoint,
        "starter": starter,
        "prefixes": prefixes or {},
        "examples": [{"name": e.name, "summary": e.summary, "query": e.query} for e in examples],
    }
    return render(
        "editor.html", endpoint=endpoint, examples=examples, config=config, base_iri=BASE_IRI
    )


def form_editor_page(endpoint: str, examples: Sequence[ExampleQuery], starter: str) -> str:
    """The editor without JavaScript: a form per query, posting to the endpoint."""
    return render(
        "editor_form.html", endpoint=endpoint, examples=examples, starter=starter, base_iri=BASE_IRI
    )


def docs_page(title: str, openapi_url: str) -> str:
    """Swagger UI, served from node_modules, over this API's OpenAPI document."""
    return render("docs.html", title=title, openapi_url=openapi_url, base_iri=BASE_IRI)


__all__ = [
    "ExampleQuery",
    "Fact",
    "FormField",
    "FundingBar",
    "FundingItem",
    "FundingView",
    "LinkGroup",
    "OntologyView",
    "PassageView",
    "QueryAnswer",
    "QueryCard",
    "Related",
    "RelatedGroup",
    "ResourceView",
    "ShapeView",
    "Statement",
    "StatusCount",
    "Summary",
    "TermView",
    "TimelineRow",
    "TrackedCommitment",
    "ask_page",
    "docs_page",
    "editor_page",
    "form_editor_page",
    "format_dates",
    "format_eur",
    "format_value",
    "funding_page",
    "landing_page",
    "local_href",
    "not_found_page",
    "ontology_page",
    "queries_page",
    "query_page",
    "render",
    "resource_page",
    "shapes_page",
    "timeline_page",
    "void_page",
]
