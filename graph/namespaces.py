"""The IRIs the graph is written in: the contract's base, ontology namespace and prefixes."""

from __future__ import annotations

import re
import unicodedata

from rdflib import Namespace, URIRef

from graph.prefixes import BASE as BASE
from graph.prefixes import KINDS as KINDS
from graph.prefixes import PREFIXES as PREFIXES

EMK = Namespace(PREFIXES["emk"])
ONTOLOGY_IRI = URIRef(BASE + "ontology")
DATASET_IRI = URIRef(BASE + "dataset")

DCT = Namespace(PREFIXES["dct"])
SCHEMA = Namespace(PREFIXES["schema"])
SKOS = Namespace(PREFIXES["skos"])
PROV = Namespace(PREFIXES["prov"])
OA = Namespace(PREFIXES["oa"])
ORG = Namespace(PREFIXES["org"])
FOAF = Namespace(PREFIXES["foaf"])
VOID = Namespace(PREFIXES["void"])
DCAT = Namespace(PREFIXES["dcat"])
SH = Namespace("http://www.w3.org/ns/shacl#")

EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
EU_CORPORATE_BODY = "http://publications.europa.eu/resource/authority/corporate-body/"
WIKIDATA = "http://www.wikidata.org/entity/"
EUROVOC = "http://eurovoc.europa.eu/"


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
