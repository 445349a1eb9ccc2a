"""GET /id/{kind}/{slug}: every IRI of the graph, dereferenced on this server.

The server stands for the base IRI: `/id/agency/frontex` here is
`https://w3id.org/eu-migration-kg/id/agency/frontex` (`settings.base_iri`). What comes back
depends on Accept (RFC 9110 q-values), or on `?format=` for links a browser can follow:

- `text/html` (browsers): a page for people: first what the resource is (its summary, its own
  links, links to other EU open data), then what concerns it, grouped by kind in date order,
  each node once with its dates, status and roles (a commitment lists its actions in the
  letter's order), then its source passages highlighted in their context, folded;
- `text/turtle`, `application/ld+json`, `application/n-triples`, `application/rdf+xml`: its
  description (its own statements, the statements pointing at it, the labels of both ends);
- `text/plain`, for the document only: the stored text that passages' offsets index, byte
  for byte as the build wrote it.

With `*/*` or no Accept at all the answer is Turtle: a client that names no type is a program
more often than a person (browsers list text/html first). An unknown kind or a malformed slug
is a 404 before the store is asked; so is an IRI the graph says nothing about.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.app import StoreDep
from api.catalogue import QUERIES_DIR
from api.errors import ApiError, bad_parameter, not_acceptable
from api.html import (
    LinkGroup,
    PassageView,
    Related,
    RelatedGroup,
    ResourceView,
    Statement,
    Summary,
    format_dates,
    format_value,
    not_found_page,
    resource_page,
)
from api.negotiation import negotiate
from api.settings import Settings, SettingsDep
from api.stores import QueryStore, Rows
from api.stores.preflight import iri_term
from graph.prefixes import KINDS, PREFIXES

router = APIRouter(tags=["resources"])

INTERNAL_QUERIES = QUERIES_DIR / "internal"

HTML = "text/html"
TEXT = "text/plain"
#: what a resource can be sent as; the first is the answer to `*/*` and to no Accept at all
RDF_TYPES = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
OFFERS = [RDF_TYPES[0], HTML, *RDF_TYPES[1:]]
ALIASES = {
    "application/xhtml+xml": HTML,
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/n3": "text/turtle",
    "application/json": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
}
FORMAT_NAMES = {
    "html": HTML,
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "txt": TEXT,
    "text": TEXT,
}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 200
CONTEXT_CHARS = 100  # on each side of a passage: about 200 characters of context in all

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "http://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
EMK = PREFIXES["emk"]

#: names for the properties of other vocabularies, which the ontology does not label
PROPERTY_NAMES = {
    RDF + "type": "is a",
    RDFS + "label": "label",
    SKOS + "altLabel": "also called",
    SKOS + "prefLabel": "label",
    SKOS + "notation": "number",
    SKOS + "exactMatch": "same as",
    SKOS + "inScheme": "in scheme",
    DCT + "title": "title",
    DCT + "alternative": "also titled",
    DCT + "description": "text",
    DCT + "subject": "subject",
    DCT + "isPartOf": "part of",
    DCT + "creator": "creator",
    DCT + "publisher": "publisher",
    DCT + "license": "licence",
    DCT + "date": "date",
    DCT + "source": "source",
    SCHEMA + "startDate": "start date",
    SCHEMA + "endDate": "end date",
    PROV + "wasDerivedFrom": "derived from",
    "http://www.w3.org/ns/oa#hasSource": "source",
    "http://www.w3.org/ns/oa#exact": "words",
    "http://www.w3.org/ns/oa#start": "start offset",
    "http://www.w3.org/ns/oa#end": "end offset",
}
#: shown in the summary or the passages section, so not again among the other statements
SUMMARISED = frozenset(
    {
        RDF + "type",
        RDFS + "label",
        SKOS + "altLabel",
        SKOS + "notation",
        DCT + "title",
        DCT + "description",
        SCHEMA + "startDate",
        SCHEMA + "endDate",
        EMK + "datePhrase",
        EMK + "status",
        EMK + "amountEUR",
        EMK + "amountPhrase",
        PROV + "wasDerivedFrom",
        "http://www.w3.org/ns/oa#exact",
    }
)
EXTERNAL_LINKS = frozenset({SKOS + "exactMatch", DCT + "subject"})


@cache
def internal_query(name: str) -> str:
    """The text of `queries/internal/{name}.rq`: the queries the pages run."""
    return (INTERNAL_QUERIES / f"{name}.rq").read_text(encoding="utf-8")


@router.get(
    "/id/{kind}/{slug}",
    summary="A resource of the graph: HTML for people, RDF for machines",
    response_class=Response,
    responses={
        200: {
            "description": "the resource, in the type Accept (or `format`) asks for",
            "content": {
                "text/turtle": {},
                "text/html": {},
                "application/ld+json": {},
                "application/n-triples": {},
                "application/rdf+xml": {},
                "text/plain": {"description": "the document's stored text (document only)"},
            },
        },
        304: {"description": "not modified (If-None-Match)"},
        404: {"description": "no such resource"},
        406: {"description": "none of the acceptable types can be produced"},
    },
)
async def resource(
    kind: str,
    slug: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    format: Annotated[
        str | None,
        Query(description="html, ttl, jsonld, nt, rdf (or txt for the document); overrides Accept"),
    ] = None,
) -> Response:
    accept = request.headers.get("accept")
    if kind not in KINDS or len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        reason = f"unknown kind {kind!r}" if kind not in KINDS else "malformed slug"
        return not_found(request, accept, reason, {"kinds": list(KINDS)})
    iri = f"{settings.base_iri}id/{kind}/{slug}"
    offers = [*OFFERS, TEXT] if kind == "document" else OFFERS
    media_type = choose_representation(accept, offers, format)
    etag = _etag(store.version, media_type, iri)
    headers = {"Vary": "Accept", "ETag": etag}
    if etag in _if_none_match(request):
        return Response(status_code=304, headers=headers)
    if media_type == TEXT:
        text_file = stored_text_file(settings.graph_dir, iri)
        if text_file is None:
            return not_found(request, accept, "no stored text for this document")
        body = text_file.read_bytes()
        return Response(body, media_type="text/plain; charset=utf-8", headers=headers)
    if media_type == HTML:
        view = await resource_view(store, settings, iri, offers, request.url.path)
        if view is None:
            return not_found(request, accept, "the graph says nothing about it")
        html = resource_page(view, settings.base_iri)
        return HTMLResponse(html, headers=headers)
    result = await store.query(
        internal_query("resource-description"),
        result_format=media_type,
        substitutions={"_iri": iri_term("_iri", iri)},
    )
    if not result.rows:
        return not_found(request, accept, "the graph says nothing about it")
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return Response(result.body, media_type=content_type, headers=headers)


def choose_representation(accept: str | None, offers: list[str], format_name: str | None) -> str:
    """`format=` first, then Accept; raises 422 for an unknown format, 406 for no match."""
    if format_name is not None:
        chosen = FORMAT_NAMES.get(format_name.strip().lower())
        if chosen is None or chosen not in offers:
            names = sorted(name for name, media in FORMAT_NAMES.items() if media in offers)
            raise bad_parameter(f"unknown format {format_name!r}", {"known": names})
        return chosen
    chosen = negotiate(accept, offers, ALIASES)
    if chosen is None:
        raise not_acceptable(offers)
    return chosen


def not_found(request: Request, accept: str | None, reason: str, detail: object = None) -> Response:
    """404: a page for browsers, the API's JSON error otherwise."""
    if negotiate(accept, ["application/json", HTML], ALIASES) == HTML:
        return HTMLResponse(
            not_found_page(request.url.path, reason), status_code=404, headers={"Vary": "Accept"}
        )
    raise ApiError(404, f"no resource at {request.url.path}: {reason}", detail)


# ------------------------------------------------------------------------ the page's data


async def resource_view(
    store: QueryStore, settings: Settings, iri: str, offers: Sequence[str], path: str
) -> ResourceView | None:
    """What the resource page shows, from three queries run side by side; None if unknown."""
    bound = {"_iri": iri_term("_iri", iri)}
    outgoing, passages, related = await asyncio.gather(
        store.select(internal_query("resource-outgoing"), bound),
        store.select(internal_query("resource-passages"), bound),
        store.select(internal_query("resource-related"), bound),
    )
    if not outgoing and not related:
        return None
    statements = [_outgoing(row) for row in outgoing]
    links = [s for s in statements if s.is_iri and s.property not in SUMMARISED | EXTERNAL_LINKS]
    external = [
        s
        for s in statements
        if s.is_iri and s.property in EXTERNAL_LINKS and not s.node.startswith(settings.base_iri)
    ]
    others = [s for s in statements if not s.is_iri and s.property not in SUMMARISED]
    representations = [
        (media, f"{path}?format={_format_name(media)}") for media in offers if media != HTML
    ]
    is_commitment = any(
        str(row["property"]) == RDF + "type" and str(row["value"]) == EMK + "Commitment"
        for row in outgoing
    )
    nodes = related_nodes(related)
    actions: list[Related] = []
    if is_commitment:
        actions = sorted(
            (node for node in nodes if IMPLEMENTS_LABEL in node.roles),
            key=lambda node: (node.position is None, node.position or 0, node.label),
        )
        nodes = [node for node in nodes if IMPLEMENTS_LABEL not in node.roles]
    return ResourceView(
        iri=iri,
        summary=summarise(iri, outgoing),
        links=link_groups(links),
        actions=actions,
        related=related_groups(nodes),
        others=others,
        external=external,
        passages=passage_views(passages, settings.graph_dir),
        representations=representations,
    )


IMPLEMENTS_LABEL = "implements"
#: the kinds of related nodes in the order their groups come; others follow by name
KIND_ORDER = (
    "Commitment",
    "Action",
    "Event",
    "FundingInstrument",
    "Agency",
    "Institution",
    "Person",
    "PartnerCountry",
    "MemberState",
    "Region",
    "Policy",
    "Theme",
)


def link_groups(statements: Sequence[Statement]) -> list[LinkGroup]:
    """The resource's own links, one group per property, each target once."""
    groups: dict[str, LinkGroup] = {}
    for statement in statements:
        group = groups.setdefault(
            statement.property, LinkGroup(statement.property, statement.property_label, [])
        )
        target = (statement.node, statement.node_label or statement.node)
        if target not in group.targets:
            group.targets.append(target)
    return sorted(groups.values(), key=lambda group: group.property_label)


def related_nodes(rows: Rows) -> list[Related]:
    """Each node that points at the resource once, with every property it points through."""
    nodes: dict[str, Related] = {}
    for row in rows:
        subject = str(row["subject"])
        role = property_label(str(row["property"]), row.get("propertyLabel"))
        known = nodes.get(subject)
        if known is not None:
            if role not in known.roles:
                known.roles.append(role)
            continue
        kind = _text(row.get("kind"))
        status = _text(row.get("status"))
        start, end = row.get("startDate"), row.get("endDate")
        amount, position = row.get("amountEUR"), row.get("position")
        nodes[subject] = Related(
            iri=subject,
            label=_text(row.get("label")) or subject.rsplit("/", 1)[-1],
            kind=kind,
            kind_label=_text(row.get("kindLabel")) or (compact(kind) if kind else "Other"),
            roles=[role],
            start=start if isinstance(start, dt.date) else None,
            end=end if isinstance(end, dt.date) else None,
            status=(status, _text(row.get("statusLabel")) or compact(status)) if status else None,
            notation=_text(row.get("notation")),
            amount=Decimal(amount) if isinstance(amount, Decimal | int) else None,
            position=position if isinstance(position, int) else None,
        )
    for node in nodes.values():
        node.roles.sort()
    return list(nodes.values())


def related_groups(nodes: Sequence[Related]) -> list[RelatedGroup]:
    """The nodes grouped by kind; in each group dated nodes first, in date order, then the
    rest in the letter's order."""
    groups: dict[str | None, list[Related]] = {}
    for node in nodes:
        groups.setdefault(node.kind, []).append(node)

    def group_order(kind: str | None) -> tuple[int, str]:
        local = (kind or "").rsplit("#", 1)[-1]
        rank = KIND_ORDER.index(local) if local in KIND_ORDER else len(KIND_ORDER)
        return rank, local

    def node_order(node: Related) -> tuple[object, ...]:
        number = int(node.notation) if node.notation and node.notation.isdigit() else None
        return (
            node.start is None,
            node.start or dt.date.min,
            node.end or dt.date.min,
            number is None,
            number or 0,
            node.position is None,
            node.position or 0,
            node.label,
        )

    return [
        RelatedGroup(kind, _plural(items[0].kind_label), sorted(items, key=node_order))
        for kind, items in sorted(groups.items(), key=lambda pair: group_order(pair[0]))
    ]


def _plural(label: str) -> str:
    """`Funding instruments`, `Agencies`, `People` for a class label."""
    if label.endswith("Person") or label.endswith("person"):
        return label[:-6] + ("People" if label[:-6] == "" else "people")
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy", "uy")):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def summarise(iri: str, outgoing: Rows) -> Summary:
    """The summary facts from the resource's own statements."""
    values: dict[str, list[object]] = {}
    labels: dict[str, str | None] = {}
    for row in outgoing:
        prop, value = str(row["property"]), row["value"]
        values.setdefault(prop, []).append(value)
        if row["isIri"]:
            labels[str(value)] = _text(row.get("valueLabel"))

    def first(prop: str) -> object | None:
        found = values.get(prop)
        return found[0] if found else None

    def texts(prop: str) -> list[str]:
        return sorted(str(value) for value in values.get(prop, []))

    # names: in English (or untagged) as aliases, in the other EU languages apart, each once
    english: set[str] = set()
    in_other_languages: dict[str, set[str]] = {}
    for row in outgoing:
        if str(row["property"]) == SKOS + "altLabel":
            name, language = str(row["value"]), str(row.get("language") or "")
            if language.split("-")[0] in ("", "en"):
                english.add(name)
            else:
                in_other_languages.setdefault(name, set()).add(language)

    label = first(RDFS + "label") or first(SKOS + "prefLabel") or first(DCT + "title")
    kinds = [
        (str(cls), labels.get(str(cls)) or compact(str(cls)))
        for cls in values.get(RDF + "type", [])
    ]
    status = first(EMK + "status")
    amount = first(EMK + "amountEUR")
    description = first(DCT + "description")
    start, end = first(SCHEMA + "startDate"), first(SCHEMA + "endDate")
    return Summary(
        label=str(label) if label is not None else iri.rsplit("/", 1)[-1],
        kinds=sorted(kinds, key=lambda pair: pair[1]),
        title=_text(first(DCT + "title")),
        notation=_text(first(SKOS + "notation")),
        description=_text(description),
        aliases=sorted(english),
        other_names=[
            (name, sorted(tags))
            for name, tags in sorted(
                in_other_languages.items(), key=lambda pair: pair[0].casefold()
            )
        ],
        dates=format_dates(start, end) if start is not None or end is not None else None,
        date_phrases=texts(EMK + "datePhrase"),
        status=(str(status), labels.get(str(status)) or compact(str(status)))
        if status is not None
        else None,
        amount=format_value(amount) if isinstance(amount, Decimal | int) else None,
        amount_phrases=texts(EMK + "amountPhrase"),
    )


def _outgoing(row: dict[str, object]) -> Statement:
    prop = str(row["property"])
    return Statement(
        property=prop,
        property_label=property_label(prop, row.get("propertyLabel")),
        node=format_value(row["value"]),
        node_label=_text(row.get("valueLabel")),
        is_iri=bool(row["isIri"]),
    )


def property_label(iri: str, label: object) -> str:
    if label:
        return str(label)
    return PROPERTY_NAMES.get(iri) or compact(iri)


def compact(iri: str) -> str:
    """`emk:Agency` for an IRI in a known namespace, the IRI itself otherwise."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _format_name(media_type: str) -> str:
    return next(name for name, media in FORMAT_NAMES.items() if media == media_type)


# ------------------------------------------------------------------------ passages in context


@dataclass(frozen=True, slots=True)
class Context:
    before: str
    after: str
    clipped_before: bool
    clipped_after: bool


def passage_views(rows: Rows, graph_dir: Path) -> list[PassageView]:
    views = []
    for row in rows:
        start, end = row["start"], row["end"]
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        exact = str(row["exact"])
        source = _text(row.get("source"))
        text = stored_text(graph_dir, source) if source else None
        if text is not None and text[start:end] == exact:
            context = surrounding(text, start, end)
        else:  # no text at hand, or not the text the offsets index: the words alone
            context = Context("", "", False, False)
        views.append(
            PassageView(
                iri=str(row["passage"]),
                start=start,
                end=end,
                exact=_squeeze(exact),
                before=context.before,
                after=context.after,
                clipped_before=context.clipped_before,
                clipped_after=context.clipped_after,
                source=source,
            )
        )
    return views


_SENTENCE_END = re.compile(r"[.!?;:][\"'’”)]*\s|\n\s*\n|\n[•\-–*]")
_SPACES = re.compile(r"\s+")


def surrounding(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> Context:
    """About `width` characters of `text` on each side of `text[start:end]`: whole sentences
    when they fit in that window, else cut at a word and marked as clipped."""
    lower, upper = max(0, start - width), min(len(text), end + width)
    before, after = text[lower:start], text[end:upper]
    clipped_before = clipped_after = False
    if lower > 0:
        first = next(iter(_SENTENCE_END.finditer(before)), None)
        if first is not None and first.end() < len(before):
            before = before[first.end() :]
        else:
            space = before.find(" ")
            before = before[space + 1 :] if space >= 0 else ""
            clipped_before = True
    if upper < len(text):
        last = None
        for match in _SENTENCE_END.finditer(after):
            if match.start() > 0:
                last = match
        if last is not None:
            after = after[: last.start() + 1]
        else:
            space = after.rfind(" ")
            after = after[:space] if space > 0 else ""
            clipped_after = True
    return Context(
        _squeeze(before, keep_edges=True).lstrip(),
        _squeeze(after, keep_edges=True).rstrip(),
        clipped_before,
        clipped_after,
    )


def _squeeze(text: str, *, keep_edges: bool = False) -> str:
    """Runs of white space (line breaks of the stored text among them) as one space."""
    squeezed = _SPACES.sub(" ", text)
    return squeezed if keep_edges else squeezed.strip()


def stored_text_file(graph_dir: Path, document_iri: str) -> Path | None:
    """The file holding the document's text as the build stored it, per manifest.json."""
    manifest = graph_dir / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("document") != document_iri:
        return None
    name = data.get("text")
    if not isinstance(name, str) or Path(name).name != name:
        return None
    path = graph_dir / name
    return path if path.is_file() else None


def stored_text(graph_dir: Path, document_iri: str) -> str | None:
    path = stored_text_file(graph_dir, document_iri)
    if path is None:
        return None
    stat = path.stat()
    return _read_text(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_text(path: Path, mtime_ns: int, size: int) -> str:
    # decoded from bytes: reading in text mode would translate line ends, shifting offsets
    return path.read_bytes().decode("utf-8")


# ------------------------------------------------------------------------ caching


def _etag(version: str, media_type: str, iri: str) -> str:
    digest = hashlib.sha256(f"{version}\x00{media_type}\x00{iri}".encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def _if_none_match(request: Request) -> set[str]:
    header = request.headers.get("if-none-match", "")
    return {tag.strip() for tag in header.split(",") if tag.strip()}


__all__ = [
    "choose_representation",
    "internal_query",
    "router",
    "stored_text",
    "stored_text_file",
    "surrounding",
]
