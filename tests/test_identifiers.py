"""Every EU authority code in the gazetteer checked against the Publications Office's own tables
(a 2016 copy in tests/data/eu-authority-tables, see its NOTICE): the code is a concept of the
right table, in use, named as we name the entity; a code the copy lacks says where else it was
confirmed, or is marked unconfirmed; a label the copy gives otherwise says why. Wikidata
identifiers name their source."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tests" / "data" / "eu-authority-tables"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
AT = Namespace("http://publications.europa.eu/ontology/authority/")
TABLE_FILES = {"country": "countries-skos.rdf", "corporate-body": "corporatebodies-skos.rdf"}

ENTRIES: list[dict[str, Any]] = yaml.safe_load(
    (ROOT / "graph" / "data" / "gazetteer.yaml").read_text(encoding="utf-8")
)
CODES = [
    (entry, match)
    for entry in ENTRIES
    for match in entry.get("exact_match") or []
    if match["iri"].startswith(AUTHORITY)
]


@cache
def table(name: str) -> Graph:
    return Graph().parse(TABLES / TABLE_FILES[name], format="xml")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _english_names(graph: Graph, concept: URIRef) -> set[str]:
    return {
        _fold(str(label))
        for predicate in (SKOS.prefLabel, SKOS.altLabel)
        for label in graph.objects(concept, predicate)
        if isinstance(label, Literal) and label.language == "en"
    }


def _id(item: tuple[dict[str, Any], dict[str, Any]]) -> str:
    return item[1]["iri"].removeprefix(AUTHORITY)


def test_the_gazetteer_has_codes_of_both_tables() -> None:
    tables = {match["iri"].removeprefix(AUTHORITY).split("/")[0] for _, match in CODES}
    assert tables == set(TABLE_FILES)
    assert len(CODES) >= 30


@pytest.mark.parametrize("item", CODES, ids=[_id(item) for item in CODES])
def test_each_eu_authority_code_against_the_table(
    item: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    entry, match = item
    name, _, code = match["iri"].removeprefix(AUTHORITY).partition("/")
    graph = table(name)
    concept = URIRef(match["iri"])
    if (concept, SKOS.inScheme, URIRef(AUTHORITY + name)) not in graph:
        # a code the 2016 copy lacks: where else it was confirmed, or marked unconfirmed
        note = match.get("confirmed_elsewhere") or match.get("unconfirmed")
        assert isinstance(note, str) and note.strip(), (
            f"{code} is not in the copy of the {name} table: say where it was confirmed "
            "(confirmed_elsewhere) or mark it unconfirmed"
        )
        return
    assert "unconfirmed" not in match, f"{code} is in the table: it is confirmed"
    assert str(graph.value(concept, AT.deprecated)) != "true", f"{code} is deprecated"
    assert graph.value(concept, AT["end.use"]) is None, f"{code} is no longer in use"
    assert str(graph.value(concept, AT["op-code"])) == code
    ours = {_fold(n) for n in [entry["label"], *entry.get("aliases", [])]}
    if not ours & _english_names(graph, concept):
        assert match.get("copy_label_differs"), (
            f"the table names {code} {sorted(_english_names(graph, concept))}, we name it "
            f"{sorted(ours)}: say why (copy_label_differs)"
        )


def test_the_euaa_code_is_marked_unconfirmed_and_the_ioms_confirmed_elsewhere() -> None:
    """The copy is of 2016: the EUAA (2022) and the IOM code are not in it."""
    missing = {
        match["iri"].rsplit("/", 1)[-1]: match
        for _, match in CODES
        if (URIRef(match["iri"]), None, None)
        not in table(match["iri"].removeprefix(AUTHORITY).split("/")[0])
    }
    assert set(missing) == {"EUAA", "IOM"}
    assert "unconfirmed" in missing["EUAA"]
    assert "confirmed_elsewhere" in missing["IOM"]


def test_wikidata_identifiers_name_their_source() -> None:
    wikidata = [
        (entry["slug"], match)
        for entry in ENTRIES
        for match in entry.get("exact_match") or []
        if match["iri"].startswith("http://www.wikidata.org/entity/Q")
    ]
    assert len(wikidata) >= 40
    for slug, match in wikidata:
        assert "[" in match["checked"] and "seen 2026-" in match["checked"], slug
    bodies = {slug for slug, _ in wikidata}
    assert {"frontex", "euaa", "europol", "eurojust", "eeas", "european-commission"} <= bodies
    assert {"european-council", "council-of-the-eu", "iom"} <= bodies
