"""Turn the parsed letter into RDF: commitments, actions, events, money, actors and passages.

Every node cites the span of clean text it came from (an `emk:Passage`); every gazetteer
mention in a passage gives `emk:involves` (actors: bodies, people, countries) or
`emk:location` (countries and regions) on the node that passage produced.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from graph.clauses import trim
from graph.counts import find_counts
from graph.curation import Correction, Curation, Quantity, Step
from graph.dates import DateMention, find_dates, status_of, status_of_interval
from graph.facts import (
    THESE_ITEMS,
    THOSE_COUNTRIES,
    Fact,
    Roles,
    aggregate_status,
    clause_status,
    dependent,
    read_unit,
)
from graph.facts import Unit as FactUnit
from graph.gazetteer import Entity, Matcher
from graph.labels import action_label, euro, event_label, names_only, shorten, sum_label
from graph.letter import Commitment, Item, Letter, Paragraph, Span
from graph.money import find_amounts, whole_units
from graph.namespaces import BASE, DCT, EMK, FOAF, OA, PROV, SCHEMA, SKOS, resource, slugify
from graph.restatements import Restatements, Written, happening_kinds
from graph.sentences import split_sentences

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
CLAUSE = re.compile(r"[^;.]+(?:\.(?=\S)[^;.]*)*[;.]?")
DONOR_DEFAULT = "institution/european-union"


@dataclass
class Eurovoc:
    iri: str
    label: str


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
        self.area_themes: dict[str, URIRef] = {}
        self.restatements = Restatements()
        self.said: dict[URIRef, list[str]] = {}  # what each action's clauses say of its status
        self.fallback_status: dict[URIRef, str] = {}
        self.event_spans: list[tuple[Span, URIRef]] = []

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

    def passage(self, span: Span, fact: bool = True) -> URIRef:
        """The Passage node of a span; named by its words and which occurrence of them it is.
        `fact`: the span yielded a fact (a name mentioned in rhetoric does not)."""
        key = (span.start, span.end)
        if fact:
            self.fact_spans.append(span)
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
        return node

    def cite(self, node: URIRef, span: Span) -> None:
        self.g.add((node, PROV.wasDerivedFrom, self.passage(span)))

    def entity_node(self, key: str, span: Span) -> URIRef:
        entity = self.entities.get(key)
        if entity is None:
            raise KeyError(f"unknown gazetteer entity {key!r}")
        node = self.iri(entity.kind, entity.slug)
        self.mentioned.setdefault(key, [])
        passage = self.passage(span, fact=False)
        if passage not in self.mentioned[key]:
            self.mentioned[key].append(passage)
        return node

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
            # a table heading ("EU Action Plans", "- In force") is not a step: its bullets are
            for _, items in section.groups:
                self.write_items(items, None, [])

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
        read = read_unit(self.text, commitment.span, self.letter.date, self.matcher, False)
        self.link_roles(node, read.roles(), commitment.span)
        self.set_dates(node, [f.date for f in read.facts if f.date is not None])
        for fact in read.facts:
            if fact.kind == "event" and fact.date is not None:
                # a date in a commitment is its deadline: "by Spring 2023", "in 2023"
                # a deadline is running while the letter's date lies in its window; a "by ..."
                # deadline is ahead
                fact.status = (
                    "Planned"
                    if fact.date.phrase.startswith("by ")
                    else status_of_interval(fact.date.first, fact.date.last, self.letter.date)
                )
                event = self.write_event_fact(None, fact, "commitment", None)
                # named by the point's title, or by its own words where the title is only a
                # topic ("Transport operators", "Reception conditions")
                words = self.text[fact.span.start : fact.span.end]
                what = (
                    title
                    if len(title.split()) >= 4
                    else event_label(words, fact.date, fact.span.start, None)
                )
                due = "" if fact.date.phrase in what else f" — due {fact.date.phrase}"
                g.set((event, RDFS.label, Literal(f"{what}{due}", lang="en")))
                g.add((node, EMK.hasEvent, event))
        for subject in self.subjects.get(commitment.number, []):
            g.add((node, DCT.subject, URIRef(subject.iri)))
            g.add((URIRef(subject.iri), SKOS.prefLabel, Literal(subject.label, lang="en")))
        self.write_items(commitment.followups, commitment.number, [], commitment.span)

    def write_items(
        self,
        items: list[Item],
        number: str | None,
        parents: list[URIRef],
        followed: Span | None = None,
    ) -> None:
        """Each bullet an Action; a paragraph elaborating a bullet is part of it; a heading
        ('OUTREACH') is not a step, and the bullets under it are actions of their own. A bullet
        that speaks of "all six countries" is located in the countries of the point it follows
        up (`followed`)."""
        nodes: dict[int, URIRef] = {}
        for i, item in enumerate(items):
            if item.kind == "heading":
                continue
            words = self.text[item.span.start : item.span.end]
            node = self.unique("action", words, number or "annex")
            nodes[i] = node
            read = read_unit(self.text, item.span, self.letter.date, self.matcher)
            subs = self.substeps(item, read)
            main = trim(self.text, Span(item.span.start, subs[0].start)) if subs else item.span
            pointed = None  # the places its words point back at, for clauses that name none
            named: list[str] = []
            if not read.roles().places:
                if followed is not None and THOSE_COUNTRIES.search(words):
                    named = [self.text[followed.start : followed.end]]
                elif THESE_ITEMS.search(words):  # "these pilot projects": the bullets before
                    named = [self.text[x.span.start : x.span.end] for x in items[:i]]
            if named:
                pointed = Roles()
                for told in named:
                    countries = [m.entity for m in self.matcher.find(told) if m.entity.is_country]
                    # a list of countries is all of them; a bullet before is its first country
                    for entity in countries if len(named) == 1 else countries[:1]:
                        if entity not in pointed.places:
                            pointed.places.append(entity)
            self.write_action(node, main, carried=pointed)
            if subs:
                self.g.set((node, DCT.description, Literal(words, lang="en")))
            for sub in subs:
                sub_words = self.text[sub.start : sub.end]
                sub_node = self.unique("action", sub_words, number or "annex")
                self.write_action(sub_node, sub, with_heading=False, context=read.heading_roles)
                if read.heading_status:  # "ASOPs in consolidation phase: ...; Western Balkans ..."
                    self.said[sub_node].append(read.heading_status)
                self.g.add((sub_node, EMK.partOf, node))
                if number is not None:
                    self.g.add((sub_node, EMK.implements, self.iri("commitment", number)))
                else:
                    self.g.add((sub_node, DCT.isPartOf, self.document))
            if number is not None:
                self.g.add((node, EMK.implements, self.iri("commitment", number)))
            else:
                self.g.add((node, DCT.isPartOf, self.document))
            parent = nodes.get(item.parent) if item.parent is not None else None
            for target in [parent] if parent is not None else parents:
                self.g.add((node, EMK.partOf, target))

    # --- actions, events, money -------------------------------------------------------------------

    def write_action(
        self,
        node: URIRef,
        span: Span,
        with_heading: bool = True,
        context: Roles | None = None,
        carried: Roles | None = None,
    ) -> None:
        """An action and the facts its clauses report: events, sums; its own status and dates
        follow from them."""
        g = self.g
        text = self.text[span.start : span.end]
        read = read_unit(
            self.text, span, self.letter.date, self.matcher, with_heading, context, carried
        )
        g.add((node, RDF.type, EMK.Action))
        place = read.place
        head = self.text[read.heading.start : read.heading.end] if read.heading else None
        label = action_label(
            [self.text[c.span.start : c.span.end] for c in read.clauses], head, place
        )
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, DCT.description, Literal(text, lang="en")))
        self.cite(node, span)
        self.action_of_span[(span.start, span.end)] = node
        self.link_roles(node, read.roles(), span)
        dates = [f.date for f in read.facts if f.date is not None]
        self.set_dates(node, dates or [d for c in read.clauses for d in c.dates])
        self.said[node] = read.statuses()
        self.fallback_status[node] = status_of(text, [], self.letter.date)
        self.write_facts(node, read, "body" if self.in_body(span) else "annex")

    def substeps(self, item: Item, read: FactUnit) -> list[Span]:
        """Parts of a bullet that report a step of their own: a further sentence that starts a
        new subject ("Actions to support the purchase of equipment ... to be launched in April
        2023") unless the bullet is about one country (its heading names a place) or the
        sentence refers back ("The transfers ...") or only gives a sum; and curated clauses."""
        span = item.span
        starts: list[int] = []
        only_a_place = read.heading is not None and names_only(
            self.text[read.heading.start : read.heading.end],
            [n for e in read.heading_roles.places for n in (e.label, *e.aliases, *e.adjectives)],
        )
        if not only_a_place:
            for sentence in split_sentences(self.text, span)[1:]:
                words = self.text[sentence.start : sentence.end]
                if re.match(r"(The|This|These|It|They|Its)\b", words):
                    continue
                if find_amounts(words) and find_amounts(words)[0].start < 3:
                    continue
                starts.append(sentence.start)
        for quote in self.curation.substeps if self.curation else []:
            if span.start < quote.start < span.end:
                starts.append(quote.start)
        starts = sorted(set(starts))
        if not starts:
            return []
        ends = [*starts[1:], span.end]
        return [trim(self.text, Span(a, b)) for a, b in zip(starts, ends, strict=True)]

    def in_body(self, span: Span) -> bool:
        return any(p.span.start <= span.start < p.span.end for p in self.letter.paragraphs)

    def link_roles(self, node: URIRef, roles: Roles, span: Span) -> None:
        g = self.g
        for entity in roles.involves:
            g.add((node, EMK.involves, self.entity_node(entity.key, span)))
            if entity.type == "Person" and entity.affiliation in self.entities:
                # a Commissioner acts for the Commission; the Executive Director for Frontex
                g.add((node, EMK.involves, self.entity_node(entity.affiliation, span)))
            for member in entity.members:
                # the trilateral Task Force brings the African Union and the United Nations
                g.add((node, EMK.involves, self.entity_node(member, span)))
        for entity in roles.places:
            g.add((node, EMK.location, self.entity_node(entity.key, span)))
            for region in entity.located_in:
                g.add((node, EMK.location, self.entity_node(region, span)))
        for entity in roles.refers:
            g.add((node, EMK.refersTo, self.entity_node(entity.key, span)))
            for region in entity.located_in:
                g.add((node, EMK.location, self.entity_node(region, span)))

    def write_facts(self, action: URIRef | None, read: FactUnit, origin: str) -> list[URIRef]:
        topic = self.text[read.heading.start : read.heading.end] if read.heading else None
        amounts: dict[int, URIRef] = {}
        nodes: list[URIRef] = []
        for fact in read.facts:
            if fact.kind == "event" and fact.date is not None:
                # the place its label names: its heading's, else the country it is in
                countries = [e.label for e in fact.roles.places if e.is_country]
                place = read.place or (countries[0] if len(countries) == 1 else None)
                node = self.write_event_fact(action, fact, origin, place, topic)
            elif fact.amount is not None:
                node = self.write_sum_fact(action, fact, origin)
                amounts[fact.amount.start] = node
                if fact.part_of is not None and fact.part_of.start in amounts:
                    whole = amounts[fact.part_of.start]
                    if whole != node:
                        self.g.add((node, EMK.componentOf, whole))
            else:
                continue
            nodes.append(node)
        self.write_counts(action, read, list(zip(read.facts, nodes, strict=False)))
        return nodes

    def write_counts(
        self, action: URIRef | None, read: FactUnit, written: list[tuple[Fact, URIRef]]
    ) -> None:
        """Each count goes to the event whose words hold it, else to the clause's sum, else to
        the action; a node carries one count. Curated quantities are written by curation."""
        quantities = self.curation.quantities if self.curation else []
        curated = [q.span for q in quantities] + [p.span for q in quantities for p in q.parts]
        # "four areas for immediate action" is a list the letter names (a concept scheme)
        listed = [t.span for t in self.curation.themes] if self.curation else []
        for clause in read.clauses:
            words = self.text[clause.span.start : clause.span.end]
            for count in find_counts(words, self.letter.date):
                at = clause.span.start + count.start
                if any(q.start <= at < q.end for q in curated):
                    continue
                holders = [
                    n for f, n in written if f.kind == "event" and f.span.start <= at < f.span.end
                ]
                holders += [n for f, n in written if f.kind == "sum" and f.clause == clause.span]
                holders += [action] if action is not None else []
                for node in holders:
                    if self.g.value(node, EMK.quantity) is None:
                        self.g.add((node, EMK.quantity, _decimal(count.quantity)))
                        self.g.add((node, EMK.unit, Literal(count.unit, lang="en")))
                        break
                else:
                    if any(t.start <= at < t.end for t in listed):
                        continue
                    # a count told on its own ("... agreed with 79 African, Caribbean, and
                    # Pacific partners"): a quantity of its own
                    span = Span(at, clause.span.start + count.end)
                    words = self.text[span.start : span.end]
                    self.write_quantity(
                        Quantity(span, words, int(count.quantity), count.unit), None
                    )

    def written_as(self, fact: Fact, kind: str, origin: str, node: URIRef) -> Written:
        keys = frozenset(e.key for e in (*fact.roles.involves, *fact.roles.places))
        return Written(
            kind=kind,
            node=node,
            origin=origin,
            entities=keys,
            places=frozenset(e.key for e in fact.roles.places),
            refers=frozenset(e.key for e in fact.roles.refers),
            first=fact.date.first if fact.date else None,
            last=fact.date.last if fact.date else None,
            amount=fact.amount.amount if fact.amount else None,
            kinds=happening_kinds(self.text[fact.span.start : fact.span.end]),
        )

    def write_event_fact(
        self,
        action: URIRef | None,
        fact: Fact,
        origin: str,
        place: str | None,
        topic: str | None = None,
    ) -> URIRef:
        g = self.g
        assert fact.date is not None
        words = self.text[fact.span.start : fact.span.end]
        probe = self.written_as(fact, "event", origin, URIRef(""))
        same = self.restatements.find(probe)
        if same is None and action is not None and origin == "body":
            # within an action the body restates, an event of the same time is the same event
            own = {e for e in g.objects(action, EMK.hasEvent) if isinstance(e, URIRef)}
            same = self.restatements.find(probe, within=own)
        if same is not None:
            node = same.node
            self.cite(node, fact.span)
            self.link_roles(node, fact.roles, fact.span)
            if action is not None:
                g.add((action, EMK.hasEvent, node))
            narrower = (fact.date.last - fact.date.first) < (same.last - same.first)  # type: ignore[operator]
            if narrower:
                for p in (SCHEMA.startDate, SCHEMA.endDate, EMK.status, EMK.datePhrase):
                    g.remove((node, p, None))
                self.set_event_dates(node, fact.date)
                g.add((node, EMK.datePhrase, Literal(fact.date.phrase)))
                self.set_status(node, fact.status or "Ongoing")
            return node
        label = (
            shorten(fact.gist)
            if fact.gist
            else event_label(words, fact.date, fact.span.start, place, topic)
        )
        node = self.unique("event", f"{fact.date.first.isoformat()} {label}")
        g.add((node, RDF.type, EMK.Event))
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, DCT.description, Literal(words, lang="en")))
        self.set_event_dates(node, fact.date)
        if fact.date.phrase:  # an undated happening has its interval but no words for it
            g.add((node, EMK.datePhrase, Literal(fact.date.phrase)))
        self.set_status(node, fact.status or "Ongoing")
        self.cite(node, fact.span)
        self.link_roles(node, fact.roles, fact.span)
        if action is not None:
            g.add((action, EMK.hasEvent, node))
        self.restatements.add(self.written_as(fact, "event", origin, node))
        self.event_spans.append((fact.span, node))
        return node

    def set_event_dates(self, node: URIRef, mention: DateMention) -> None:
        self.g.add((node, SCHEMA.startDate, Literal(mention.first, datatype=XSD.date)))
        self.g.add((node, SCHEMA.endDate, Literal(mention.last, datatype=XSD.date)))

    def write_sum_fact(self, funded: URIRef | None, fact: Fact, origin: str) -> URIRef:
        g = self.g
        amount = fact.amount
        assert amount is not None
        clause = fact.clause
        probe = self.written_as(fact, "sum", origin, URIRef(""))
        same = self.restatements.find(probe)
        if same is not None:
            node = same.node
            self.cite(node, clause)
            self.link_sum_roles(node, fact, clause)
            if funded is not None:
                g.add((node, EMK.funds, funded))
            self.funding_at[amount.start] = node
            return node
        value = amount.amount
        words = self.text[clause.start : clause.end]
        label = sum_label(words, amount, clause.start, value, fact.roles.places)
        node = self.unique("funding", label.replace("€", " EUR "))
        g.add((node, RDF.type, EMK.FundingInstrument))
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, DCT.description, Literal(words, lang="en")))
        g.add((node, EMK.amountEUR, _decimal(value)))
        g.add((node, EMK.amountPhrase, Literal(amount.phrase)))
        if amount.qualifier:
            g.add((node, EMK.amountQualifier, Literal(amount.qualifier)))
        self.cite(node, clause)
        if funded is not None:
            g.add((node, EMK.funds, funded))
        self.link_sum_roles(node, fact, clause)
        self.set_dates(node, fact.dates)
        self.funding_at[amount.start] = node
        self.restatements.add(self.written_as(fact, "sum", origin, node))
        return node

    def link_sum_roles(self, node: URIRef, fact: Fact, clause: Span) -> None:
        g = self.g
        donors = [e for e in fact.roles.involves if e.type == "Institution"]
        for donor in donors:
            g.add((node, EMK.donor, self.entity_node(donor.key, clause)))
        if not donors and DONOR_DEFAULT in self.entities:
            g.add((node, EMK.donor, self.entity_node(DONOR_DEFAULT, clause)))
        # a country a sum goes to is where it is spent ("budget support for Morocco"), whether
        # or not it also takes part; an agency named with it receives it
        receivers = [e for e in fact.roles.involves if e.type == "Agency"]
        receivers += [e for e in (*fact.roles.involves, *fact.roles.places) if e.is_country]
        for entity in dict.fromkeys(e.key for e in receivers):
            g.add((node, EMK.recipient, self.entity_node(entity, clause)))
        self.link_roles(node, fact.roles, clause)

    # --- the letter's body ----------------------------------------------------------------------

    def write_body(self) -> None:
        steps = sorted(self.curation.steps if self.curation else [], key=lambda s: s.span.start)
        for paragraph in self.letter.paragraphs:
            theme = self.area_themes.get(paragraph.area or "")
            carried: Roles | None = None
            for sentence in self.body_sentences(paragraph):
                for mention in self.matcher.find(self.text[sentence.start : sentence.end]):
                    self.entity_node(mention.entity.key, sentence)
                covered_to = sentence.start
                # read as a whole, so that "..., following discussions in its Management Board
                # this month" is done by the subject of the clause before it
                whole = read_unit(
                    self.text, sentence, self.letter.date, self.matcher, False, None, carried
                )
                told: list[tuple[Span, Step]] = []
                for read in whole.clauses:
                    clause = read.span
                    here = [s for s in steps if clause.start <= s.span.start < clause.end]
                    words = self.text[clause.start : clause.end]
                    if (
                        not here
                        and told
                        and told[-1][0].end <= clause.start
                        and dependent(words)
                        and not words.startswith("as ")  # "as set out at ... on 9 March"
                    ):
                        # "..., with already 130 standing corps deployed at its borders with
                        # Hungary and Bulgaria": a dependent clause belongs to the step before it
                        last, step = told.pop()
                        told.append((Span(last.start, clause.end), step))
                        covered_to = max(covered_to, clause.end)
                        continue
                    if not here:
                        if clause.start >= covered_to:
                            self.write_facts(None, FactUnit(clause, None, Roles(), [read]), "body")
                        continue
                    for i, step in enumerate(here):
                        start = clause.start if i == 0 else step.span.start
                        end = here[i + 1].span.start if i + 1 < len(here) else clause.end
                        end = max(end, min(step.span.end, sentence.end))
                        span = trim(self.text, Span(start, end))
                        covered_to = max(covered_to, span.end)
                        told.append((span, step))
                for span, step in told:
                    # a step told in the second clause keeps to the place of the first ("With
                    # partners in North Africa, we continue ..., while also developing ...")
                    node = self.write_step(span, step, whole.first_place or carried)
                    if theme is not None:
                        self.g.add((node, DCT.subject, theme))
                carried = whole.first_place or carried

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

    def write_step(self, span: Span, step: Step, carried: Roles | None = None) -> URIRef:
        """A step the body reports: the action(s) it restates (`same_as`), or its own. A
        restatement keeps to the place the sentence before it named only where the step it
        restates is."""
        targets = [self.action_at(quote) for quote in step.same_as]
        if carried is not None and targets:
            where = {o for t in targets for o in self.g.objects(t, EMK.location)}
            if self.iri(carried.places[0].kind, carried.places[0].slug) not in where:
                carried = None
        read = read_unit(self.text, span, self.letter.date, self.matcher, False, None, carried)
        if step.same_as:
            said = read.roles()
            if len(targets) > 1:
                # one clause for several steps ("pilot schemes with Bulgaria and Romania"):
                # each step has its own country; the clause gives them their common actors
                said = Roles([e for e in said.involves if not e.is_place], [], [])
            for node in targets:
                self.said.setdefault(node, []).extend(read.statuses())
                self.cite(node, span)
                self.link_roles(node, said, span)
                self.link_keys(node, step.involves, EMK.involves, span)
            self.write_facts(targets[0], read, "body")
            node = targets[0]
        else:
            node = self.unique("action", self.text[span.start : span.end], "letter")
            self.write_action(node, span, with_heading=False, carried=carried)
            self.link_keys(node, step.involves, EMK.involves, span)
            if not step.commitments:
                self.g.add((node, DCT.isPartOf, self.document))
        for number in step.commitments:
            self.g.add((node, EMK.implements, self.iri("commitment", number)))
        if step.part_of is not None:
            self.g.add((node, EMK.partOf, self.action_at(step.part_of)))
        return node

    def action_at(self, quote: Span) -> URIRef:
        containing = [
            (e - s, n) for (s, e), n in self.action_of_span.items() if s <= quote.start < e
        ]
        target = min(containing)[1] if containing else None
        if target is None:
            raise ValueError(f"quote is not an annex item: {self.text[quote.start : quote.end]!r}")
        return target

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
            # the event is read off its clause; curation names it and adds what the words imply
            node = next(
                (
                    n
                    for span, n in self.event_spans
                    if span.start < event.span.end
                    and event.span.start < span.end
                    and (n, EMK.datePhrase, Literal(event.date_phrase)) in self.g
                ),
                None,
            )
            if node is None:
                raise ValueError(
                    f"curated event {event.label!r}: no event dated {event.date_phrase!r} there"
                )
            self.g.set((node, RDFS.label, Literal(event.label, lang="en")))
            self.link_keys(node, event.involves, EMK.involves, event.span)
            self.link_keys(node, event.location, EMK.location, event.span)
            for span in event.also:
                self.cite(node, span)
                # the same happening read off its other words ("discussed in our February
                # meeting") is this event
                for other_span, other in list(self.event_spans):
                    overlaps = other_span.start < span.end and span.start < other_span.end
                    if other != node and overlaps and self.same_dates(node, other):
                        self.fold(other, node)
        for quantity in self.curation.quantities:
            self.write_quantity(quantity, None)
        for component in self.curation.components:
            whole = self.funding_in(component.whole)
            if component.itemised:
                self.g.add((whole, EMK.itemised, Literal(True)))
            for part in component.parts:
                self.g.add((self.funding_in(part), EMK.componentOf, whole))
        for correction in self.curation.corrections:
            self.correct(correction)

    def correct(self, correction: Correction) -> None:
        """An evident slip in a figure: the amount meant, the letter's figure kept beside it and
        a note saying why; the label says what is meant."""
        g = self.g
        node = self.funding_in(correction.span)
        written = whole_units(Decimal(str(g.value(node, EMK.amountEUR))))
        meant = Decimal(correction.amount)
        g.set((node, EMK.amountEUR, _decimal(meant)))
        g.add((node, EMK.amountAsWritten, _decimal(written)))
        g.add((node, SKOS.editorialNote, Literal(correction.note, lang="en")))
        label = str(g.value(node, RDFS.label))
        g.set((node, RDFS.label, Literal(label.replace(euro(written), euro(meant), 1), lang="en")))

    def write_quantity(
        self, quantity: Quantity, whole: URIRef | None, label: str = "", unit: str = ""
    ) -> None:
        """A count the letter gives, as an Event; its parts as Events that are components."""
        g = self.g
        label = label or quantity.label
        node = self.unique("event", label)
        g.add((node, RDF.type, EMK.Event))
        g.add((node, RDFS.label, Literal(label, lang="en")))
        g.add((node, EMK.quantity, _decimal(Decimal(quantity.quantity))))
        g.add((node, EMK.unit, Literal(quantity.unit or unit, lang="en")))  # parts: the whole's
        container = self.container_of(quantity.span)
        words = self.text[container.start : container.end] if container else ""
        dates = find_dates(words, self.letter.date)
        first = min((d.first for d in dates), default=self.letter.date)
        last = max((d.last for d in dates), default=self.letter.date)
        g.add((node, SCHEMA.startDate, Literal(first, datatype=XSD.date)))
        g.add((node, SCHEMA.endDate, Literal(last, datatype=XSD.date)))
        status = clause_status(words, dates, self.letter.date)
        self.set_status(node, status or status_of_interval(first, last, self.letter.date))
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
            self.write_quantity(part, node, f"{label}: {part.label}", quantity.unit or unit)

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

    def write_statuses(self) -> None:
        """An action is Completed if all its facts are done, Planned if all are ahead, else
        Ongoing; its restatements in the body count as its facts too."""
        for node, said in self.said.items():
            self.g.remove((node, EMK.status, None))
            self.set_status(node, aggregate_status(said) or self.fallback_status[node])

    def join_cross_references(self) -> None:
        """An annex bullet that points to another point for the same step ("Bilateral meetings
        between Commission and all Member States underway ... (see point 10)") is that step told
        again: one action, with both passages, both points and what each says of its status."""
        g = self.g
        for node in list(self.said):
            words = str(g.value(node, DCT.description) or "")
            see = SEE_POINT.search(words)
            if see is None:
                continue
            point = self.iri("commitment", see.group(1))
            mine = _content_words(words)
            candidates = [
                (len(mine & _content_words(str(g.value(c, DCT.description) or ""))), str(c), c)
                for c in g.subjects(EMK.implements, point)
                if isinstance(c, URIRef) and c != node and (c, EMK.partOf, None) not in g
            ]
            if not candidates:
                continue
            overlap, _, target = max(candidates)
            if overlap < 2:
                continue
            self.fold(node, target)
            self.said[target] = self.said[target] + self.said.pop(node)

    def fold(self, node: URIRef, into: URIRef) -> None:
        """`node` told again: `into` takes its passages, points, roles, events and what links to
        it; `node` goes."""
        g = self.g
        for p, o in list(g.predicate_objects(node)):
            if p in JOINED:
                g.add((into, p, o))
        for s, p in list(g.subject_predicates(node)):
            g.add((s, p, into))
        g.remove((node, None, None))
        g.remove((None, None, node))
        self.event_spans = [(span, into if n == node else n) for span, n in self.event_spans]

    def same_dates(self, a: URIRef, b: URIRef) -> bool:
        return all(
            self.g.value(a, p) == self.g.value(b, p) for p in (SCHEMA.startDate, SCHEMA.endDate)
        )

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
            for place in entity.located_in:
                # what a policy is about: an EU Action Plan covers its route
                if place in self.mentioned:
                    kind, slug = place.split("/", 1)
                    g.add((node, DCT.spatial, self.iri(kind, slug)))
            for passage in self.mentioned[key]:
                g.add((node, PROV.wasDerivedFrom, passage))

    def write(self) -> Graph:
        self.g.bind("emk", EMK)
        self.write_document()
        self.write_commitments()
        self.write_themes()
        self.write_body()
        self.write_curated()
        self.join_cross_references()
        self.write_statuses()
        self.write_entities()
        return self.g


# --- text helpers --------------------------------------------------------------------------------

SEE_POINT = re.compile(r"\(see point (\d+)\)")
# what an action told twice keeps of its second telling: its passage, point, roles and events
JOINED = (
    PROV.wasDerivedFrom,
    EMK.implements,
    EMK.involves,
    EMK.location,
    EMK.refersTo,
    EMK.hasEvent,
    DCT.subject,
)
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "with",
        "all",
        "of",
        "in",
        "to",
        "for",
        "by",
        "on",
        "a",
        "an",
        "its",
        "their",
        "see",
        "point",
    ]
)


def _content_words(words: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", words.lower()) if w not in STOPWORDS}


def _first(text: str, words: str) -> Span:
    at = text.find(words)
    return Span(at, at + len(words))


def _decimal(value: Decimal) -> Literal:
    """An xsd:decimal in canonical form ('524.0'), so every serialisation writes the same term."""
    text = format(value, "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)
