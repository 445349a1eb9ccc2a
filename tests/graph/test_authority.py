"""Names in the EU's languages: the project's copy of the authority tables' labels, and the
language-tagged skos:altLabels the build gives countries and bodies from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from graph.authority import EU_LANGUAGES, LABELS_FILE, extract, linked_entries

PROJECT = Path(__file__).resolve().parents[2]
VENDOR = PROJECT.parent / "shared" / "vendor" / "eu-authority-tables"
ID = "https://w3id.org/eu-migration-kg/id/"


def test_the_copy_says_where_it_comes_from_and_under_which_licence() -> None:
    header = LABELS_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "Publications Office" in header
    assert "eea/OpenDataPortal" in header and "1fe5a5e" in header
    assert "2011/833/EU" in header


@pytest.mark.skipif(not VENDOR.is_dir(), reason="the vendor copy of the tables is not here")
def test_the_copy_is_the_tables_labels_unchanged() -> None:
    assert extract(VENDOR, linked_entries()) == LABELS_FILE.read_text(encoding="utf-8")


def test_every_linked_entry_of_the_tables_has_names() -> None:
    labels = Graph().parse(LABELS_FILE, format="turtle")
    named = {str(s) for s in labels.subjects()}
    missing = set(linked_entries()) - named
    # the 2016 tables predate the EU Asylum Agency (2022) and do not list the IOM
    body = "http://publications.europa.eu/resource/authority/corporate-body/"
    assert missing == {body + "EUAA", body + "IOM"}


def altlabels(g: Graph, slug: str) -> set[tuple[str, str | None]]:
    return {
        (str(name), name.language)
        for name in g.objects(URIRef(ID + slug), SKOS.altLabel)
        if isinstance(name, Literal)
    }


def test_countries_and_bodies_carry_their_names_in_the_eus_languages(g: Graph) -> None:
    serbia = altlabels(g, "country/serbia")
    assert {("Serbien", "de"), ("Serbie", "fr"), ("Srbija", "hr"), ("Servië", "nl")} <= serbia
    assert ("Türkei", "de") in altlabels(g, "country/turkiye")
    assert ("Marokko", "de") in altlabels(g, "country/morocco")
    assert any(language == "de" for _, language in altlabels(g, "agency/frontex"))
    # the English label is not repeated as the Italian name
    assert ("Serbia", "it") not in serbia
    assert g.value(URIRef(ID + "country/serbia"), RDFS.label) == Literal("Serbia", lang="en")


def test_every_alias_is_in_an_official_eu_language(g: Graph) -> None:
    languages = {
        name.language for name in g.objects(None, SKOS.altLabel) if isinstance(name, Literal)
    }
    assert languages <= set(EU_LANGUAGES)
    assert len(languages) >= 20
