"""Turn the parsed letter into RDF: commitments, actions, events, money, actors and passages.

Every node cites the span of clean text it came from (an `emk:Passage`); every gazetteer
mention in a passage gives `emk:involves` (actors: bodies, people, countries) or
`emk:location` (countries and regions) on the node that passage produced.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from graph.curation import Curation, Quantity
from graph.dates import DateMention, find_dates, status_of, status_of_interval
from graph.gazetteer import Entity, Matcher, Mention
from graph.letter import Commitment, Item, Letter, Paragraph, Span
from graph.money import MoneyMention, find_amounts
from graph.namespaces import BASE, DCT, EMK, FOAF, OA, PROV, SCHEMA, SKOS, resource, slugify
from graph.sentences import split_sentences

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
CLAUSE = re.compile(r"[^;.]+(?:\.(?=\S)[^;.]*)*[;.]?")
DONOR_DEFAULT = "institution/european-union"


@dataclass
class Eurovoc:
    iri: str
    label: str


@dataclass
class Unit:
    """A span that produced a node, with what was found in it."""

    span: Span
    mentions: list[Mention] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    amounts: list[MoneyMention] = field(default_factory=list)


class GraphWriter:
    def __init__(
        self,
        letter: Letter,
        entities: list[Entity],
        document_slug: str,
        curation: Curation | None,
        subjects: dict[str, list[Eurovoc]] | None = None,
        base: str = BASE,
    ) -> None:
        self.letter = letter
        self.text = letter.text
        self.base = base
        self.matcher = Matcher(entities)
        self.entities = {e.key: e for e in entities}
        self.curation = curation
        self.subjects = subjects or {}
        self.g = Graph()
        self.document = resource("document", document_slug, base)
        self.passages: dict[tuple[int, int], URIRef] = {}
        self.used_slugs: set[URIRef] = set()
        self.mentioned: dict[str, list[URIRef]] = {}
        self.fact_spans: list[Span] = []  # spans that yielded a fact, for the coverage report
        self.action_of_span: dict[tuple[int, int], URIRef] = {}
        self.funding_at: dict[int, URIRef] = {}  # amount start offset -> node
        self.event_labels: set[str] = set()
        self.area_themes: dict[str, URIRef] = {}

    # --- small pieces ---------------------------------------------------------------------------

    def iri(self, kind: str, slug: str) -> URIRef:
        return resource(kind, slug, self.base)

    def unique(self, kind: str, words: str, prefix: str = "") -> URIRef:
        """An IRI from the first words of a text; more words are taken until it is unique."""
        for n in range(6, 40):
            slug = slugify(words, n)
            slug = f"{prefix}-{slug}" if prefix else slug
            node = self.iri(kind, slug or "item")
            if node not in self.used_slugs:
                self.used_slugs.add(node)
                return node
        digest = hashlib.sha1(words.encode(), usedforsecurity=False).hexdigest()[:8]
        node = self.iri(kind, f"{prefix}-{digest}" if prefix else digest)
        self.used_slugs.add(node)
        return node

    def passage(self, span: Span) -> URIRef:
        """The Passage node of a span; named by its words and which occurrence of them it is."""
        key = (span.start, span.end)
        if key in self.passages:
            return self.passages[key]
        exact = self.text[span.start : span.end]
        occurrence = self.text.count(exact, 0, span.start)
        digest = hashlib.sha1(
            f"{exact}\x00{occurrence}".encode(), usedforsecurity=False
        ).hexdigest()[:16]
        node = self.iri("passage", digest)
        g = self.g
        g.add((node, RDF.type, EMK.Passage))
        g.add((node, OA.hasSource, self.document))
        g.add((node, OA.exact, Literal(exact)))
        g.add((node, OA.start, Literal(span.start, datatype=XSD.nonNegativeInteger)))
        g.add((node, OA.end, Literal(span.end, datatype=XSD.nonNegativeInteger)))
        self.passages[key] = node
        self.fact_spans.append(span)
        return node

    def unit(self, span: Span) -> Unit:
        chunk = self.text[span.start : span.end]
        mentions = self.matcher.find(chunk, span.start)
        dates = [_shift(d, span.start) for d in find_dates(chunk, self.letter.date)]
        amounts = [_shift_money(a, span.start) for a in find_amounts(chunk)]
        return Unit(span, mentions, dates, amounts)

    def cite(self, node: URIRef, span: Span) -> None:
        self.g.add((node, PROV.wasDerivedFrom, self.passage(span)))

    def entity_node(self, key: str, span: Span) -> URIRef:
        entity = self.entities.get(key)
        if entity is None:
            raise KeyError(f"unknown gazetteer entity {key!r}")
        node = self.iri(entity.kind, entity.slug)
        self.mentioned.setdefault(key, [])
        passage = self.passage(span)
        if passage not in self.mentioned[key]:
            self.mentioned[key].append(passage)
        return node

    def link_mentions(self, node: URIRef, mentions: Iterable[Mention], span: Span) -> None:
        """Actors named in the span are involved; places named in it are the location."""
        for mention in mentions:
            entity = mention.entity
            target = self.entity_node(entity.key, span)
            if entity.type == "Policy":
                self.g.add((node, EMK.refersTo, target))
                continue
            if entity.is_actor:
                self.g.add((node, EMK.involves, target))
            if entity.type == "Person" and entity.affiliation in self.entities:
                # "the Executive Director of Frontex" involves Frontex as well
                self.g.add((node, EMK.involves, self.entity_node(entity.affiliation, span)))
            if entity.is_place:
                self.g.add((node, EMK.location, target))

    def link_keys(self, node: URIRef, keys: Iterable[str], prop: URIRef, span: Span) -> None:
        for key in keys:
            self.g.add((node, prop, self.entity_node(key, span)))

    def set_dates(self, node: URIRef, dates: list[DateMention]) -> None:
        if not dates:
            return
        first = min(d.first for d in dates)
        last = max(d.last for d in dates)
        self.g.add((node, SCHEMA.startDate, Literal(first, datatype=XSD.date)))
        self.g.add((node, SCHEMA.endDate, Literal(last, datatype=XSD.date)))
        for mention in dates:
            self.g.add((node, EMK.datePhrase, Literal(mention.phrase)))

    def set_status(self, node: URIRef, status: str) -> None:
        self.g.add((node, EMK.status, EMK[status]))

    # --- the document -----------------------------------------------------------------------------

    def write_document(self) -> None:
        g, doc = self.g, self.document
        g.add((doc, RDF.type, FOAF.Document))
        title = f"Letter of the President of the European Commission to EU leaders, {self.letter.place}, {self.letter.date:%-d %B %Y}"
        g.add((doc, DCT.title, Literal(title, lang="en")))
        g.add((doc, RDFS.label, Literal(title, lang="en")))
        g.add((doc, DCT.date, Literal(self.letter.date, datatype=XSD.date)))
        g.add((doc, DCT.license, CC_BY))
        g.add(
            (
                doc,
                DCT.publisher,
                URIRef("http://publications.europa.eu/resource/authority/corporate-body/COM"),
            )
        )
        g.add((doc, DCT.alternative, Literal(self.letter.annex_title, lang="en")))
        president = self.entities.get("person/ursula-von-der-leyen")
        if president is not None and "Ursula von der Leyen" in self.text:
            span = _first(self.text, president.label)
            g.add((doc, DCT.creator, self.entity_node(president.key, span)))

    # --- the annex ------------------------------------------------------------------------------

    def write_commitments(self) -> None:
        for commitment in self.letter.commitments:
            self.write_commitment(commitment)
        for section in self.letter.sections:
            for heading, items in section.groups:
                label = f"{section.title}: {self.text[heading.span.start : heading.span.end]}"
                group = self.unique("action", label, "annex")
                self.write_group(group, label, heading.span, items)
                self.g.add((group, DCT.isPartOf, self.document))
                self.write_items(items, None, [group])

    def write_commitment(self, commitment: Commitment) -> None:
        g = self.g
        node = self.iri("commitment", commitment.number)
        g.add((node, RDF.type, EMK.Commitment))
        g.add((node, SKOS.notation, Literal(commitment.number)))
        title = " … ".join(self.text[s.start : s.end].strip(" :,") for s in commitment.title_spans)
        if not title:
            title = " ".join(self.text[commitment.span.start : commitment.span.end].split()[:10])
        title = title[:1].upper() + title[1:]
        g.add((node, DCT.title, Literal(title, lang="en")))
        g.add((node, RDFS.label, Literal(f"{commitment.number}. {title}", lang="en")))
        description = self.text[commitment.span.start : commitment.span.end]
        g.add((node, DCT.description, Literal(description, lang="en")))
        self.cite(node, commitment.span)
        unit = self.unit(commitment.span)
        self.link_mentions(node, unit.mentions, commitment.span)
        self.set_dates(node, unit.dates)
        for subject in self.subjects.get(commitment.number, []):
            g.add((node, DCT.subject, URIRef(subject.iri)))
            g.add((URIRef(subject.iri), SKOS.prefLabel, Literal(subject.label, lang="en")))
        self.write_items(commitment.followups, commitment.number, [])

    def write_group(self, node: URIRef, label: str, span: Span, children: list[Item]) -> None:
        g = self.g
        g.add((node, RDF.type, EMK.Action))
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, DCT.description, Literal(self.text[span.start : span.end], lang="en")))
        self.cite(node, span)
        text = " ".join(self.text[c.span.start : c.span.end] for c in children)
        self.set_status(node, status_of(text, [], self.letter.date))

    def write_items(self, items: list[Item], number: str | None, parents: list[URIRef]) -> None:
        nodes: list[URIRef] = []
        for i, item in enumerate(items):
            words = self.text[item.span.start : item.span.end]
            node = self.unique("action", words, number or "annex")
            nodes.append(node)
            if item.kind == "heading":
                children = [c for c in items if c.parent == i]
                self.write_group(node, words.title(), item.span, children)
            else:
                self.write_action(node, item.span, item.bold)
            if number is not None:
                self.g.add((node, EMK.implements, self.iri("commitment", number)))
            parent = nodes[item.parent] if item.parent is not None else None
            for target in [parent] if parent is not None else parents:
                self.g.add((node, EMK.partOf, target))

    # --- actions, events, money -------------------------------------------------------------------

    def write_action(self, node: URIRef, span: Span, bold: list[Span]) -> None:
        g = self.g
        text = self.text[span.start : span.end]
        g.add((node, RDF.type, EMK.Action))
        label = _label(text, [self.text[b.start : b.end] for b in bold])
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, DCT.description, Literal(text, lang="en")))
        self.cite(node, span)
        self.action_of_span[(span.start, span.end)] = node
        unit = self.unit(span)
        self.link_mentions(node, unit.mentions, span)
        self.set_dates(node, unit.dates)
        self.set_status(node, status_of(text, unit.dates, self.letter.date))
        self.write_events(node, span, label)
        self.write_money(node, span)

    def write_events(self, action: URIRef | None, span: Span, context: str = "") -> None:
        """A day or a range of days named in a clause is an Event, labelled by that clause."""
        for clause in _clauses(self.text, span):
            unit = self.unit(clause)
            for mention in unit.dates:
                if mention.precision != "day":
                    continue
                label = _event_label(self.text, clause, mention, unit.dates)
                if label in self.event_labels and context:
                    label = f"{label} ({context})"
                self.event_labels.add(label)
                self.write_event(action, clause, label, mention, unit.mentions)

    def write_event(
        self,
        action: URIRef | None,
        clause: Span,
        label: str,
        mention: DateMention,
        mentions: list[Mention],
    ) -> URIRef:
        g = self.g
        node = self.unique("event", f"{mention.first.isoformat()} {label}")
        g.add((node, RDF.type, EMK.Event))
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, DCT.description, Literal(self.text[clause.start : clause.end], lang="en")))
        g.add((node, SCHEMA.startDate, Literal(mention.first, datatype=XSD.date)))
        g.add((node, SCHEMA.endDate, Literal(mention.last, datatype=XSD.date)))
        g.add((node, EMK.datePhrase, Literal(mention.phrase)))
        self.set_status(node, status_of_interval(mention.first, mention.last, self.letter.date))
        self.cite(node, clause)
        self.link_mentions(node, mentions, clause)
        if action is not None:
            g.add((action, EMK.hasEvent, node))
        return node

    def write_money(self, funded: URIRef | None, span: Span) -> None:
        for clause in _clauses(self.text, span):
            unit = self.unit(clause)
            for amount in unit.amounts:
                if amount.start in self.funding_at:
                    continue
                self.write_funding(funded, clause, amount, unit)

    def write_funding(
        self, funded: URIRef | None, clause: Span, amount: MoneyMention, unit: Unit
    ) -> URIRef:
        g = self.g
        purpose = self.text[amount.end : clause.end].strip(" ,.;()")
        words = f"{amount.phrase} {purpose}".replace("€", " EUR ").replace("EUR  EUR", "EUR")
        node = self.unique("funding", words)
        g.add((node, RDF.type, EMK.FundingInstrument))
        label = f"{amount.phrase} {purpose}".strip()
        g.add((node, RDFS.label, Literal(" ".join(label.split()[:14]), lang="en")))
        g.add((node, DCT.description, Literal(self.text[clause.start : clause.end], lang="en")))
        g.add((node, EMK.amountEUR, _decimal(amount.amount)))
        g.add((node, EMK.amountPhrase, Literal(amount.phrase)))
        if amount.qualifier:
            g.add((node, EMK.amountQualifier, Literal(amount.qualifier)))
        self.cite(node, clause)
        if funded is not None:
            g.add((node, EMK.funds, funded))
        donors = [m for m in unit.mentions if m.entity.type == "Institution"]
        if donors:
            for donor in donors:
                g.add((node, EMK.donor, self.entity_node(donor.entity.key, clause)))
        elif DONOR_DEFAULT in self.entities:
            g.add((node, EMK.donor, self.entity_node(DONOR_DEFAULT, clause)))
        for mention in unit.mentions:
            entity = mention.entity
            target = self.entity_node(entity.key, clause)
            if entity.is_place:
                g.add((node, EMK.location, target))
            if (
                entity.type in ("PartnerCountry", "MemberState", "Agency")
                and not mention.by_adjective
            ):
                g.add((node, EMK.recipient, target))
            if entity.type == "Policy":
                g.add((node, EMK.refersTo, target))
        self.set_dates(node, unit.dates)
        self.funding_at[amount.start] = node
        return node

    # --- the letter's body ----------------------------------------------------------------------

    def write_body(self) -> None:
        steps = {(s.span.start): s for s in (self.curation.steps if self.curation else [])}
        for paragraph in self.letter.paragraphs:
            for sentence in self.body_sentences(paragraph):
                step = next(
                    (s for at, s in steps.items() if sentence.start <= at < sentence.end), None
                )
                node: URIRef | None = None
                if step is not None:
                    node = self.write_step(sentence, step.commitments, step.part_of, step.involves)
                    theme = self.area_themes.get(paragraph.area or "")
                    if theme is not None:
                        self.g.add((node, DCT.subject, theme))
                else:
                    unit = self.unit(sentence)
                    for mention in unit.mentions:
                        self.entity_node(mention.entity.key, sentence)
                    self.write_events(None, sentence)
                if node is None:
                    self.write_money(None, sentence)

    def body_sentences(self, paragraph: Paragraph) -> list[Span]:
        """The paragraph's sentences; an area heading ('Strengthening external borders:') is not
        part of the first one."""
        sentences = split_sentences(self.text, paragraph.span)
        lead = paragraph.area_span
        if lead is not None and sentences and sentences[0].start == lead.start:
            rest = self.text[lead.end : sentences[0].end]
            skip = len(rest) - len(rest.lstrip(": "))
            sentences[0] = Span(lead.end + skip, sentences[0].end)
        return sentences

    def write_step(
        self, sentence: Span, commitments: list[str], part_of: Span | None, involves: list[str]
    ) -> URIRef:
        text = self.text[sentence.start : sentence.end]
        node = self.unique("action", text, "letter")
        self.write_action(node, sentence, [])
        for number in commitments:
            self.g.add((node, EMK.implements, self.iri("commitment", number)))
        if part_of is not None:
            target = next(
                (n for (s, e), n in self.action_of_span.items() if s <= part_of.start < e), None
            )
            if target is None:
                raise ValueError(
                    f"part_of quote is not an annex item: {self.text[part_of.start : part_of.end]!r}"
                )
            self.g.add((node, EMK.partOf, target))
        self.link_keys(node, involves, EMK.involves, sentence)
        return node

    # --- the letter's own lists: areas for immediate action, key goals ---------------------------

    def write_themes(self) -> None:
        if self.curation is None:
            return
        g = self.g
        for theme_list in self.curation.themes:
            scheme = self.iri("scheme", theme_list.slug)
            g.add((scheme, RDF.type, SKOS.ConceptScheme))
            g.add((scheme, RDFS.label, Literal(theme_list.label, lang="en")))
            g.add((scheme, SKOS.prefLabel, Literal(theme_list.label, lang="en")))
            self.cite(scheme, self.sentence_of(theme_list.span))
            for span in theme_list.also:
                self.cite(scheme, span)
            for item in theme_list.items:
                theme = self.iri("theme", slugify(item.label, 12))
                g.add((theme, RDF.type, EMK.Theme))
                g.add((theme, RDF.type, SKOS.Concept))
                g.add((theme, SKOS.prefLabel, Literal(item.label, lang="en")))
                g.add((theme, RDFS.label, Literal(item.label, lang="en")))
                g.add((theme, SKOS.inScheme, scheme))
                g.add((scheme, SKOS.hasTopConcept, theme))
                self.cite(theme, item.span)
                for paragraph in self.letter.paragraphs:
                    if item.heading and paragraph.area == item.heading and paragraph.area_span:
                        self.cite(theme, paragraph.area_span)
                        self.area_themes[item.heading] = theme

    # --- curated facts ----------------------------------------------------------------------------

    def write_curated(self) -> None:
        if self.curation is None:
            return
        for event in self.curation.events:
            sentence = self.sentence_of(event.span)
            found = [
                d
                for d in find_dates(self.text[sentence.start : sentence.end], self.letter.date)
                if d.phrase == event.date_phrase
            ]
            if not found:
                raise ValueError(f"curated event date {event.date_phrase!r} not in its sentence")
            node = self.write_event(
                None, event.span, event.label, _shift(found[0], sentence.start), []
            )
            self.link_mentions(node, self.unit(event.span).mentions, event.span)
            self.link_keys(node, event.involves, EMK.involves, event.span)
            self.link_keys(node, event.location, EMK.location, event.span)
            for span in event.also:
                self.cite(node, span)
        for quantity in self.curation.quantities:
            self.write_quantity(quantity, None)
        for component in self.curation.components:
            whole = self.funding_in(component.whole)
            if component.itemised:
                self.g.add((whole, EMK.itemised, Literal(True)))
            for part in component.parts:
                self.g.add((self.funding_in(part), EMK.componentOf, whole))

    def write_quantity(self, quantity: Quantity, whole: URIRef | None, label: str = "") -> None:
        """A count the letter gives, as an Event; its parts as Events that are components."""
        g = self.g
        label = label or quantity.label
        node = self.unique("event", label)
        g.add((node, RDF.type, EMK.Event))
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, EMK.quantity, _decimal(Decimal(quantity.quantity))))
        g.add((node, EMK.unit, Literal(quantity.unit, lang="en")))
        container = self.container_of(quantity.span)
        dates = self.unit(container).dates if container else []
        first = min((d.first for d in dates), default=self.letter.date)
        last = max((d.last for d in dates), default=self.letter.date)
        g.add((node, SCHEMA.startDate, Literal(first, datatype=XSD.date)))
        g.add((node, SCHEMA.endDate, Literal(last, datatype=XSD.date)))
        self.set_status(node, status_of_interval(first, last, self.letter.date))
        self.cite(node, quantity.span)
        self.link_keys(node, quantity.location, EMK.location, quantity.span)
        self.link_keys(
            node,
            [k for k in quantity.location if self.entities[k].is_actor],
            EMK.involves,
            quantity.span,
        )
        self.link_keys(node, quantity.involves, EMK.involves, quantity.span)
        if whole is not None:
            g.add((node, EMK.componentOf, whole))
        if quantity.parts:
            g.add((node, EMK.itemised, Literal(True)))
        action = next(
            (n for (s, e), n in self.action_of_span.items() if s <= quantity.span.start < e), None
        )
        if action is not None:
            g.add((action, EMK.hasEvent, node))
        for part in quantity.parts:
            self.write_quantity(part, node, f"{label}: {part.label}")

    def funding_in(self, span: Span) -> URIRef:
        starts = sorted(at for at in self.funding_at if span.start <= at < span.end)
        if not starts:
            raise ValueError(
                f"no sum of money in curated quote {self.text[span.start : span.end]!r}"
            )
        return self.funding_at[starts[0]]

    def container_of(self, span: Span) -> Span | None:
        for s, e in self.action_of_span:
            if s <= span.start < e:
                return Span(s, e)
        return None

    def sentence_of(self, span: Span) -> Span:
        for paragraph in self.letter.paragraphs:
            for sentence in self.body_sentences(paragraph):
                if sentence.start <= span.start < sentence.end:
                    return sentence
        return span

    # --- entities ---------------------------------------------------------------------------------

    def write_entities(self) -> None:
        g = self.g
        for key in sorted(self.mentioned):
            entity = self.entities[key]
            node = self.iri(entity.kind, entity.slug)
            g.add((node, RDF.type, EMK[entity.type]))
            g.add((node, RDFS.label, Literal(entity.label, lang="en")))
            if entity.type == "Policy":
                g.add((node, SKOS.prefLabel, Literal(entity.label, lang="en")))
            for alias in entity.aliases:
                g.add((node, SKOS.altLabel, Literal(alias, lang="en")))
            for adjective in entity.adjectives:
                g.add((node, EMK.adjective, Literal(adjective, lang="en")))
            if entity.description:
                g.add((node, DCT.description, Literal(entity.description, lang="en")))
            for match in entity.exact_match:
                g.add((node, SKOS.exactMatch, URIRef(match.iri)))
            if entity.role:
                g.add((node, EMK.role, Literal(entity.role, lang="en")))
            if entity.affiliation and entity.affiliation in self.mentioned:
                affiliation = self.entities[entity.affiliation]
                g.add((node, EMK.affiliation, self.iri(affiliation.kind, affiliation.slug)))
            for region in entity.member_of:
                if f"region/{region}" in self.mentioned:
                    g.add((node, EMK.memberOf, self.iri("region", region)))
            for passage in self.mentioned[key]:
                g.add((node, PROV.wasDerivedFrom, passage))

    def write(self) -> Graph:
        self.g.bind("emk", EMK)
        self.write_document()
        self.write_commitments()
        self.write_themes()
        self.write_body()
        self.write_curated()
        self.write_entities()
        return self.g


# --- text helpers --------------------------------------------------------------------------------


def _shift(mention: DateMention, offset: int) -> DateMention:
    return DateMention(
        mention.start + offset,
        mention.end + offset,
        mention.phrase,
        mention.first,
        mention.last,
        mention.precision,
    )


def _shift_money(mention: MoneyMention, offset: int) -> MoneyMention:
    return MoneyMention(
        mention.start + offset,
        mention.end + offset,
        mention.phrase,
        mention.amount,
        mention.qualifier,
    )


def _first(text: str, words: str) -> Span:
    at = text.find(words)
    return Span(at, at + len(words))


def _clauses(text: str, span: Span) -> list[Span]:
    """Clauses of a span: split at ';' and at sentence ends, trimmed of spaces."""
    out: list[Span] = []
    for sentence in split_sentences(text, span):
        start = sentence.start
        chunk = text[sentence.start : sentence.end]
        for piece in re.split(r"(?<=;)\s*", chunk):
            at = text.find(piece, start, sentence.end)
            if piece.strip() and at >= 0:
                lead = len(piece) - len(piece.lstrip())
                out.append(Span(at + lead, at + len(piece.rstrip())))
                start = at + len(piece)
    return out


def _label(text: str, bold: list[str]) -> str:
    """A short name for a step: its bold words if it has any, else its first words."""
    if bold:
        label = " … ".join(b.strip(" :,") for b in bold)
    else:
        label = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
        words = label.split()
        label = " ".join(words[:14]) + (" …" if len(words) > 14 else "")
    label = label.rstrip(" .;:")
    return label[:1].upper() + label[1:]


def _event_label(text: str, clause: Span, mention: DateMention, dates: list[DateMention]) -> str:
    """The clause's words around the date, without the date: 'Dublin Contact Committee took
    stock of Roadmap implementation reviewing actions so far'."""
    chunk = text[clause.start : clause.end]
    earlier = [d.end for d in dates if d.end <= mention.start]
    rel_from = (max(earlier) - clause.start) if earlier else 0
    rel_start, rel_end = mention.start - clause.start, mention.end - clause.start
    before = chunk[rel_from:rel_start]
    before = re.sub(r"(?i)\b(on|in|from|at|between|of)\s*\(?\s*$", "", before).rstrip(" ,(")
    parts = [p for p in re.split(r",\s+|:\s+", before) if p.strip()]
    label = parts[-1] if parts else ""
    after = chunk[rel_end:]
    if not label.strip():
        label = re.split(r"[,;.(]", after.lstrip(" ,"), maxsplit=1)[0]
    elif len(label.split()) < 6 and not re.match(r"\s*\)?[,;.]", after):
        label = f"{label} {re.split(r'[,;.(]', after, maxsplit=1)[0]}"
    label = re.sub(r"\s*\([^)]*\)", "", label)
    label = re.sub(
        r"(?i)^\s*(on|and|following|after|ahead of|as set out at|during|at)\s+", "", label
    )
    if "(" in label and ")" not in label:
        label = label[: label.index("(")]
    label = label.strip(" ,.;:()")
    words = label.split()
    label = " ".join(words[:16]) + (" …" if len(words) > 16 else "")
    return label[:1].upper() + label[1:] if label else mention.phrase


def _decimal(value: Decimal) -> Literal:
    """An xsd:decimal in canonical form ('524.0'), so every serialisation writes the same term."""
    text = format(value, "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)
