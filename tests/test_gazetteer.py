"""Checks on the gazetteer and EuroVoc data: well-formed, consistent, and tied to the letter.

The identifiers themselves were checked by hand against public sources (each `checked` field
says where); these tests guard the shape of the data so that an edit cannot silently break the
graph built from it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER = ROOT / "graph" / "data" / "gazetteer.yaml"
EUROVOC = ROOT / "graph" / "data" / "eurovoc.yaml"
LETTER = ROOT / "sources" / "letter-2023-03-20.txt"

TYPES_BY_KIND = {
    "agency": {"Agency"},
    "country": {"MemberState", "PartnerCountry"},
    "institution": {"Institution", "Actor"},
    "person": {"Person"},
    "policy": {"Policy"},
    "region": {"Region"},
}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
COUNTRY_IRI = re.compile(re.escape(EU_AUTHORITY) + r"country/[A-Z]{3}")
CORPORATE_BODY_IRI = re.compile(re.escape(EU_AUTHORITY) + r"corporate-body/[A-Z][A-Z0-9_]*")
WIKIDATA_IRI = re.compile(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*")
EUROVOC_IRI = re.compile(r"http://eurovoc\.europa\.eu/(?:[0-9]+|c_[0-9a-f]{8})")


def _load(path: Path) -> Any:
    assert path.is_file(), f"missing data file {path}"
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def normalise(text: str) -> str:
    """Case- and diacritic-insensitive form, whitespace collapsed: 'Türkiye' -> 'turkiye'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def occurs(term: str, text: str) -> bool:
    """Whole-word occurrence of an already normalised term in normalised text."""
    return re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text) is not None


ENTRIES: list[dict[str, Any]] = _load(GAZETTEER)
COMMITMENTS: list[dict[str, Any]] = _load(EUROVOC)
LETTER_TEXT = normalise(re.sub(r"<[^>]+>", " ", LETTER.read_text(encoding="utf-8")))
KEYS = {f"{e['kind']}/{e['slug']}" for e in ENTRIES}
REGIONS = {e["slug"] for e in ENTRIES if e["kind"] == "region"}


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['kind']}/{e['slug']}" for e in entries]


def _names(entry: dict[str, Any]) -> list[str]:
    return [entry["label"], *entry.get("aliases", [])]


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [e for e in ENTRIES if e["kind"] == kind]


def test_data_files_are_not_empty() -> None:
    assert len(ENTRIES) > 50
    assert len(COMMITMENTS) == 15


def test_sorted_by_kind_then_slug() -> None:
    order = [(e["kind"], e["slug"]) for e in ENTRIES]
    assert order == sorted(order)


def test_slugs_unique_per_kind() -> None:
    duplicates = [key for key, n in Counter(_ids(ENTRIES)).items() if n > 1]
    assert duplicates == []


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_entry_shape(entry: dict[str, Any]) -> None:
    assert entry["kind"] in TYPES_BY_KIND
    assert entry["type"] in TYPES_BY_KIND[entry["kind"]]
    assert SLUG.fullmatch(entry["slug"]), "slug must be lowercase ASCII words joined by '-'"
    assert isinstance(entry["label"], str)
    assert entry["label"].strip()
    assert isinstance(entry.get("aliases", []), list)
    assert isinstance(entry.get("adjectives", []), list)
    for name in [*entry.get("aliases", []), *entry.get("adjectives", [])]:
        assert isinstance(name, str)
        assert name.strip()
    assert isinstance(entry["description"], str)
    assert entry["description"].strip()
    if entry["kind"] != "country":
        assert "member_of" not in entry, "only countries belong to regions"
    if entry["kind"] != "person":
        assert "role" not in entry
        assert "affiliation" not in entry


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_exact_matches_are_known_schemes_and_checked(entry: dict[str, Any]) -> None:
    for match in entry.get("exact_match", []):
        iri = match["iri"]
        assert (
            COUNTRY_IRI.fullmatch(iri)
            or CORPORATE_BODY_IRI.fullmatch(iri)
            or WIKIDATA_IRI.fullmatch(iri)
            or EUROVOC_IRI.fullmatch(iri)
        ), f"unexpected identifier {iri}"
        assert isinstance(match.get("checked"), str)
        assert match["checked"].strip(), f"{iri} has no record of where it was checked"


@pytest.mark.parametrize("entry", _of_kind("country"), ids=_ids(_of_kind("country")))
def test_country_has_exactly_one_eu_country_iri(entry: dict[str, Any]) -> None:
    iris = [m["iri"] for m in entry.get("exact_match", [])]
    assert len([i for i in iris if COUNTRY_IRI.fullmatch(i)]) == 1
    assert not [i for i in iris if CORPORATE_BODY_IRI.fullmatch(i)]


def test_only_countries_use_the_country_table() -> None:
    misplaced = [
        f"{e['kind']}/{e['slug']}"
        for e in ENTRIES
        if e["kind"] != "country"
        for m in e.get("exact_match", [])
        if m["iri"].startswith(EU_AUTHORITY + "country/")
    ]
    assert misplaced == []


def test_authority_iris_are_only_from_country_and_corporate_body_tables() -> None:
    others = [
        m["iri"]
        for e in ENTRIES
        for m in e.get("exact_match", [])
        if m["iri"].startswith(EU_AUTHORITY)
        and not (COUNTRY_IRI.fullmatch(m["iri"]) or CORPORATE_BODY_IRI.fullmatch(m["iri"]))
    ]
    assert others == []


def test_no_identifier_names_two_entities() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for entry in ENTRIES:
        for match in entry.get("exact_match", []):
            owners[match["iri"]].append(f"{entry['kind']}/{entry['slug']}")
    shared = {iri: keys for iri, keys in owners.items() if len(keys) > 1}
    assert shared == {}


@pytest.mark.parametrize("entry", _of_kind("country"), ids=_ids(_of_kind("country")))
def test_member_of_names_existing_regions(entry: dict[str, Any]) -> None:
    for region in entry.get("member_of", []):
        assert region in REGIONS, f"unknown region {region}"


@pytest.mark.parametrize("entry", _of_kind("person"), ids=_ids(_of_kind("person")))
def test_person_has_role_and_existing_affiliation(entry: dict[str, Any]) -> None:
    assert isinstance(entry.get("role"), str)
    assert entry["role"].strip()
    assert entry.get("affiliation") in KEYS, f"unknown affiliation {entry.get('affiliation')}"


def test_no_name_is_shared_by_two_entities() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in ENTRIES:
        for name in [*_names(entry), *entry.get("adjectives", [])]:
            owners[normalise(name)].add(f"{entry['kind']}/{entry['slug']}")
    collisions = {name: sorted(keys) for name, keys in owners.items() if len(keys) > 1}
    assert collisions == {}


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_entity_is_named_in_the_letter(entry: dict[str, Any]) -> None:
    if entry.get("in_letter", True) is False:
        assert entry.get("note", "").strip(), "an entry marked in_letter: false needs a note why"
        return
    found = [name for name in _names(entry) if occurs(normalise(name), LETTER_TEXT)]
    assert found, f"neither the label nor an alias of {entry['slug']} occurs in the letter"


def test_names_match_whole_words_regardless_of_case_and_diacritics() -> None:
    assert normalise("Türkiye") == "turkiye"
    assert occurs("niger", normalise("with Niger and Europol"))
    assert not occurs("niger", normalise("such as Nigeria"))


def test_eurovoc_covers_each_commitment_once() -> None:
    assert sorted(c["commitment"] for c in COMMITMENTS) == list(range(1, 16))


@pytest.mark.parametrize(
    "commitment", COMMITMENTS, ids=[f"commitment-{c['commitment']}" for c in COMMITMENTS]
)
def test_eurovoc_subjects(commitment: dict[str, Any]) -> None:
    subjects = commitment["subjects"]
    assert len(subjects) <= 3
    iris = [s["iri"] for s in subjects]
    assert len(set(iris)) == len(iris)
    for subject in subjects:
        assert EUROVOC_IRI.fullmatch(subject["iri"]), subject["iri"]
        assert isinstance(subject["label"], str)
        assert subject["label"].strip()
        assert isinstance(subject["checked"], str)
        assert subject["checked"].strip()


def test_a_eurovoc_id_keeps_one_label() -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for commitment in COMMITMENTS:
        for subject in commitment["subjects"]:
            labels[subject["iri"]].add(subject["label"])
    assert {iri: names for iri, names in labels.items() if len(names) > 1} == {}
