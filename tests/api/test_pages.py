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


def script_data(page: str, element_id: str) -> object:
    """The JSON a page hands its script in `<script type="application/json" id=…>`."""
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert match is not None, element_id
    return json.loads(match.group(1))


def section(page: str, css_class: str) -> str:
    match = re.search(rf'<section class="{css_class}".*?</section>', page, re.S)
    assert match is not None, css_class
    return match.group(0)


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


PAGES = (
    "/",
    "/timeline",
    "/funding",
    "/queries",
    "/queries/commitments",
    "/ontology",
    "/shapes",
    "/void",
    "/id/agency/frontex",
    "/sparql",
    "/docs",
)


def test_pages_use_no_external_assets(site: TestClient) -> None:
    for path in PAGES:
        page = get_page(site, path)
        for source in re.findall(r'src="([^"]+)"', page):
            assert source.startswith("/assets/"), (path, source)
        for tag in re.findall(r"<link [^>]*>", page):
            href = re.search(r'href="([^"]+)"', tag)
            assert href is not None
            if 'rel="alternate"' not in tag:
                assert href.group(1).startswith("/assets/"), (path, tag)
        # every script and stylesheet a page names is served here
        for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', page):
            assert site.get(asset).status_code == 200, (path, asset)


def test_docs_are_swagger_ui_served_here(site: TestClient) -> None:
    page = get_page(site, "/docs")
    assert '<script src="/assets/swagger-ui/swagger-ui-bundle.js"></script>' in page
    assert 'data-openapi="/openapi.json"' in page
    assert "cdn" not in page.lower()
    assert site.get("/openapi.json").status_code == 200
    assert site.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads from a CDN


def test_templates_escape_what_they_show() -> None:
    from api.html import ResourceView, Summary, resource_page

    hostile = '<script>alert("x")</script>'
    view = ResourceView(
        iri="https://w3id.org/eu-migration-kg/id/agency/x",
        summary=Summary(label=hostile, kinds=[], description=hostile),
        links=[],
        actions=[],
        related=[],
        others=[],
        external=[],
        passages=[],
        representations=[],
    )
    page = resource_page(view, "https://w3id.org/eu-migration-kg/")
    assert hostile not in page
    assert "&lt;script&gt;" in page


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
        "/assets/swagger-ui/package.json",
        "/assets/swagger-ui/..%2F..%2Fpackage.json",
        "/assets/vis-timeline/vis-timeline-graph2d.js",
        "/assets/chart.js/chart.js",
        "/assets/nothing/site.css",
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
    # the drawing: vis-timeline from node_modules, fed with the same rows as JSON
    assert '<script src="/assets/vis-timeline/vis-timeline-graph2d.min.js"></script>' in page
    items = script_data(page, "timeline-data")
    assert isinstance(items, list)
    assert len(items) == len(starts)
    # each happening once: an action that has events of its own is drawn as those events
    with_events = site.post(
        "/sparql",
        data={"query": f"SELECT DISTINCT ?action WHERE {{ ?action <{EMK}hasEvent> ?event }}"},
        headers={"accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]
    assert len(with_events) > 20
    drawn = {item["id"] for item in items}
    assert not drawn & {row["action"]["value"] for row in with_events}
    assert any(item["kind"] == "action" for item in items)  # dated actions without events


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
    assert "/assets/yasgui/" not in page  # loads none of its files
    assert "the YASGUI editor’s files are not installed here" in page  # and says why
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


# ------------------------------------------------------------------------ the tracker


def test_home_page_tracks_every_commitment(site: TestClient) -> None:
    page = get_page(site, "/")
    commitments = site.get("/queries/commitments").json()["rows"]
    assert len(commitments) == 15
    cards = re.findall(r'<li class="commitment" id="commitment-([^"]+)">(.*?)</li>', page, re.S)
    assert [number for number, _ in cards] == [str(row["number"]) for row in commitments]
    for (_number, card), row in zip(cards, commitments, strict=True):
        assert row["commitment"].replace("https://w3id.org/eu-migration-kg", "") in hrefs(card)
        for status in ("completed", "ongoing", "planned"):
            shown = re.search(rf"(\d+) {status}<", card)
            assert (int(shown.group(1)) if shown else 0) == row[status], (row["number"], status)
        if row["actions"]:
            assert 'class="bar"' in card
    assert "Next" in page


# ------------------------------------------------------------------------ funding


def test_funding_counts_each_sum_once_like_the_canned_queries(site: TestClient) -> None:
    page = get_page(site, "/funding")
    charts = script_data(page, "funding-data")
    assert isinstance(charts, dict)
    total = site.get("/queries/funding-total").json()["rows"][0]
    # the bars of "every sum" are the sums that are not parts: they add up to the canned total
    assert sum(bar["total"] for bar in charts["sum"]) == total["totalEUR"]
    assert len(charts["sum"]) == total["instruments"]
    by_country = site.get("/queries/funding-by-country").json()["rows"]
    assert [(bar["label"], bar["total"]) for bar in charts["place"]] == [
        (row["placeLabel"], row["totalEUR"]) for row in by_country
    ]
    assert charts["commitment"]
    for key in ("place", "commitment", "sum"):
        for bar in charts[key]:
            assert bar["href"].startswith("/id/"), bar
            assert bar["href"] in hrefs(page)
    assert '<script src="/assets/chart.js/chart.umd.min.js"></script>' in page
    assert "not added again" in page  # the parts are shown, marked


# ------------------------------------------------------------------------ /queries for people


def test_queries_page_for_browsers_json_for_programs(site: TestClient) -> None:
    for headers in ({}, {"accept": "*/*"}, {"accept": "application/json"}):
        response = site.get("/queries", headers=headers)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["count"] == len(canned_query_names())
    page = get_page(site, "/queries")
    forms = re.findall(r'<form class="query" method="get" action="([^"]+)"', page)
    assert forms == [f"/queries/{name}" for name in canned_query_names()]
    assert 'type="date"' in page  # typed inputs
    assert 'value="2023-03-01"' in page  # prefilled with the examples
    assert "/sparql#involving" in hrefs(page)
    assert site.get("/queries?format=html").headers["content-type"].startswith("text/html")
    assert site.get("/queries", headers={"accept": "image/png"}).status_code == 406
    assert site.get("/queries?format=csv").status_code == 422


def test_a_query_answers_as_a_table_in_a_browser(site: TestClient) -> None:
    page = get_page(site, "/queries/commitment-actions?commitment=2&status=")
    data = site.get("/queries/commitment-actions?commitment=2").json()
    rows = re.findall(r"<tr>(.*?)</tr>", section(page, "answer"), re.S)
    assert len(rows) == 1 + data["count"]  # the header, then a row each
    links = hrefs(page)
    assert "/queries/commitment-actions?commitment=2&status=&format=csv" in links
    assert "/queries/commitment-actions?commitment=2&status=&format=json" in links
    assert "/sparql#commitment-actions" in links
    assert data["rows"][0]["action"].replace("https://w3id.org/eu-migration-kg", "") in links
    # a bad value: the form again, the reason, 422
    response = site.get(
        "/queries/timeline?from=2023-03-01&to=tomorrow", headers={"accept": BROWSER}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text and "to" in response.text
    # no values at all: the form, filled with the examples, ready to run
    response = site.get("/queries/timeline", headers={"accept": BROWSER})
    assert response.status_code == 200
    assert 'value="2023-03-31"' in response.text and 'class="answer"' not in response.text


# ------------------------------------------------------------------------ entity pages


def test_entity_page_lists_each_related_item_once_with_roles(site: TestClient) -> None:
    page = get_page(site, "/id/country/serbia")
    related = section(page, "related")
    items = re.findall(r'<li><span class="what"><a href="([^"]+)"', related)
    assert items and len(items) == len(set(items))
    headings = re.findall(r"<h3>(.*?) \(\d+\)</h3>", related)
    assert headings[:1] == ["Commitments"] or "Actions" in headings
    assert '<span class="tag role">location</span>' in related
    assert '<span class="tag role">involves</span>' in related
    # in date order within a group: dated first, earliest first
    for group in re.findall(r'<ul class="related">(.*?)</ul>', related, re.S):
        starts = re.findall(r'<span class="dates">([0-9-]{10})', group)
        assert starts == sorted(starts)
    # the passages come after, folded
    assert page.index('class="related"') < page.index('<details class="passages"')


def test_entity_page_names_it_once_per_name_languages_folded(site: TestClient) -> None:
    page = get_page(site, "/id/country/serbia")
    what = section(page, "what")
    also = re.search(r"<dt>Also called</dt><dd>(.*?)</dd>", what, re.S)
    assert also is not None and "Republic of Serbia" in also.group(1)
    assert "Serbien" not in also.group(1)  # German, Danish and Swedish: folded apart
    folded = re.search(r'<details class="names">(.*?)</details>', what, re.S)
    assert folded is not None
    names = re.findall(
        r'<li><span lang="([a-z-]+)">([^<]+)</span> <span class="tag">([^<]+)</span>',
        folded.group(1),
    )
    assert len(names) > 20
    shown = [name for _, name, _ in names]
    assert len(shown) == len(set(shown))  # each name once, with every language that uses it
    tags = {name: languages.split(", ") for _, name, languages in names}
    assert {"de", "sv"} <= set(tags["Serbien"])
    assert tags["Srbija"] and "Сърбия" in tags


def test_commitment_page_lists_actions_in_the_letters_order(site: TestClient) -> None:
    page = get_page(site, "/id/commitment/2")
    table = section(page, "actions")
    shown = re.findall(r'<td><a href="(/id/action/[^"]+)"', table)
    canned = site.get("/queries/commitment-actions?commitment=2&limit=1000").json()["rows"]
    assert shown == [
        row["action"].replace("https://w3id.org/eu-migration-kg", "") for row in canned
    ]
    assert table.count('class="status status-') == len(shown)
