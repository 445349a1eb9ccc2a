"""The dataset's description as DCAT-AP 3.0.1 asks for it (served at /void beside VoID).

A catalogue such as data.europa.eu harvests DCAT-AP: a dataset with title, description,
publisher (from the EU corporate-body table), licence, themes (EU data-theme vocabulary),
contact point, keywords, temporal and spatial coverage (EU country table), and distributions
with access and download URLs, formats from the EU file-type table and IANA media types. The
controlled-vocabulary concepts are named with their type and scheme, as the DCAT-AP shapes
check them; every node has an IRI, so the file stays byte-stable.
"""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, FOAF, RDF, SKOS, XSD

from graph.namespaces import DCT, PROV, SCHEMA

AUTHORITY = "http://publications.europa.eu/resource/authority/"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
IANA = "https://www.iana.org/assignments/media-types/"
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
CC_BY_EU = URIRef(AUTHORITY + "licence/CC_BY_4_0")
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
SCHEME_TITLES = {
    AUTHORITY + "corporate-body": "Corporate bodies",
    AUTHORITY + "country": "Countries and territories",
    AUTHORITY + "data-theme": "Data theme",
    AUTHORITY + "file-type": "File type",
    AUTHORITY + "planned-availability": "Planned availability",
    ADMS_LICENCE_TYPE + "1.0": "Licence type",
    ADMS_PUBLISHER_TYPE + "1.0": "Publisher type",
}
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")

#: dump file -> (EU file-type code, its label, IANA media type)
DUMP_FORMATS = {
    "emkg.ttl": ("RDF_TURTLE", "Turtle", "text/turtle"),
    "emkg.nt": ("RDF_N_TRIPLES", "N-Triples", "application/n-triples"),
    "emkg.jsonld": ("JSON_LD", "JSON-LD", "application/ld+json"),
}
#: EU data themes (data-theme table): migration policy is about people, foreign relations and
#: border security
THEMES = {
    "SOCI": "Population and society",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
}
KEYWORDS = ("migration", "asylum", "border management", "return", "European Union")
#: the publisher: the European Commission in the EU corporate-body table
PUBLISHER = ("COM", "European Commission")


def _concept(graph: Graph, table: str, code: str, label: str, *types: URIRef) -> URIRef:
    """A concept of an EU authority table, with its scheme, label and DCAT-AP range classes."""
    return _in_scheme(graph, f"{AUTHORITY}{table}/{code}", AUTHORITY + table, label, *types)


def _scheme(graph: Graph, iri: str) -> None:
    graph.add((URIRef(iri), RDF.type, SKOS.ConceptScheme))
    graph.add((URIRef(iri), DCT.title, Literal(SCHEME_TITLES[iri], lang="en")))


def _in_scheme(graph: Graph, iri: str, scheme: str, label: str, *types: URIRef) -> URIRef:
    concept = URIRef(iri)
    graph.add((concept, RDF.type, SKOS.Concept))
    for kind in types:
        graph.add((concept, RDF.type, kind))
    graph.add((concept, SKOS.inScheme, URIRef(scheme)))
    _scheme(graph, scheme)
    graph.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
    return concept


def describe(void: Graph, data: Graph, base: str, dumps: list[str]) -> None:
    """Add the DCAT-AP description of `{base}dataset` (built from `data`) to `void`."""
    void.bind("dcatap", DCATAP)
    void.bind("vcard", VCARD)
    void.bind("foaf", FOAF)
    dataset = URIRef(base + "dataset")
    void.add((dataset, RDF.type, DCAT.Dataset))
    void.add((dataset, DCAT.landingPage, URIRef(base)))
    void.add((URIRef(base), RDF.type, FOAF.Document))
    void.add((dataset, PROV.wasDerivedFrom, URIRef(base + "id/document/letter-2023-03-20")))

    publisher = _concept(void, "corporate-body", *PUBLISHER, FOAF.Agent)
    void.add((publisher, FOAF.name, Literal(PUBLISHER[1], lang="en")))
    supranational = _in_scheme(
        void,
        ADMS_PUBLISHER_TYPE + "SupraNationalAuthority",
        ADMS_PUBLISHER_TYPE + "1.0",
        "Supra-national authority",
    )
    void.add((publisher, DCT.type, supranational))

    void.add((CC_BY, RDF.type, DCT.LicenseDocument))
    void.add((CC_BY, SKOS.exactMatch, CC_BY_EU))
    attribution = _in_scheme(
        void, ADMS_LICENCE_TYPE + "Attribution", ADMS_LICENCE_TYPE + "1.0", "Attribution"
    )
    void.add((CC_BY, DCT.type, attribution))

    contact = URIRef(base + "dataset/contact")
    void.add((contact, RDF.type, VCARD.Kind))
    void.add((contact, VCARD.fn, Literal("eu-migration-kg maintainers", lang="en")))
    void.add((contact, VCARD.hasURL, URIRef(base)))

    service = URIRef(base + "dataset/service/sparql")
    for resource in (dataset, service):
        void.add((resource, DCT.publisher, publisher))
        void.add((resource, DCT.license, CC_BY))
        void.add((resource, DCAT.contactPoint, contact))
        for code, label in THEMES.items():
            void.add((resource, DCAT.theme, _concept(void, "data-theme", code, label)))
        for word in KEYWORDS:
            void.add((resource, DCAT.keyword, Literal(word, lang="en")))

    _coverage(void, data, dataset, base)
    _distributions(void, dataset, service, base, dumps)


def _coverage(void: Graph, data: Graph, dataset: URIRef, base: str) -> None:
    """Temporal coverage: the graph's dates, first to last; spatial: its countries' codes."""
    days = sorted(
        {
            date.toPython()
            for predicate in (SCHEMA.startDate, SCHEMA.endDate)
            for date in data.objects(None, predicate)
            if isinstance(date, Literal) and date.datatype == XSD.date
        }
    )
    if days:
        period = URIRef(base + "dataset/period")
        void.add((dataset, DCT.temporal, period))
        void.add((period, RDF.type, DCT.PeriodOfTime))
        void.add((period, DCAT.startDate, Literal(days[0], datatype=XSD.date)))
        void.add((period, DCAT.endDate, Literal(days[-1], datatype=XSD.date)))
    countries = AUTHORITY + "country/"
    for place in sorted(
        {
            match
            for match in data.objects(None, SKOS.exactMatch)
            if isinstance(match, URIRef) and str(match).startswith(countries)
        }
    ):
        void.add((dataset, DCT.spatial, place))
        void.add((place, RDF.type, DCT.Location))
        void.add((place, SKOS.inScheme, URIRef(AUTHORITY + "country")))
        _scheme(void, AUTHORITY + "country")


def _distributions(
    void: Graph, dataset: URIRef, service: URIRef, base: str, dumps: list[str]
) -> None:
    """One distribution per dump file, and the SPARQL endpoint as a data service."""
    stable = _concept(void, "planned-availability", "STABLE", "stable")
    for name in dumps:
        code, label, media_type = DUMP_FORMATS[name]
        dist = URIRef(f"{base}dumps/{name}")
        void.add((dataset, DCAT.distribution, dist))
        void.add((dist, RDF.type, DCAT.Distribution))
        void.add((dist, DCT.title, Literal(f"The whole graph as {label}", lang="en")))
        void.add(
            (dist, DCT.description, Literal(f"Every triple of the graph, as {label}.", lang="en"))
        )
        void.add((dist, DCAT.accessURL, dist))
        void.add((dist, DCAT.downloadURL, dist))
        void.add(
            (dist, DCT["format"], _concept(void, "file-type", code, label, DCT.MediaTypeOrExtent))
        )
        iana = URIRef(IANA + media_type)
        void.add((dist, DCAT.mediaType, iana))
        void.add((iana, RDF.type, DCT.MediaType))
        void.add((dist, DCT.license, CC_BY))
        void.add((dist, DCATAP.availability, stable))

    endpoint = URIRef(base + "sparql")
    void.add((service, RDF.type, DCAT.DataService))
    void.add((service, DCT.title, Literal("SPARQL 1.1 query endpoint (read-only)", lang="en")))
    void.add((service, DCAT.endpointURL, endpoint))
    void.add((service, DCAT.endpointDescription, endpoint))
    void.add((service, DCAT.servesDataset, dataset))
    void.add((service, DCT.conformsTo, SPARQL_PROTOCOL))
    void.add((SPARQL_PROTOCOL, RDF.type, DCT.Standard))
    sparql = URIRef(base + "dataset/distribution/sparql")
    void.add((dataset, DCAT.distribution, sparql))
    void.add((sparql, RDF.type, DCAT.Distribution))
    void.add((sparql, DCT.title, Literal("SPARQL endpoint", lang="en")))
    void.add(
        (
            sparql,
            DCT.description,
            Literal("Ask the graph with SPARQL 1.1 queries over HTTP.", lang="en"),
        )
    )
    void.add((sparql, DCAT.accessURL, endpoint))
    void.add((sparql, DCAT.accessService, service))
    void.add(
        (
            sparql,
            DCT["format"],
            _concept(void, "file-type", "SPARQLQ", "SPARQL", DCT.MediaTypeOrExtent),
        )
    )
    void.add((sparql, DCT.license, CC_BY))
    void.add((sparql, DCATAP.availability, stable))
