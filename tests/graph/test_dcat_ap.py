"""The dataset description (`void.ttl`, served at /void) against the official DCAT-AP 3.0.1
shapes (a copy in tests/data/dcat-ap-3.0.1, see its NOTICE), as data.europa.eu would check it
before harvesting."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, SH, SKOS, XSD

from graph.build import BuildResult

SHAPES = Path(__file__).resolve().parents[1] / "data" / "dcat-ap-3.0.1"
DCT = "http://purl.org/dc/terms/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
LETTER_DATE = "2023-03-20"


@cache
def _shapes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHAPES / name, format="turtle")
    return graph


def _results(data: Graph, *names: str) -> list[tuple[str, str, str, str]]:
    """(severity, focus node, path, message) of every validation result."""
    _, report, _ = validate(data, shacl_graph=_shapes(*names), advanced=True, allow_warnings=True)
    return [
        (
            str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            str(report.value(result, SH.focusNode)),
            str(report.value(result, SH.resultPath)),
            str(report.value(result, SH.resultMessage)),
        )
        for result in report.subjects(RDF.type, SH.ValidationResult)
    ]


MANDATORY = ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl")


@pytest.fixture(scope="module")
def void(built: BuildResult) -> Graph:
    return Graph().parse(built.out_dir / "void.ttl", format="turtle")


def test_the_description_has_no_dcat_ap_violation(void: Graph) -> None:
    violations = [r for r in _results(void, *MANDATORY) if r[0] == "Violation"]
    assert violations == []


def test_recommended_properties_are_there_but_country_geometry(void: Graph) -> None:
    """A recommendation left open is only the bounding box and centroid of the EU country
    concepts the coverage names (the authority table has them, the description does not)."""
    warnings = _results(void, "shapes_recommended.ttl")
    assert warnings, "the countries' geometry is not described"
    open_paths = {path for _, _, path, _ in warnings}
    assert open_paths <= {str(DCAT.bbox), str(DCAT.centroid)}
    assert {focus for _, focus, _, _ in warnings} <= {
        str(place) for place in void.objects(None, URIRef(DCT + "spatial"))
    }


def test_a_distribution_without_access_url_or_with_a_literal_format_is_refused(
    void: Graph,
) -> None:
    broken = Graph()
    for triple in void:
        broken.add(triple)
    dump = URIRef("https://w3id.org/eu-migration-kg/dumps/emkg.ttl")
    broken.remove((dump, DCAT.accessURL, None))
    broken.remove((dump, URIRef(DCT + "format"), None))
    broken.add((dump, URIRef(DCT + "format"), Literal("text/turtle")))
    found = {(focus, path) for severity, focus, path, _ in _results(broken, *MANDATORY)}
    assert (str(dump), str(DCAT.accessURL)) in found
    assert (str(dump), DCT + "format") in found


def test_every_dump_is_a_distribution_with_eu_file_type_and_iana_media_type(
    void: Graph, built: BuildResult
) -> None:
    dataset = URIRef("https://w3id.org/eu-migration-kg/dataset")
    dumps = {str(d) for d in void.objects(dataset, DCAT.distribution) if "/dumps/" in str(d)}
    assert {d.rsplit("/", 1)[-1] for d in dumps} == {"emkg.ttl", "emkg.nt", "emkg.jsonld"}
    for name in dumps:
        assert (built.out_dir / name.rsplit("/", 1)[-1]).is_file()
        dist = URIRef(name)
        file_type = void.value(dist, URIRef(DCT + "format"))
        assert str(file_type).startswith(AUTHORITY + "file-type/")
        assert str(void.value(dist, DCAT.mediaType)).startswith(
            "https://www.iana.org/assignments/media-types/"
        )
        assert void.value(dist, DCAT.downloadURL) == dist


def test_coverage_names_the_letters_countries_and_its_dates(
    void: Graph, built: BuildResult
) -> None:
    dataset = URIRef("https://w3id.org/eu-migration-kg/dataset")
    spatial = set(void.objects(dataset, URIRef(DCT + "spatial")))
    linked = {
        match
        for match in built.graph.objects(None, SKOS.exactMatch)
        if str(match).startswith(AUTHORITY + "country/")
    }
    assert spatial == linked
    assert URIRef(AUTHORITY + "country/SRB") in spatial
    period = void.value(dataset, URIRef(DCT + "temporal"))
    start = void.value(period, DCAT.startDate)
    end = void.value(period, DCAT.endDate)
    assert start.datatype == end.datatype == XSD.date
    assert str(start) <= LETTER_DATE <= str(end)
    themes = {str(t).rsplit("/", 1)[-1] for t in void.objects(dataset, DCAT.theme)}
    assert themes and all(
        str(t).startswith(AUTHORITY + "data-theme/") for t in void.objects(dataset, DCAT.theme)
    ), themes
    publisher = void.value(dataset, URIRef(DCT + "publisher"))
    assert str(publisher) == AUTHORITY + "corporate-body/COM"
