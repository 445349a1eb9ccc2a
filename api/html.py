"""The pages for people: one layout and the views that fill it, written with stdlib templates.

Every value that reaches a page passes `html.escape` here (`esc`), so the routers hand over
plain data: dataclasses of strings, numbers and dates. Links to the graph's own IRIs point at
this server (`local_href`), links elsewhere stay as they are. The pages use no external
scripts, fonts or styles: `/assets/site.css` and, on the editor page, YASGUI served from
node_modules.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from string import Template

SITE_NAME = "EU migration knowledge graph"

_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="stylesheet" href="/assets/site.css">
$head</head>
<body>
<header class="site">
<a class="home" href="/">$site</a>
<nav>
<a href="/sparql">SPARQL</a>
<a href="/queries">Queries</a>
<a href="/timeline">Timeline</a>
<a href="/ontology">Ontology</a>
<a href="/void">Dataset</a>
<a href="/docs">API</a>
</nav>
</header>
<main>
$body
</main>
<footer class="site">
Data: <a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>,
from the letter of the President of the European Commission to EU leaders of 20 March 2023.
$footer
</footer>
</body>
</html>
""")


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return escape(str(value), quote=True)


def page(title: str, body: str, *, head: str = "", footer: str = "") -> str:
    """A whole page: `body`, `head` and `footer` are HTML already; `title` is text."""
    full_title = title if title == SITE_NAME else f"{title} — {SITE_NAME}"
    return _LAYOUT.substitute(
        title=esc(full_title), site=esc(SITE_NAME), head=head, body=body, footer=footer
    )


# ------------------------------------------------------------------------ links and values


def local_href(iri: str, base_iri: str) -> str:
    """Where a browser should go for `iri`: this server's page for the graph's own IRIs."""
    if not iri.startswith(base_iri):
        return iri
    rest = iri[len(base_iri) :]
    if rest in ("dataset", ""):
        return "/void" if rest else "/"
    return "/" + rest


def link(iri: str, label: str | None, base_iri: str) -> str:
    text = label if label else iri
    return f'<a href="{esc(local_href(iri, base_iri))}">{esc(text)}</a>'


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
    if isinstance(value, int):
        return str(value)
    return str(value)


def format_dates(start: object, end: object) -> str:
    """`2023-03-16`, or `2023-03-01 – 2023-03-31` when the span is longer than a day."""
    first = format_value(start) if start is not None else ""
    last = format_value(end) if end is not None else ""
    if not last or last == first:
        return first
    if not first:
        return f"until {last}"
    return f"{first} – {last}"


def paragraphs(text: str) -> str:
    """Multi-line text (a commitment's full text) as paragraphs; bullets stay on their lines."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n") if block.strip()]
    return "\n".join(f"<p>{esc(block)}</p>" for block in blocks)


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
    dates: str | None = None
    date_phrases: list[str] = field(default_factory=list)
    status: tuple[str, str] | None = None  # (concept IRI, label)
    amount: str | None = None
    amount_phrases: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ResourceView:
    iri: str
    summary: Summary
    links: list[Statement]
    incoming: list[Statement]
    others: list[Statement]
    external: list[Statement]
    passages: list[PassageView]
    representations: list[tuple[str, str]]  # (format name, href)


def resource_page(view: ResourceView, base_iri: str) -> str:
    summary = view.summary
    head = "".join(
        f'<link rel="alternate" type="{esc(media)}" href="{esc(href)}">\n'
        for media, href in view.representations
    )
    parts = [f'<article class="resource" data-iri="{esc(view.iri)}">']
    kinds = ", ".join(link(iri, label, base_iri) for iri, label in summary.kinds)
    parts.append(f'<p class="kind">{kinds or "resource"}</p>')
    parts.append(f"<h1>{esc(summary.label)}</h1>")
    parts.append(f'<p class="iri"><code>{esc(view.iri)}</code></p>')
    parts.append(_summary_list(summary, base_iri))
    if summary.description:
        parts.append(
            f'<section class="description"><h2>Description</h2>{paragraphs(summary.description)}</section>'
        )
    if view.passages:
        parts.append(_passages_section(view.passages, base_iri))
    if view.links:
        parts.append(_statement_section("Links", "links", view.links, base_iri, incoming=False))
    if view.incoming:
        parts.append(
            _statement_section("Linked from", "incoming", view.incoming, base_iri, incoming=True)
        )
    if view.external:
        parts.append(_external_section(view.external))
    if view.others:
        parts.append(
            _statement_section("Other statements", "others", view.others, base_iri, incoming=False)
        )
    formats = " · ".join(
        f'<a href="{esc(href)}" type="{esc(media)}">{esc(_FORMAT_NAMES.get(media, media))}</a>'
        for media, href in view.representations
    )
    parts.append(f'<p class="formats">This resource as data: {formats}</p>')
    parts.append("</article>")
    return page(summary.label, "\n".join(parts), head=head)


_FORMAT_NAMES = {
    "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF/XML",
    "text/plain": "stored text",
}


def _summary_list(summary: Summary, base_iri: str) -> str:
    rows: list[tuple[str, str]] = []
    if summary.notation:
        rows.append(("Number", esc(summary.notation)))
    if summary.title and summary.title != summary.label:
        rows.append(("Title", esc(summary.title)))
    if summary.aliases:
        rows.append(("Also called", esc(", ".join(summary.aliases))))
    if summary.dates:
        rows.append(("Dates", f'<span class="dates">{esc(summary.dates)}</span>'))
    if summary.date_phrases:
        quoted = "; ".join(f"“{phrase}”" for phrase in summary.date_phrases)
        rows.append(("In the letter's words", esc(quoted)))
    if summary.status:
        iri, label = summary.status
        rows.append(("Status", f'<span class="status">{link(iri, label, base_iri)}</span>'))
    if summary.amount:
        rows.append(("Amount", f'<span class="amount">EUR {esc(summary.amount)}</span>'))
    if summary.amount_phrases:
        rows.append(("Amount in the letter's words", esc("; ".join(summary.amount_phrases))))
    if not rows:
        return ""
    items = "\n".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<dl class="summary">\n{items}\n</dl>'


def _passages_section(passages: Sequence[PassageView], base_iri: str) -> str:
    items = []
    for passage in passages:
        before = ("… " if passage.clipped_before else "") + passage.before
        after = passage.after + (" …" if passage.clipped_after else "")
        where = f"characters {passage.start}–{passage.end}"
        source = f" of {link(passage.source, 'the letter', base_iri)}" if passage.source else ""
        items.append(
            f'<li class="passage"><blockquote>{esc(before)}<mark>{esc(passage.exact)}</mark>'
            f"{esc(after)}</blockquote>"
            f'<p class="where">{link(passage.iri, "passage", base_iri)}, {where}{source}</p></li>'
        )
    return (
        '<section class="passages"><h2>Source passages</h2>'
        "<p>The words this is derived from, <mark>highlighted</mark> in their context.</p>"
        f'<ol class="passages">{"".join(items)}</ol></section>'
    )


def _statement_section(
    title: str, css: str, statements: Sequence[Statement], base_iri: str, *, incoming: bool
) -> str:
    rows = []
    for statement in statements:
        prop = link(statement.property, statement.property_label, base_iri)
        if statement.is_iri:
            node = link(statement.node, statement.node_label, base_iri)
        else:
            node = esc(statement.node)
        kind = f' <span class="tag">{esc(statement.kind)}</span>' if statement.kind else ""
        rows.append(f"<tr><th>{prop}</th><td>{node}{kind}</td></tr>")
    header = "<tr><th>how</th><th>what</th></tr>" if incoming else ""
    return (
        f'<section class="{css}"><h2>{esc(title)}</h2>'
        f"<table>{header}{''.join(rows)}</table></section>"
    )


def _external_section(statements: Sequence[Statement]) -> str:
    items = []
    for statement in statements:
        source, identifier = external_source(statement.node)
        label = f" — {esc(statement.node_label)}" if statement.node_label else ""
        items.append(
            f'<li><a class="external" href="{esc(statement.node)}">{esc(source)}: '
            f"{esc(identifier)}</a>{label} <small>({esc(statement.property_label)})</small></li>"
        )
    return (
        '<section class="external"><h2>Elsewhere</h2>'
        "<p>The same thing, or its topic, in other EU open data and Wikidata.</p>"
        f"<ul>{''.join(items)}</ul></section>"
    )


def not_found_page(path: str, reason: str) -> str:
    body = (
        "<h1>Not found</h1>"
        f"<p>There is nothing at <code>{esc(path)}</code>: {esc(reason)}.</p>"
        '<p>Try the <a href="/timeline">timeline</a>, the <a href="/sparql">SPARQL editor</a> '
        'or <a href="/entities?q=">search for a name</a>.</p>'
    )
    return page("Not found", body)


# ------------------------------------------------------------------------ landing page


def landing_page(triples: int, version: str) -> str:
    body = f"""<h1>{esc(SITE_NAME)}</h1>
<p class="lead">What the EU promised and did on migration, as linked data. The source is the
letter of the President of the European Commission to EU leaders of 20 March 2023 and its
annex: fifteen commitments of the European Council, the actions, events and funding reported
on each, and the agencies, countries and people involved. Every fact points at the words of the
letter it comes from.</p>
<p>The graph holds {triples:,} triples (version <code>{esc(version)}</code>).</p>
<h2>Start here</h2>
<ul class="start">
<li><a href="/involving?entity=Frontex&amp;entity=Serbia">What involves Frontex in Serbia?</a>
  — everything that involves both, with the sentences it comes from.</li>
<li><a href="/id/commitment/2">Commitment 2</a>, <a href="/id/agency/frontex">Frontex</a>,
  <a href="/id/country/serbia">Serbia</a>: every thing has a page of its own.</li>
<li><a href="/timeline">The timeline</a> of events and dated actions.</li>
<li><a href="/id/document/letter-2023-03-20">The letter</a> itself.</li>
</ul>
<h2>Ask the graph</h2>
<ul>
<li><a href="/sparql">SPARQL editor</a> with every canned query as an example
  (endpoint <code>/sparql</code>, SPARQL 1.1 Protocol, read-only).</li>
<li><a href="/queries">Canned queries</a>: named questions with parameters, as JSON or CSV.</li>
<li><a href="/docs">API documentation</a> (OpenAPI).</li>
</ul>
<h2>Reuse it</h2>
<ul>
<li><a href="/ontology">Ontology</a> and <a href="/shapes">SHACL shapes</a>.</li>
<li><a href="/void">Dataset description</a> (VoID and DCAT).</li>
<li>Dumps: <a href="/dumps/emkg.ttl">Turtle</a>, <a href="/dumps/emkg.nt">N-Triples</a>,
  <a href="/dumps/emkg.jsonld">JSON-LD</a>.</li>
</ul>
<p>Every IRI under <code>https://w3id.org/eu-migration-kg/</code> resolves here: browsers get a
page, RDF clients get Turtle, JSON-LD, N-Triples or RDF/XML by <code>Accept</code>.</p>
"""
    return page(SITE_NAME, body)


# ------------------------------------------------------------------------ timeline


@dataclass(frozen=True, slots=True)
class TimelineRow:
    iri: str
    kind: str
    label: str
    start: dt.date | None
    end: dt.date | None
    date_phrase: str | None
    status: str | None
    commitments: list[str]


def timeline_page(rows: Sequence[TimelineRow], base_iri: str) -> str:
    body_rows = []
    for row in rows:
        commitments = ", ".join(
            link(f"{base_iri}id/commitment/{number}", number, base_iri)
            for number in row.commitments
        )
        start = row.start.isoformat() if row.start else ""
        body_rows.append(
            f'<tr class="{esc(row.kind)}" data-start="{esc(start)}">'
            f'<td class="dates">{esc(format_dates(row.start, row.end))}</td>'
            f'<td class="what">{link(row.iri, row.label, base_iri)} '
            f'<span class="tag">{esc(row.kind)}</span></td>'
            f'<td class="phrase">{esc(row.date_phrase or "")}</td>'
            f'<td class="status">{esc(row.status or "")}</td>'
            f'<td class="commitments">{commitments}</td></tr>'
        )
    body = f"""<h1>Timeline</h1>
<p>Every event and every dated action the letter reports, earliest first ({len(rows)} in all).
A vague phrase such as “by end March” or “Q2 2023” has the interval the graph gives it; the
letter's own words are in the third column.</p>
<table class="timeline">
<thead><tr><th>dates</th><th>what</th><th>in the letter's words</th><th>status</th>
<th>commitment</th></tr></thead>
<tbody>
{chr(10).join(body_rows)}
</tbody>
</table>"""
    return page("Timeline", body)


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
    header: list[tuple[str, str]] = [("IRI", f"<code>{esc(view.iri)}</code>")]
    if view.version:
        version = esc(view.version)
        if view.version_iri:
            version += f" (<code>{esc(view.version_iri)}</code>)"
        header.append(("Version", version))
    if view.modified:
        header.append(("Modified", esc(view.modified)))
    if view.license:
        header.append(("License", f'<a href="{esc(view.license)}">{esc(view.license)}</a>'))
    header.append(("Prefix", "<code>emk:</code>"))
    header.append(("As data", '<a href="/ontology?format=ttl" type="text/turtle">Turtle</a>'))
    items = "\n".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in header)
    toc = "".join(
        f'<li><a href="#{esc(term.name)}">{esc(term.label)}</a></li>'
        for term in [*view.classes, *view.properties, *view.concepts]
    )
    sections = [
        f"<h1>{esc(view.title)}</h1>",
        f'<dl class="summary">{items}</dl>',
    ]
    if view.description:
        sections.append(f'<p class="lead">{esc(view.description)}</p>')
    if view.comment:
        sections.append(f"<p>{esc(view.comment)}</p>")
    sections.append(f'<nav class="toc"><h2>Terms</h2><ul>{toc}</ul></nav>')
    for title, terms in (
        ("Classes", view.classes),
        ("Properties", view.properties),
        ("Concepts", view.concepts),
    ):
        if terms:
            rendered = "\n".join(_term(term, base_iri) for term in terms)
            sections.append(f'<section class="terms"><h2>{title}</h2>{rendered}</section>')
    return page(view.title, "\n".join(sections))


def _term(term: TermView, base_iri: str) -> str:
    rows: list[tuple[str, str]] = [("IRI", f"<code>{esc(term.iri)}</code>")]
    if term.definition:
        rows.append(("Definition", esc(term.definition)))
    if term.comment:
        rows.append(("Note", esc(term.comment)))
    for name, targets in (
        ("Subclass of" if term.kind == "class" else "Broader", term.parents),
        ("Equivalent to", term.equivalents),
        ("Domain", term.domains),
        ("Range", term.ranges),
    ):
        if targets:
            # several domains or ranges: a union, any of them
            joiner = " or " if name in ("Domain", "Range") else ", "
            rows.append((name, joiner.join(link(iri, shown, base_iri) for iri, shown in targets)))
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return (
        f'<article class="term" id="{esc(term.name)}"><h3>{esc(term.label)} '
        f'<span class="tag">{esc(term.kind)}</span></h3><dl>{items}</dl></article>'
    )


# ------------------------------------------------------------------------ shapes and VoID


@dataclass(frozen=True, slots=True)
class ShapeView:
    iri: str
    name: str
    target: str | None
    message: str | None
    properties: list[tuple[str, str]]  # (path, constraints in words)


def shapes_page(shapes: Sequence[ShapeView], base_iri: str) -> str:
    parts = [
        "<h1>SHACL shapes</h1>",
        "<p>The constraints every build of the graph is validated against. "
        '<a href="/shapes?format=ttl" type="text/turtle">Turtle</a>.</p>',
    ]
    for shape in shapes:
        rows = "".join(
            f"<tr><th><code>{esc(path)}</code></th><td>{esc(words)}</td></tr>"
            for path, words in shape.properties
        )
        target = f"<p>Applies to: <code>{esc(shape.target)}</code></p>" if shape.target else ""
        message = f"<p>{esc(shape.message)}</p>" if shape.message else ""
        table = f"<table>{rows}</table>" if rows else ""
        parts.append(
            f'<section class="shape" id="{esc(shape.name)}"><h2>{esc(shape.name)}</h2>'
            f"<p><code>{esc(shape.iri)}</code></p>{target}{message}{table}</section>"
        )
    return page("SHACL shapes", "\n".join(parts))


def void_page(turtle: str, facts: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{esc(name)}</dt><dd>{value}</dd>" for name, value in facts)
    body = f"""<h1>The dataset</h1>
<dl class="summary">{items}</dl>
<p>As data: <a href="/void?format=ttl" type="text/turtle">Turtle</a> ·
<a href="/void?format=jsonld" type="application/ld+json">JSON-LD</a>.</p>
<h2>VoID and DCAT description</h2>
<pre class="turtle">{esc(turtle)}</pre>"""
    return page("The dataset", body)


# ------------------------------------------------------------------------ query editor


@dataclass(frozen=True, slots=True)
class ExampleQuery:
    name: str
    summary: str
    query: str


def editor_page(endpoint: str, examples: Sequence[ExampleQuery], starter: str) -> str:
    """YASGUI with one tab per example; the configuration travels as JSON, not as script."""
    config = {
        "endpoint": endpoint,
        "starter": starter,
        "examples": [{"name": e.name, "summary": e.summary, "query": e.query} for e in examples],
    }
    # `<` escaped so that no string in the configuration can close the script element
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    head = '<link rel="stylesheet" href="/assets/yasgui/yasgui.min.css">\n'
    names = ", ".join(f"<code>{esc(example.name)}</code>" for example in examples)
    body = f"""<h1>SPARQL query editor</h1>
<p>Queries go to <code>{esc(endpoint)}</code>. Every <a href="/queries">canned query</a> is
open as a tab ({names or "none found"}), with its example parameter values bound in a
<code>VALUES</code> block at the start of its <code>WHERE</code> clause: change them there.</p>
<div id="yasgui"></div>
<script type="application/json" id="editor-config">{data}</script>
<script src="/assets/yasgui/yasgui.min.js"></script>
<script src="/assets/editor.js"></script>"""
    return page("SPARQL", body, head=head)


def form_editor_page(endpoint: str, examples: Sequence[ExampleQuery], starter: str) -> str:
    """The editor without JavaScript: a form per query, posting to the endpoint."""
    action = esc(endpoint)
    formats = (
        '<label>Results as <select name="format">'
        '<option value="json">SPARQL JSON</option><option value="xml">SPARQL XML</option>'
        '<option value="csv">CSV</option><option value="tsv">TSV</option>'
        '<option value="turtle">Turtle (CONSTRUCT, DESCRIBE)</option></select></label>'
    )
    examples_html = "\n".join(
        f'<details class="example" id="{esc(example.name)}"><summary><code>{esc(example.name)}'
        f"</code> — {esc(example.summary)}</summary>"
        f'<form method="post" action="{action}">'
        f'<textarea name="query" rows="18" cols="100">{esc(example.query)}</textarea><br>'
        f'{formats} <button type="submit">Run</button></form></details>'
        for example in examples
    )
    body = f"""<h1>SPARQL query</h1>
<p>Queries go to <code>{esc(endpoint)}</code> (SPARQL 1.1 Protocol, read-only).</p>
<form method="post" action="{action}" class="editor">
<textarea name="query" rows="16" cols="100">{esc(starter)}</textarea><br>
{formats}
<button type="submit">Run</button>
</form>
<h2>Examples</h2>
<p>The <a href="/queries">canned queries</a>, with their example parameter values bound in a
<code>VALUES</code> block.</p>
{examples_html}"""
    return page("SPARQL", body)


__all__ = [
    "ExampleQuery",
    "OntologyView",
    "PassageView",
    "ResourceView",
    "ShapeView",
    "Statement",
    "Summary",
    "TermView",
    "TimelineRow",
    "editor_page",
    "esc",
    "form_editor_page",
    "landing_page",
    "local_href",
    "not_found_page",
    "ontology_page",
    "page",
    "resource_page",
    "shapes_page",
    "timeline_page",
    "void_page",
]
