"""The build as a whole: byte-stable output, round-trips, curation that must find its quotes, and
a second letter of the same shape to show the parser is not tied to one text."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from graph.build import BuildResult, build
from graph.curation import QuoteNotFoundError, load_curation
from graph.namespaces import BASE, DCT, EMK, SCHEMA, SKOS

PROJECT = Path(__file__).resolve().parents[2]
LETTER = PROJECT / "sources" / "letter-2023-03-20.txt"

SECOND_LETTER = """

EUROPEAN COMMISSION

The President

Brussels, 5 June 2023

Dear colleagues,

*Since our meeting in March, we have made progress on our common priorities. The Commission will keep you informed.*

**Strengthening external borders:** On 2 June, Frontex deployed new teams in Albania. Commissioner
Johansson visited Serbia on 3 June and Vice-President Schinas will be visiting Egypt on 20-21 June.
The Commission will mobilise EUR 45 million for equipment in the Western Balkans by end July.

./..

*Yours sincerely,*

*Ursula von der Leyen*

## Follow-up after the March European Council (situation as of 1 June)

President's letter/EUCO conclusions\tFollow-up
<p>1. <b>Faster returns from the Western Balkans</b>, with the support of Frontex and</p>\t<ul style="list-style-type: none"> <li>• Return flights from <b>Serbia</b> organised on 12-13 May with Frontex.</li> <li>• Working arrangement with Montenegro to be signed</li> </ul>

President's letter/EUCO conclusions\tFollow-up
Europol, in the second half of 2023.\t<p>in Q3 2023, with €12 million for training.</p>
<p>2. <b>Legal pathways</b> for skilled workers from Egypt.</p>\t<ul style="list-style-type: none"> <li>• Talent Partnership round table with <b>Egypt</b> held on 30 May.</li> </ul>
"""


def test_same_input_gives_byte_identical_files(built: BuildResult, tmp_path: Path) -> None:
    build(LETTER, tmp_path)
    for first in built.files:
        assert (tmp_path / first.name).read_bytes() == first.read_bytes(), first.name


@pytest.mark.parametrize(
    ("name", "fmt"), [("emkg.ttl", "turtle"), ("emkg.nt", "nt"), ("emkg.jsonld", "json-ld")]
)
def test_dumps_round_trip(built: BuildResult, name: str, fmt: str) -> None:
    parsed = Graph().parse(built.out_dir / name, format=fmt)
    assert isomorphic(parsed, built.graph)


def test_void_counts_the_dataset(built: BuildResult) -> None:
    void = Graph().parse(built.out_dir / "void.ttl")
    triples = next(void.objects(None, URIRef("http://rdfs.org/ns/void#triples")))
    assert int(triples) == len(built.graph)
    dumps = set(void.objects(None, URIRef("http://rdfs.org/ns/void#dataDump")))
    assert {str(d).rsplit("/", 1)[-1] for d in dumps} == {"emkg.ttl", "emkg.nt", "emkg.jsonld"}


def test_stored_text_is_what_passages_index(built: BuildResult) -> None:
    stored = (built.out_dir / "letter-2023-03-20.txt").read_text(encoding="utf-8")
    assert stored == built.letter.text


def test_a_curated_quote_that_is_not_in_the_letter_fails_naming_it(tmp_path: Path) -> None:
    curated = tmp_path / "curated.yaml"
    curated.write_text(
        'steps:\n  - quote: "Frontex opened an office on the Moon"\n    commitments: [1]\n'
    )
    with pytest.raises(QuoteNotFoundError, match="Frontex opened an office on the Moon"):
        load_curation(LETTER.read_text(), curated)


def test_a_second_letter_of_the_same_shape(tmp_path: Path) -> None:
    source = tmp_path / "letter-2023-06-05.txt"
    source.write_text(SECOND_LETTER, encoding="utf-8")
    result = build(source, tmp_path / "out")
    g = result.graph
    assert result.report.conforms
    assert str(result.letter.date) == "2023-06-05"
    one = URIRef(BASE + "id/commitment/1")
    assert str(g.value(one, DCT.title)) == "Faster returns from the Western Balkans"
    assert str(g.value(one, DCT.description)).endswith(
        "with the support of Frontex and Europol, in the second half of 2023."
    )
    assert sorted(str(n) for n in g.objects(None, SKOS.notation)) == ["1", "2"]
    actions = {str(g.value(a, DCT.description)) for a in g.subjects(EMK.implements, one)}
    assert (
        "Working arrangement with Montenegro to be signed in Q3 2023, with €12 million for training."
        in actions
    )
    assert (None, EMK.amountEUR, None) in g
    amounts = sorted(int(float(str(a))) for a in g.objects(None, EMK.amountEUR))
    assert amounts == [12000000, 45000000]
    flights = [
        e
        for e in g.subjects(RDF.type, EMK.Event)
        if str(g.value(e, SCHEMA.startDate)) == "2023-05-12"
    ]
    assert flights and str(g.value(flights[0], SCHEMA.endDate)) == "2023-05-13"
    assert (URIRef(BASE + "id/document/letter-2023-06-05"), RDF.type, None) in g
    assert result.coverage.annex_covered == result.coverage.annex_sentences


def _second(tmp_path: Path, text: str = SECOND_LETTER) -> BuildResult:
    source = tmp_path / "letter-2023-06-05.txt"
    source.write_text(text, encoding="utf-8")
    return build(source, tmp_path / "out")


def _keys(g: Graph, node: URIRef, prop: URIRef) -> set[str]:
    return {str(o).removeprefix(BASE + "id/") for o in g.objects(node, prop)}


def test_the_second_letter_has_clause_level_facts_without_curation(tmp_path: Path) -> None:
    """Curation applies to the letter it quotes; a new letter is read clause by clause by the
    rules alone: each happening its own event, with its own people, place, date and status."""
    g = _second(tmp_path).graph
    by_day = {str(g.value(e, SCHEMA.startDate)): e for e in g.subjects(RDF.type, EMK.Event)}
    visit, mission = by_day["2023-06-03"], by_day["2023-06-20"]
    assert _keys(g, visit, EMK.involves) >= {"person/ylva-johansson", "country/serbia"}
    assert _keys(g, visit, EMK.location) == {"country/serbia"}
    assert "person/margaritis-schinas" not in _keys(g, visit, EMK.involves)
    assert (visit, EMK.status, EMK.Completed) in g
    assert _keys(g, mission, EMK.involves) >= {"person/margaritis-schinas", "country/egypt"}
    assert _keys(g, mission, EMK.location) == {"country/egypt"}
    assert "person/ylva-johansson" not in _keys(g, mission, EMK.involves)
    assert str(g.value(mission, SCHEMA.endDate)) == "2023-06-21"
    assert (mission, EMK.status, EMK.Planned) in g
    assert "Schinas" in str(g.value(mission, RDFS.label))
    deployed = by_day["2023-06-02"]
    assert _keys(g, deployed, EMK.involves) == {"agency/frontex"}
    assert _keys(g, deployed, EMK.location) == {"country/albania"}
    # the heading's country belongs to the round table under it
    table = by_day["2023-05-30"]
    assert _keys(g, table, EMK.location) == {"country/egypt"}


def test_a_letter_signed_without_a_name_builds_with_a_warning(tmp_path: Path) -> None:
    unsigned = SECOND_LETTER.replace("*Ursula von der Leyen*", "")
    result = _second(tmp_path, unsigned)
    assert result.report.conforms
    assert any("creator" in w.message for w in result.report.warnings)
    doc = URIRef(BASE + "id/document/letter-2023-06-05")
    assert (doc, DCT.creator, None) not in result.graph
