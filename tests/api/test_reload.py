"""Only a valid graph is served: a reload swaps in a rebuilt graph if it validates, and keeps the
last good one when the new one violates the shapes or does not build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.build import BuildError, build, check_built

PROJECT = Path(__file__).resolve().parents[2]
LETTER = PROJECT / "sources" / "letter-2023-03-20.txt"
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# the action whose words hold the changed figure (its delivery event describes its clause too)
BOATS = (
    "SELECT ?a WHERE { ?a a <https://w3id.org/eu-migration-kg/ontology#Action> ; "
    "<http://purl.org/dc/terms/description> ?d FILTER(CONTAINS(?d, 'three more boats')) }"
)


@pytest.fixture
def letter_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "src" / LETTER.name  # the same name: the curated facts apply to it
    copy.parent.mkdir()
    shutil.copy(LETTER, copy)
    return copy


@pytest.fixture
def client(tmp_path: Path, letter_copy: Path) -> TestClient:
    out = tmp_path / "out"
    build(letter_copy, out)
    settings = Settings(
        graph_dir=out,
        source_file=letter_copy,
        auto_build=False,
        admin_token=TOKEN,
        pool_size=1,
        query_timeout=2,
    )
    return TestClient(create_app(settings))


def rows(client: TestClient, query: str) -> int:
    answer = client.get("/sparql", params={"query": query}).json()
    return len(answer["results"]["bindings"])


def test_reload_needs_the_token(client: TestClient) -> None:
    with client:
        assert client.post("/admin/reload").status_code == 401
        assert (
            client.post("/admin/reload", headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )


def test_reload_is_off_without_a_token(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(LETTER, out)
    app = create_app(Settings(graph_dir=out, auto_build=False, pool_size=1))
    with TestClient(app) as client:
        assert client.post("/admin/reload", headers=AUTH).status_code == 403


def test_a_valid_rebuild_is_swapped_in(client: TestClient, letter_copy: Path) -> None:
    with client:
        before = client.get("/health").json()
        assert rows(client, BOATS) == 0
        text = letter_copy.read_text(encoding="utf-8")
        letter_copy.write_text(text.replace("two more boats", "three more boats"), encoding="utf-8")
        answer = client.post("/admin/reload", headers=AUTH)
        assert answer.status_code == 200, answer.text
        after = client.get("/health").json()
        assert after["version"] == answer.json()["version"] != before["version"]
        assert rows(client, BOATS) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # a 16th numbered point breaks the Commitment-notation shape (1..15)
        (
            lambda t: t.replace(
                "\nEU Action Plans\t",
                "\n<p>16. <b>An extra point</b> to test.</p>\t<ul><li>• Done on 1 March.</li></ul>\n\nEU Action Plans\t",
            ),
            "violates the shapes",
        ),
        (lambda t: t.replace("## Follow-up after", "Follow-up after"), "annex"),
        (
            lambda t: t.replace("Frontex has started deploying", "Frontex began deploying"),
            "curated quote",
        ),
    ],
)
def test_an_invalid_rebuild_keeps_the_last_good_graph(
    client: TestClient, letter_copy: Path, change: object, reason: str
) -> None:
    with client:
        before = client.get("/health").json()
        count = rows(
            client,
            "SELECT ?c WHERE { ?c a <https://w3id.org/eu-migration-kg/ontology#Commitment> }",
        )
        letter_copy.write_text(change(letter_copy.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
        answer = client.post("/admin/reload", headers=AUTH)
        assert answer.status_code == 422
        assert reason in answer.json()["detail"]
        assert client.get("/health").json() == before
        assert (
            rows(
                client,
                "SELECT ?c WHERE { ?c a <https://w3id.org/eu-migration-kg/ontology#Commitment> }",
            )
            == count
        )


def test_a_changed_or_unvalidated_graph_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(LETTER, out)
    assert check_built(out) == out
    with (out / "emkg.nt").open("a", encoding="utf-8") as data:
        data.write('<https://example.org/x> <https://example.org/y> "tampered" .\n')
    with pytest.raises(BuildError, match="changed since it was built"):
        check_built(out)
