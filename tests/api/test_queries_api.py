"""GET /queries and GET /queries/{name} over the graph built from the project's letter.

Most tests serve the graph from an in-process store (`api.terminal.LocalStore`); one runs every
canned query through the server's own embedded store (worker processes), which binds values
the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.catalogue import PARAMETER_TYPES, load_catalogue
from api.settings import Settings
from api.terminal import LocalStore
from graph.build import ONTOLOGY, build_graph

PROJECT = Path(__file__).resolve().parents[2]
LETTER = PROJECT / "sources" / "letter-2023-03-20.txt"
CATALOGUE = load_catalogue(PROJECT / "queries")
ID = "https://w3id.org/eu-migration-kg/id/"


@pytest.fixture(scope="module")
def letter_graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The letter's graph as the builder's output folder holds it (emkg.nt, manifest.json)."""
    _, graph, _ = build_graph(LETTER)
    folder = tmp_path_factory.mktemp("letter-graph")
    (folder / "emkg.nt").write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    (folder / "manifest.json").write_text(json.dumps({"version": "letter-test"}))
    return folder


@pytest.fixture(scope="module")
def api(letter_graph_dir: Path) -> Iterator[TestClient]:
    store = LocalStore.load(letter_graph_dir, ONTOLOGY)
    app = create_app(Settings(graph_dir=letter_graph_dir, auto_build=False), store=store)
    with TestClient(app) as client:
        yield client


def link_targets(header: str) -> dict[str, dict[str, list[str]]]:
    """rel → query parameters of the Link header's targets."""
    targets = {}
    for part in header.split(","):
        url, _, rel = part.partition(";")
        name = rel.strip().removeprefix('rel="').removesuffix('"')
        targets[name] = parse_qs(urlsplit(url.strip().strip("<>")).query)
    return targets


# ------------------------------------------------------------------ the catalogue


def test_catalogue_lists_every_query_with_typed_parameters(api: TestClient) -> None:
    response = api.get("/queries")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 12
    names = {q["name"] for q in body["queries"]}
    assert names == set(CATALOGUE)
    for query in body["queries"]:
        assert query["summary"] and query["description"]
        for parameter in query["parameters"]:
            assert {"name", "type", "required", "example"} <= set(parameter)
            assert parameter["type"] in PARAMETER_TYPES


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_example_link_runs(name: str, api: TestClient) -> None:
    entry = next(q for q in api.get("/queries").json()["queries"] if q["name"] == name)
    response = api.get(entry["example"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == name
    assert body["count"] >= 1
    assert not any(column.startswith("_") for column in body["columns"])
    assert all(set(row) == set(body["columns"]) for row in body["rows"])
    assert set(body["parameters"]) == {p.name for p in CATALOGUE[name].parameters if p.example}


# ------------------------------------------------------------------ answers and formats


def test_commitments_as_json(api: TestClient) -> None:
    response = api.get("/queries/commitments")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["count"] == 15 and body["total"] == 15
    assert [row["number"] for row in body["rows"]] == [str(n) for n in range(1, 16)]
    assert response.headers["x-total-count"] == "15"


def test_csv_on_request(api: TestClient) -> None:
    response = api.get(
        "/queries/commitment-actions",
        params={"commitment": "2"},
        headers={"Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    records = list(csv.reader(io.StringIO(response.text)))
    assert records[0][:3] == ["number", "action", "label"]
    assert not any(name.startswith("_") for name in records[0])
    assert len(records) - 1 == int(response.headers["x-total-count"])
    assert {record[0] for record in records[1:]} == {"2"}
    assert api.get("/queries/commitments?format=csv").text.startswith("number,")


def test_sparql_json_on_request(api: TestClient) -> None:
    response = api.get(
        "/queries/involving",
        params={"entity": ID + "agency/frontex"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    body = response.json()
    assert "resource" in body["head"]["vars"]
    assert not any(name.startswith("_") for name in body["head"]["vars"])
    first = body["results"]["bindings"][0]
    assert first["resource"]["type"] == "uri"
    assert not any(name.startswith("_") for name in first)


def test_unacceptable_media_type(api: TestClient) -> None:
    response = api.get("/queries/commitments", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert api.get("/queries/commitments?format=pdf").status_code == 422


def test_pages_follow_the_order_and_link_to_each_other(api: TestClient) -> None:
    whole = api.get("/queries/commitments").json()["rows"]
    response = api.get("/queries/commitments", params={"limit": 4, "offset": 4})
    assert response.status_code == 200
    body = response.json()
    assert body["rows"] == whole[4:8]
    assert response.headers["x-total-count"] == "15"
    links = link_targets(response.headers["link"])
    assert links["first"]["offset"] == ["0"]
    assert links["prev"]["offset"] == ["0"]
    assert links["next"]["offset"] == ["8"]
    assert links["last"]["offset"] == ["12"]
    assert links["next"]["limit"] == ["4"]
    last = api.get("/queries/commitments", params={"limit": 4, "offset": 12})
    assert [row["number"] for row in last.json()["rows"]] == ["13", "14", "15"]
    assert "next" not in link_targets(last.headers["link"])
    first = api.get("/queries/commitments", params={"limit": 4})
    assert "prev" not in link_targets(first.headers["link"])
    beyond = api.get("/queries/commitments", params={"offset": 100})
    assert beyond.status_code == 200 and beyond.json()["rows"] == []


def test_paging_keeps_the_parameters(api: TestClient) -> None:
    response = api.get("/queries/commitment-actions", params={"commitment": "2", "limit": 5})
    links = link_targets(response.headers["link"])
    assert links["next"]["commitment"] == ["2"]
    second = api.get(
        "/queries/commitment-actions", params={"commitment": "2", "limit": 5, "offset": 5}
    )
    whole = api.get("/queries/commitment-actions", params={"commitment": "2"}).json()["rows"]
    assert second.json()["rows"] == whole[5:10]


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "many"])
def test_limits_out_of_range(limit: str, api: TestClient) -> None:
    response = api.get("/queries/commitments", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["error"]


# ------------------------------------------------------------------ errors


def test_unknown_query_suggests_close_names(api: TestClient) -> None:
    response = api.get("/queries/commitment")
    assert response.status_code == 404
    body = response.json()
    assert "commitments" in body["detail"]["suggestions"]
    assert "timeline" in body["detail"]["available"]


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("commitment-actions", {}, "commitment"),
        ("commitment-actions", {"commitment": "16"}, "commitment"),
        ("commitment-actions", {"commitment": "2", "status": "done"}, "status"),
        ("commitment-actions", {"commitment": "2", "colour": "red"}, "colour"),
        ("involving", {"entity": "Frontex"}, "entity"),
        ("involving", {"entity": "http://x/<script>"}, "entity"),
        ("timeline", {"from": "2023-13-01", "to": "2023-12-31"}, "from"),
        ("funding-by-country", {"minimum": "1e9"}, "minimum"),
        ("search", {"q": "x" * 201}, "q"),
        ("search", {"q": "tab\there"}, "q"),
    ],
)
def test_bad_parameters_are_422_with_the_parameters_name(
    name: str, params: dict[str, str], parameter: str, api: TestClient
) -> None:
    response = api.get(f"/queries/{name}", params=params)
    assert response.status_code == 422
    body = response.json()
    assert parameter in body["error"]
    assert body["detail"]["parameter"] == parameter
    assert body["detail"]["reason"]


def test_a_parameter_given_twice_is_refused(api: TestClient) -> None:
    response = api.get("/queries/search?q=a&q=b")
    assert response.status_code == 422
    assert response.json()["detail"]["parameter"] == "q"


def test_an_empty_optional_parameter_counts_as_not_given(api: TestClient) -> None:
    with_empty = api.get("/queries/commitment-actions?commitment=3&status=")
    without = api.get("/queries/commitment-actions?commitment=3")
    assert with_empty.status_code == 200
    assert with_empty.json()["rows"] == without.json()["rows"]


HOSTILE = [
    '"',
    "'",
    '" } ; DROP ALL ; SELECT * { "',
    "> <http://evil/> .",
    "\\u0022",
    "%00",
    "}",
    "?_q",
    "x" * 5000,
    "a\x01b",
    "http://x/\\u0022",
    "https://w3id.org/eu-migration-kg/id/agency/frontex> } UNION { ?s ?p ?o",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("search", "q"),
        ("involving", "entity"),
        ("source-passages", "resource"),
        ("commitment-actions", "commitment"),
        ("timeline", "to"),
        ("due-after", "status"),
        ("entities", "type"),
    ],
)
def test_hostile_values_never_give_5xx(
    value: str, name: str, parameter: str, api: TestClient
) -> None:
    params = {**CATALOGUE[name].example, parameter: value}
    response = api.get(f"/queries/{name}", params=params)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["parameters"][parameter] == value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(CATALOGUE)),
    key=st.sampled_from(["q", "entity", "commitment", "from", "status", "minimum", "type", "x"]),
    value=st.text(max_size=300),
)
def test_any_text_in_any_parameter_never_gives_5xx(
    name: str, key: str, value: str, api: TestClient
) -> None:
    params = {**CATALOGUE[name].example, key: value}
    response = api.get(f"/queries/{name}", params=params)
    assert response.status_code in (200, 422), response.text
    assert response.headers["content-type"].startswith("application/json")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# a "/" (even encoded: servers decode %2F before routing) makes another path: "/queries//"
# redirects to the catalogue, so names with one are not names of a query
@given(
    name=st.text(min_size=1, max_size=100).filter(
        lambda s: s not in {*CATALOGUE, ".", ".."} and "/" not in s
    )
)
def test_any_unknown_name_is_404(name: str, api: TestClient) -> None:
    response = api.get("/queries/" + quote(name, safe=""))
    assert response.status_code == 404, response.text
    assert response.json()["error"]


# ------------------------------------------------------------------ through the embedded store


def test_every_query_through_the_embedded_store(letter_graph_dir: Path) -> None:
    """The server's own store (worker processes, VALUES binding) gives the same answers."""
    local = LocalStore.load(letter_graph_dir, ONTOLOGY)
    settings_ = Settings(
        graph_dir=letter_graph_dir, ontology_file=ONTOLOGY, auto_build=False, pool_size=1
    )
    with (
        TestClient(create_app(settings_)) as embedded,
        TestClient(create_app(settings_, store=local)) as in_process,
    ):
        for name, query in CATALOGUE.items():
            ours = embedded.get(f"/queries/{name}", params=query.example)
            theirs = in_process.get(f"/queries/{name}", params=query.example)
            assert ours.status_code == 200, (name, ours.text)
            assert ours.json()["total"] == theirs.json()["total"], name
            rows = ours.json()["rows"]
            assert len(rows) == len(theirs.json()["rows"]), name
        involving = embedded.get("/involving", params=[("entity", "Frontex"), ("entity", "Serbia")])
        assert involving.status_code == 200
        assert involving.json()["count"] >= 2
