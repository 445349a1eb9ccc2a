"""The ontology, the shapes and the VoID description read with rdflib, for their pages and
their RDF types other than Turtle (`api.routers.pages`).

A module of its own so that rdflib (about 4 MiB) is imported only when one of those pages is
asked for: a server that answers queries never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, VOID
from rdflib.term import Node

from api.html import Fact, OntologyView, ShapeView, TermView, local_href
from api.routers.resources import compact
from api.settings import Settings


@lru_cache(maxsize=8)
def parsed(path: Path, mtime_ns: int, size: int) -> Graph:
    return Graph().parse(path, format="turtle")


@lru_cache(maxsize=16)
def converted(path: Path, mtime_ns: int, size: int, rdflib_format: str) -> bytes:
    graph = parsed(path, mtime_ns, size)
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


def void_facts(graph: Graph, settings: Settings) -> list[Fact]:
    dataset = next(graph.subjects(RDF.type, VOID.Dataset), None)
    if dataset is None:
        return []
    facts: list[Fact] = []
    for name, predicate in (
        ("Title", DCTERMS.title),
        ("Description", DCTERMS.description),
        ("Triples", VOID.triples),
        ("Entities", VOID.entities),
    ):
        value = graph.value(dataset, predicate)
        if value is not None:
            facts.append(Fact(name, text=str(value)))
    for name, predicate in (
        ("License", DCTERMS.license),
        ("Derived from", PROV.wasDerivedFrom),
        ("SPARQL endpoint", VOID.sparqlEndpoint),
    ):
        value = graph.value(dataset, predicate)
        if isinstance(value, URIRef):
            href = local_href(str(value), settings.base_iri)
            facts.append(Fact(name, links=[(href, str(value))]))
    dumps = sorted(str(d) for d in graph.objects(dataset, VOID.dataDump))
    if dumps:
        links = [(local_href(dump, settings.base_iri), dump.rsplit("/", 1)[-1]) for dump in dumps]
        facts.append(Fact("Dumps", links=links))
    return facts
