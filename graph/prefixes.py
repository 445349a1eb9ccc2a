"""The contract's base IRI, prefixes and kinds of resource, as plain strings.

Without rdflib: the web server reads these on every start and never needs rdflib to answer
queries (rdflib adds about 4 MiB to a server process). `graph.namespaces` makes rdflib
namespaces of them for the builder.
"""

from __future__ import annotations

BASE = "https://w3id.org/eu-migration-kg/"

PREFIXES: dict[str, str] = {
    "emk": BASE + "ontology#",
    "dct": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

KINDS = (
    "commitment",
    "action",
    "agency",
    "institution",
    "country",
    "region",
    "person",
    "event",
    "funding",
    "policy",
    "theme",
    "scheme",
    "passage",
    "document",
)
