"""The ontology: it parses, its header and terms are documented, and it has the contract's terms."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "emk.ttl"
CHECKS = ROOT / "ontology" / "checks"

EMK = Namespace("https://w3id.org/eu-migration-kg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/eu-migration-kg/ontology")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")
# An open Namespace: pytest probing rdflib's closed XSD namespace at collection warns.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

# The contract's class table and the lead's alignments: class -> the classes it is a subclass of.
CLASSES: dict[str, set[URIRef]] = {
    "Commitment": {PROV.Plan},
    "Action": {PROV.Activity},
    "Actor": {PROV.Agent},
    "Agency": {EMK.Actor, ORG.Organization},
    "Institution": {EMK.Actor, ORG.Organization},
    "PartnerCountry": {EMK.Actor, SCHEMA.Country},
    "MemberState": {EMK.Actor, SCHEMA.Country},
    "Person": {EMK.Actor, FOAF.Person},
    "FundingInstrument": {SCHEMA.MonetaryGrant},
    "Event": {SCHEMA.Event, PROV.Activity},
    "Region": {DCTERMS.Location},
    "Policy": {SKOS.Concept},
    "Theme": {SKOS.Concept},
    "Passage": {PROV.Entity},
    "Status": {SKOS.Concept},
}

OBJECT_PROPERTIES = (
    "implements",
    "involves",
    "location",
    "memberOf",
    "status",
    "funds",
    "donor",
    "recipient",
    "componentOf",
    "partOf",
    "refersTo",
    "affiliation",
    "hasEvent",
)

DATATYPE_PROPERTIES: dict[str, URIRef | None] = {
    "amountEUR": XSD.decimal,
    "amountAsWritten": XSD.decimal,
    "amountPhrase": None,
    "amountQualifier": None,
    "quantity": XSD.decimal,
    "unit": None,
    "datePhrase": None,
    "role": RDF.langString,
    "adjective": None,
    "itemised": XSD.boolean,
}

STATUSES = ("Completed", "Ongoing", "Planned")

# Trips every check in ontology/checks at least once.
BROKEN_ONTOLOGY = """
@prefix emk: <https://w3id.org/eu-migration-kg/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/eu-migration-kg/ontology> a owl:Ontology .
emk:Unlabelled a owl:Class .
emk:Twice a owl:Class ;
    rdfs:label "Twice"@en , "Twice again"@en , "sans langue" ;
    rdfs:subClassOf emk:Typo .
emk:noRange a owl:ObjectProperty .
"""


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


def emk_terms(graph: Graph) -> set[URIRef]:
    return {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(str(EMK))
    }


def check_files() -> list[object]:
    files = sorted(CHECKS.glob("*-violation.rq"))
    if not files:
        return [pytest.param(None, id="no-violation-checks-found")]
    return [pytest.param(path, id=path.stem) for path in files]


def test_ontology_parses_and_declares_itself() -> None:
    graph = ontology()
    assert len(graph) > 100
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph


def test_header() -> None:
    graph = ontology()
    assert graph.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert graph.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(
        "https://w3id.org/eu-migration-kg/ontology/0.1.0"
    )
    modified = graph.value(ONTOLOGY_IRI, DCTERMS.modified)
    assert isinstance(modified, Literal)
    assert modified.datatype == XSD.date
    assert graph.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    for predicate in (RDFS.label, DCTERMS.title, DCTERMS.description, DCTERMS.creator):
        assert graph.value(ONTOLOGY_IRI, predicate) is not None, predicate
    assert graph.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("emk")
    assert str(graph.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == str(EMK)


def test_every_term_is_labelled_defined_and_defined_by() -> None:
    graph = ontology()
    terms = emk_terms(graph)
    assert len(terms) >= len(CLASSES) + len(OBJECT_PROPERTIES) + len(DATATYPE_PROPERTIES)
    for term in terms:
        labels = [o for o in graph.objects(term, RDFS.label) if isinstance(o, Literal)]
        definitions = [o for o in graph.objects(term, SKOS.definition) if isinstance(o, Literal)]
        assert [label.language for label in labels] == ["en"], term
        assert [d.language for d in definitions] == ["en"], term
        assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in graph, term


@pytest.mark.parametrize(("name", "supers"), CLASSES.items())
def test_class_exists_with_alignment(name: str, supers: set[URIRef]) -> None:
    graph = ontology()
    assert (EMK[name], RDF.type, OWL.Class) in graph
    assert set(graph.objects(EMK[name], RDFS.subClassOf)) >= supers


@pytest.mark.parametrize("name", OBJECT_PROPERTIES)
def test_object_property_exists(name: str) -> None:
    assert (EMK[name], RDF.type, OWL.ObjectProperty) in ontology()


@pytest.mark.parametrize(("name", "range_"), DATATYPE_PROPERTIES.items())
def test_datatype_property_exists(name: str, range_: URIRef | None) -> None:
    graph = ontology()
    assert (EMK[name], RDF.type, OWL.DatatypeProperty) in graph
    if range_ is not None:
        assert graph.value(EMK[name], RDFS.range) == range_


def test_affiliation_specialises_schema_affiliation() -> None:
    assert (EMK.affiliation, RDFS.subPropertyOf, SCHEMA.affiliation) in ontology()


def test_no_terms_beyond_the_vocabulary() -> None:
    expected = (
        {EMK[name] for name in CLASSES}
        | {EMK[name] for name in OBJECT_PROPERTIES}
        | {EMK[name] for name in DATATYPE_PROPERTIES}
        | {EMK[name] for name in STATUSES}
        | {EMK.StatusScheme}
    )
    assert emk_terms(ontology()) == expected


def test_no_named_individual_declarations() -> None:
    """pyshacl deep-copies owl:NamedIndividual nodes from ont_graph: validation gets ~30x slower."""
    assert list(ontology().subjects(RDF.type, OWL.NamedIndividual)) == []


@pytest.mark.parametrize("name", STATUSES)
def test_status_concepts(name: str) -> None:
    graph = ontology()
    status = EMK[name]
    assert (status, RDF.type, EMK.Status) in graph
    assert (status, RDF.type, SKOS.Concept) in graph
    assert (status, SKOS.inScheme, EMK.StatusScheme) in graph
    assert (EMK.StatusScheme, SKOS.hasTopConcept, status) in graph
    assert graph.value(status, SKOS.prefLabel) is not None
    assert (EMK.StatusScheme, RDF.type, SKOS.ConceptScheme) in graph


@pytest.mark.parametrize("path", check_files())
def test_violation_check_returns_no_rows(path: Path | None) -> None:
    if path is None:
        pytest.fail(f"no *-violation.rq files in {CHECKS}")
    rows = list(ontology().query(path.read_text(encoding="utf-8")))
    assert rows == [], f"{path.name}: {rows}"


@pytest.mark.parametrize("path", check_files())
def test_violation_check_catches_a_broken_ontology(path: Path | None) -> None:
    if path is None:
        pytest.fail(f"no *-violation.rq files in {CHECKS}")
    broken = Graph().parse(data=BROKEN_ONTOLOGY, format="turtle")
    rows = list(broken.query(path.read_text(encoding="utf-8")))
    assert rows, f"{path.name} finds nothing wrong in a broken ontology"
