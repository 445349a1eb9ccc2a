"""GET /involving and GET /entities over the graph built from the project's letter.

"What involves Frontex in Serbia" must quote both the body's sentence and the annex's bullet;
Serbia alone reaches what is located in the Western Balkans, marked `via`; names match
without regard to case or diacritics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.errors import ApiError
from api.routers.involving import Entity, EntityIndex
from api.settings import Settings
from api.terminal import LocalStore
from graph.build import ONTOLOGY, build_graph
from graph.gazetteer import name_key as fold

PROJECT = Path(__file__).resolve().parents[2]
LETTER = PROJECT / "sources" / "letter-2023-03-20.txt"
ID = "https://w3id.org/eu-migration-kg/id/"
FRONTEX = ID + "agency/frontex"
SERBIA = ID + "country/serbia"
TURKIYE = ID + "country/turkiye"

BODY_SENTENCE = "In the Western Balkans, Frontex has started deploying its border guards in Serbia"
ANNEX_BULLET = (
    "During the visit of Commissioner Johansson to Serbia on 16 March together with the "
    "Executive Director of Frontex"
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    _, graph, _ = build_graph(LETTER)
    folder = tmp_path_factory.mktemp("letter-graph")
    (folder / "emkg.nt").write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    (folder / "manifest.json").write_text(json.dumps({"version": "involving-test"}))
    store = LocalStore.load(folder, ONTOLOGY)
    app = create_app(Settings(graph_dir=folder, auto_build=False), store=store)
    with TestClient(app) as client:
        yield client


def involving(api: TestClient, *names: str) -> dict[str, Any]:
    response = api.get("/involving", params=[("entity", name) for name in names])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = body["rows"]
    return rows


# ------------------------------------------------------------------ what involves


def test_frontex_in_serbia_quotes_the_body_and_the_annex(api: TestClient) -> None:
    body = involving(api, "Frontex", "Serbia")
    assert [e["iri"] for e in body["entities"]] == [FRONTEX, SERBIA]
    rows = rows_of(body)
    passages = [str(row["passage"]) for row in rows]
    assert any(BODY_SENTENCE in p for p in passages)
    assert any(ANNEX_BULLET in p for p in passages)
    for row in rows:
        assert {
            "kind",
            "iri",
            "label",
            "commitments",
            "startDate",
            "endDate",
            "status",
            "via",
        } <= set(row)
        assert row["kind"] in ("commitment", "action", "event", "funding")
        assert len(row["matches"]) == 2
    annex = next(r for r in rows if ANNEX_BULLET in str(r["passage"]) and r["kind"] == "action")
    assert annex["commitments"] == [2]
    assert annex["startDate"] == "2023-03-16"
    assert annex["status"] == "Completed"


def test_the_intersection_is_smaller_than_either_side(api: TestClient) -> None:
    both = {r["iri"] for r in rows_of(involving(api, "Frontex", "Serbia"))}
    frontex = {r["iri"] for r in rows_of(involving(api, "Frontex"))}
    serbia = {r["iri"] for r in rows_of(involving(api, "Serbia"))}
    assert both == frontex & serbia
    assert both < frontex and both < serbia
    assert {r["iri"] for r in rows_of(involving(api, "Serbia", "Frontex"))} == both


def test_serbia_reaches_the_western_balkans_marked_via(api: TestClient) -> None:
    rows = rows_of(involving(api, "Serbia"))
    via = [r for r in rows if r["via"] == "Western Balkans"]
    assert via
    labels = " ".join(str(r["passage"]) for r in via)
    assert "Western Balkans" in labels
    assert any(r["kind"] == "funding" for r in via)
    direct = [r for r in rows if r["via"] is None]
    assert any(BODY_SENTENCE in str(r["passage"]) for r in direct)
    for row in via:
        [match] = row["matches"]
        assert match["via"] == "Western Balkans"
        assert "located in a region the country belongs to" in match["relations"]


@pytest.mark.parametrize(
    "name", ["turkiye", "TÜRKIYE", "Turkey", "türkiye", "  Türkiye ", "Turkish", TURKIYE]
)
def test_names_fold_case_and_diacritics(name: str, api: TestClient) -> None:
    body = involving(api, name)
    assert body["entities"][0]["iri"] == TURKIYE
    assert rows_of(body)


def test_every_spelling_gives_the_same_answer(api: TestClient) -> None:
    answers = [rows_of(involving(api, name)) for name in ("turkiye", "TÜRKIYE", "Turkey")]
    assert answers[0] == answers[1] == answers[2]


def test_a_repeated_entity_counts_once(api: TestClient) -> None:
    once = rows_of(involving(api, "Serbia"))
    twice = rows_of(involving(api, "Serbia", "serbian"))
    assert [r["iri"] for r in twice] == [r["iri"] for r in once]


def test_unknown_name_is_404_with_suggestions(api: TestClient) -> None:
    response = api.get("/involving", params={"entity": "Frontx"})
    assert response.status_code == 404
    body = response.json()
    assert body["error"]
    assert FRONTEX in [s["iri"] for s in body["detail"]["suggestions"]]
    partial = api.get("/involving", params={"entity": "Balkans"}).json()
    assert ID + "region/western-balkans" in [s["iri"] for s in partial["detail"]["suggestions"]]
    unknown_iri = api.get("/involving", params={"entity": ID + "agency/nobody"})
    assert unknown_iri.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("entity", "")],
        [("entity", "x" * 201)],
        [("entity", "Frontex\x00")],
        [
            ("entity", name)
            for name in ("Frontex", "Serbia", "Hungary", "Bulgaria", "Italy", "Spain")
        ],
    ],
)
def test_bad_requests_are_422(params: list[tuple[str, str]], api: TestClient) -> None:
    response = api.get("/involving", params=params)
    assert response.status_code == 422
    assert response.json()["error"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.text(max_size=250), min_size=1, max_size=3))
def test_any_names_never_give_5xx(names: list[str], api: TestClient) -> None:
    response = api.get("/involving", params=[("entity", name) for name in names])
    assert response.status_code in (200, 404, 409, 422), response.text
    assert response.json()


# ------------------------------------------------------------------ ambiguity (a made-up index)


def test_a_shared_name_is_409_with_the_candidates() -> None:
    index = EntityIndex(
        [
            Entity("https://example.org/id/agency/a", "Agency", "Task Force"),
            Entity("https://example.org/id/agency/b", "Agency", "Task Force"),
            Entity("https://example.org/id/country/c", "PartnerCountry", "Cyprus", ["Task Force"]),
        ]
    )
    with pytest.raises(ApiError) as raised:
        index.resolve("task force")
    assert raised.value.status == 409
    detail = raised.value.detail
    assert isinstance(detail, dict)
    candidates = detail["candidates"]
    assert {c["iri"] for c in candidates} == {
        "https://example.org/id/agency/a",
        "https://example.org/id/agency/b",
    }
    assert index.resolve("https://example.org/id/agency/b").label == "Task Force"
    assert index.resolve("CYPRUS").iri == "https://example.org/id/country/c"


def test_labels_win_over_aliases() -> None:
    index = EntityIndex(
        [
            Entity("https://example.org/id/policy/eu", "Policy", "Union", ["EU"]),
            Entity("https://example.org/id/institution/eu", "Actor", "EU"),
        ]
    )
    assert index.resolve("eu").iri == "https://example.org/id/institution/eu"


def test_fold() -> None:
    assert fold("  TÜRKIYE ") == "turkiye"
    assert fold("Várhelyi") == "varhelyi"
    assert fold("Straße") == "strasse"
    assert fold("EU  Asylum\tAgency") == "eu asylum agency"


# ------------------------------------------------------------------ /entities


@pytest.mark.parametrize("q", ["turkiye", "TÜRKIYE", "Turkey", "türk"])
def test_entities_finds_turkiye_by_any_spelling(q: str, api: TestClient) -> None:
    response = api.get("/entities", params={"q": q})
    assert response.status_code == 200
    first = response.json()["entities"][0]
    assert first["iri"] == TURKIYE
    assert first["label"] == "Türkiye"
    assert "Turkey" in first["aliases"]
    assert first["type"] == "PartnerCountry" and first["kind"] == "country"


def test_entities_gives_regions_and_types(api: TestClient) -> None:
    serbia = api.get("/entities", params={"q": "serbia"}).json()["entities"][0]
    assert serbia["iri"] == SERBIA
    assert serbia["regions"] == [{"iri": ID + "region/western-balkans", "label": "Western Balkans"}]
    agencies = api.get("/entities", params={"q": "eu", "type": "agency"}).json()["entities"]
    assert agencies and {e["type"] for e in agencies} == {"Agency"}
    policies = api.get("/entities", params={"q": "visa"}).json()["entities"]
    assert any(e["type"] == "Policy" for e in policies)


def test_exact_names_come_first(api: TestClient) -> None:
    found = api.get("/entities", params={"q": "frontex"}).json()["entities"]
    assert found[0]["iri"] == FRONTEX


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "a\x07b"])
def test_entities_refuses_an_empty_or_bad_q(q: str, api: TestClient) -> None:
    response = api.get("/entities", params={"q": q})
    assert response.status_code == 422
    assert response.json()["detail"]["parameter"] == "q"


def test_entities_without_q_is_422(api: TestClient) -> None:
    assert api.get("/entities").status_code == 422


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=250))
def test_any_q_never_gives_5xx(q: str, api: TestClient) -> None:
    response = api.get("/entities", params={"q": q})
    assert response.status_code in (200, 422), response.text
