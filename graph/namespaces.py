"""The IRIs the graph is written in: the contract's base, ontology namespace and prefixes."""

from __future__ import annotations

import re
import unicodedata

from rdflib import Namespace, URIRef

BASE = "https://w3id.org/eu-migration-kg/"
EMK = Namespace(BASE + "ontology#")
ONTOLOGY_IRI = URIRef(BASE + "ontology")
DATASET_IRI = URIRef(BASE + "dataset")

DCT = Namespace("http://purl.org/dc/terms/")
SCHEMA = Namespace("http://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SH = Namespace("http://www.w3.org/ns/shacl#")

EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
EU_CORPORATE_BODY = "http://publications.europa.eu/resource/authority/corporate-body/"
WIKIDATA = "http://www.wikidata.org/entity/"
EUROVOC = "http://eurovoc.europa.eu/"

PREFIXES: dict[str, str] = {
    "emk": str(EMK),
    "dct": str(DCT),
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "prov": str(PROV),
    "oa": str(OA),
    "org": str(ORG),
    "foaf": str(FOAF),
    "void": str(VOID),
    "dcat": str(DCAT),
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


def slugify(text: str, max_words: int = 8) -> str:
    """Lowercase ASCII words joined by '-', diacritics folded: 'Türkiye' -> 'turkiye'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", folded.lower())
    return "-".join(words[:max_words])


def resource(kind: str, slug: str, base: str = BASE) -> URIRef:
    """The contract's instance IRI: {base}id/{kind}/{slug}."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise ValueError(f"slug {slug!r} is not lowercase ASCII words joined by '-'")
    return URIRef(f"{base}id/{kind}/{slug}")
