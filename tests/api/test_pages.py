"""The pages around the data: landing page, ontology, shapes, VoID, dumps, timeline, editor."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SH, VOID

from api.app import create_app
from api.catalogue import default_catalogue
from api.routers.pages import YASGUI_DIR_VARIABLE, example_queries
from api.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]
OUTPUT = PROJECT / "output"
ONTOLOGY = PROJECT / "ontology" / "emk.ttl"
SHAPES = PROJECT / "shapes" / "emk-shapes.ttl"
QUERIES = PROJECT / "queries"
YASGUI_BUILD = PROJECT / "node_modules" / "@zazuko" / "yasgui" / "build"
EMK = "https://w3id.org/eu-migration-kg/ontology#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def site() -> Iterator[TestClient]:
    """The app over the project's own graph (built first if missing or stale)."""
    settings = Settings(graph_dir=OUTPUT, auto_build=True, pool_size=2)
    with TestClient(create_app(settings)) as client:
        yield client


def get_page(site: TestClient, path: str) -> str:
    response = site.get(path, headers={"accept": BROWSER})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def hrefs(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


# ------------------------------------------------------------------------ landing page


def test_landing_page_links_to_everything(site: TestClient) -> None:
    links = hrefs(get_page(site, "/"))
    for target in (
        "/involving?entity=Frontex&entity=Serbia",
        "/sparql",
        "/timeline",
        "/ontology",
        "/shapes",
        "/void",
        "/queries",
        "/docs",
        "/dumps/emkg.ttl",
        "/dumps/emkg.nt",
        "/dumps/emkg.jsonld",
    ):
        assert target in links, target


def test_pages_use_no_external_assets(site: TestClient) -> None:
    for path in ("/", "/timeline", "/ontology", "/id/agency/frontex", "/sparql"):
        page = get_page(site, path)
        for source in re.findall(r'(?:src|href)="([^"]+)"', page):
            if re.search(r"\.(?:js|css)\b", source):
                assert source.startswith("/assets/"), (path, source)


def test_stylesheet_is_served(site: TestClient) -> None:
    response = site.get("/assets/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


# ------------------------------------------------------------------------ ontology


def ontology_graph() -> Graph:
    graph = Graph()
    graph.parse(ONTOLOGY, format="turtle")
    return graph


def test_ontology_page_documents_every_class_and_property(site: TestClient) -> None:
    page = html.unescape(get_page(site, "/ontology"))
    graph = ontology_graph()
    header = next(graph.subjects(RDF.type, OWL.Ontology))
    for predicate in (
        OWL.versionInfo,
        URIRef("http://purl.org/dc/terms/modified"),
        URIRef("http://purl.org/dc/terms/license"),
    ):
        assert str(graph.value(header, predicate)) in page
    classes = [c for c in graph.subjects(RDF.type, OWL.Class) if str(c).startswith(EMK)]
    assert len(classes) >= 9
    for cls in classes:
        label = str(graph.value(cls, RDFS.label))
        assert f">{label} <span" in page, label
        assert f'id="{str(cls)[len(EMK) :]}"' in page  # an anchor per term
        definition = graph.value(cls, URIRef("http://www.w3.org/2004/02/skos/core#definition"))
        assert str(definition) in page
        for parent in graph.objects(cls, RDFS.subClassOf):
            if isinstance(parent, URIRef):
                assert str(parent).replace(EMK, "/ontology#") in hrefs(page)
    properties = [
        p
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in graph.subjects(RDF.type, kind)
        if str(p).startswith(EMK)
    ]
    assert properties
    for prop in properties:
        assert f'id="{str(prop)[len(EMK) :]}"' in page
        assert str(graph.value(prop, RDFS.label)) in page


def test_ontology_is_turtle_by_default_and_by_accept(site: TestClient) -> None:
    for headers in ({}, {"accept": "*/*"}, {"accept": "text/turtle"}):
        response = site.get("/ontology", headers=headers)
        assert response.headers["content-type"].startswith("text/turtle")
        assert response.content == ONTOLOGY.read_bytes()
    response = site.get("/ontology", headers={"accept": "application/ld+json"})
    served = Graph().parse(data=response.content, format="json-ld")
    assert isomorphic(served, ontology_graph())


def test_class_links_from_resource_pages_land_on_anchors(site: TestClient) -> None:
    ontology = get_page(site, "/ontology")
    resource = get_page(site, "/id/commitment/2")
    for href in hrefs(resource):
        if href.startswith("/ontology#"):
            assert f'id="{href.split("#", 1)[1]}"' in ontology, href


# ------------------------------------------------------------------------ shapes


def test_shapes_as_turtle_and_as_a_page(site: TestClient) -> None:
    response = site.get("/shapes")
    assert response.headers["content-type"].startswith("text/turtle")
    assert response.content == SHAPES.read_bytes()
    graph = Graph().parse(SHAPES, format="turtle")
    page = get_page(site, "/shapes")
    targeted = list(graph.subjects(SH.targetClass, None))
    assert targeted
    for shape in targeted:
        assert f"<code>{shape}</code>" in page


# ------------------------------------------------------------------------ VoID


def test_void_counts_the_triples_of_the_manifest(site: TestClient) -> None:
    manifest = json.loads((OUTPUT / "manifest.json").read_text())
    response = site.get("/void")
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    dataset = next(graph.subjects(RDF.type, VOID.Dataset))
    triples = graph.value(dataset, VOID.triples)
    assert isinstance(triples, Literal)
    assert int(triples) == manifest["triples"]
    dumps = {str(dump).rsplit("/", 1)[1] for dump in graph.objects(dataset, VOID.dataDump)}
    assert dumps == {"emkg.ttl", "emkg.nt", "emkg.jsonld"}


def test_void_as_json_ld_and_as_a_page(site: TestClient) -> None:
    response = site.get("/void", headers={"accept": "application/ld+json"})
    assert response.headers["content-type"].startswith("application/ld+json")
    served = Graph().parse(data=response.content, format="json-ld")
    assert isomorphic(served, Graph().parse(OUTPUT / "void.ttl", format="turtle"))
    page = get_page(site, "/void")
    assert "/dumps/emkg.nt" in hrefs(page)


# ------------------------------------------------------------------------ dumps


@pytest.mark.parametrize(
    ("name", "media_type", "rdflib_format"),
    [
        ("emkg.ttl", "text/turtle", "turtle"),
        ("emkg.nt", "application/n-triples", "nt"),
        ("emkg.jsonld", "application/ld+json", "json-ld"),
    ],
)
def test_dumps_are_served_with_their_media_types(
    site: TestClient, name: str, media_type: str, rdflib_format: str
) -> None:
    response = site.get(f"/dumps/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.content == (OUTPUT / name).read_bytes()
    manifest = json.loads((OUTPUT / "manifest.json").read_text())
    assert len(Graph().parse(data=response.content, format=rdflib_format)) == manifest["triples"]


@pytest.mark.parametrize(
    "path",
    [
        "/dumps/manifest.json",
        "/dumps/letter-2023-03-20.txt",
        "/dumps/void.ttl",
        "/dumps/EMKG.TTL",
        "/dumps/../manifest.json",
        "/dumps/..%2Fmanifest.json",
        "/dumps/..%2fmanifest.json",
        "/dumps/%2e%2e%2fmanifest.json",
        "/dumps/%2E%2E%2Fpyproject.toml",
        "/dumps/..%5Cmanifest.json",
        "/dumps/%252e%252e%252fmanifest.json",
        "/dumps/emkg.ttl%00.txt",
        "/dumps/",
        "/assets/..%2Fhtml.py",
        "/assets/yasgui/..%2F..%2Fpackage.json",
        "/assets/yasgui/yasgui.esm.js",
    ],
)
def test_only_the_named_files_are_served(site: TestClient, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 404, path
    assert "pyproject" not in response.text and "[project]" not in response.text


# ------------------------------------------------------------------------ timeline


def test_timeline_lists_events_in_date_order(site: TestClient) -> None:
    page = get_page(site, "/timeline")
    starts = re.findall(r'<tr class="(?:event|action)" data-start="([0-9-]+)"', page)
    assert len(starts) > 20
    assert starts == sorted(starts)
    assert "Dublin Contact Committee" in page
    links = hrefs(page)
    assert "/id/event/2023-03-16-dublin-contact-committee" in links
    assert any(link.startswith("/id/commitment/") for link in links)
    assert "<script" not in page


# ------------------------------------------------------------------------ the query editor


def canned_query_names() -> list[str]:
    names = sorted(path.stem for path in QUERIES.glob("*.rq"))
    assert names, f"no canned queries in {QUERIES}"
    return names


def editor_config(page: str) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" id="editor-config">(.*?)</script>', page, re.S
    )
    assert match is not None
    config: dict[str, object] = json.loads(match.group(1))
    return config


@pytest.mark.skipif(
    not YASGUI_BUILD.is_dir(), reason="node_modules/@zazuko/yasgui is not installed (npm install)"
)
def test_editor_is_yasgui_with_every_canned_query(site: TestClient) -> None:
    page = get_page(site, "/sparql")
    assert '<script src="/assets/yasgui/yasgui.min.js"></script>' in page
    assert 'href="/assets/yasgui/yasgui.min.css"' in page
    config = editor_config(page)
    assert str(config["endpoint"]).endswith("/sparql")
    examples = config["examples"]
    assert isinstance(examples, list)
    assert [example["name"] for example in examples] == canned_query_names()
    for name, media_type in (
        ("yasgui.min.js", "text/javascript"),
        ("yasgui.min.css", "text/css"),
    ):
        response = site.get(f"/assets/yasgui/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        assert response.content == (YASGUI_BUILD / name).read_bytes()
    script = site.get("/assets/editor.js")
    assert script.status_code == 200
    assert "new window.Yasgui" in script.text


def test_every_example_tab_runs_like_its_canned_query(site: TestClient) -> None:
    """The tab's query (example values in VALUES) answers as the canned query does with its
    example values bound by the store; each also runs through /sparql."""
    store = ox.Store()
    store.load(path=str(OUTPUT / "emkg.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.load(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE)
    catalogue = default_catalogue()
    examples = example_queries()
    assert [example.name for example in examples] == canned_query_names()
    for example in examples:
        canned = catalogue[example.name]
        bound = {ox.Variable(name): term for name, term in canned.bind(canned.example).items()}
        expected = list(store.query(canned.sparql, substitutions=bound))
        got = list(store.query(example.query))
        assert len(got) == len(expected) > 0, example.name
        response = site.post(
            "/sparql",
            data={"query": example.query},
            headers={"accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, (example.name, response.text)
        assert len(response.json()["results"]["bindings"]) == len(expected), example.name


def test_editor_is_a_plain_form_without_yasgui(
    site: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(YASGUI_DIR_VARIABLE, str(tmp_path))  # an empty folder
    page = get_page(site, "/sparql")
    assert "yasgui" not in page.lower()
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert forms and all(action.endswith("/sparql") for action in forms)
    assert len(forms) == 1 + len(canned_query_names())  # the editor, then one per example
    starter = re.search(r'<textarea name="query"[^>]*>(.*?)</textarea>', page, re.S)
    assert starter is not None
    response = site.post(
        forms[0],
        data={"query": html.unescape(starter.group(1)), "format": "json"},
    )
    assert response.status_code == 200
    labels = [row["label"]["value"] for row in response.json()["results"]["bindings"]]
    assert "Frontex" in labels
    assert site.get("/assets/yasgui/yasgui.min.js").status_code == 404
