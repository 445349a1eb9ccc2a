"""The graph's files: Turtle, N-Triples, JSON-LD and a VoID/DCAT description, byte-stable."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from graph.dcat import describe
from graph.namespaces import DCAT, DCT, EMK, PREFIXES, VOID

DUMPS = {
    "emkg.ttl": ("turtle", "text/turtle"),
    "emkg.nt": ("nt", "application/n-triples"),
    "emkg.jsonld": ("json-ld", "application/ld+json"),
}


def _bind(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def _ntriples(graph: Graph) -> str:
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


def _jsonld(graph: Graph) -> str:
    context = {k: v for k, v in PREFIXES.items()}
    data = json.loads(graph.serialize(format="json-ld", context=context, sort_keys=True))
    if isinstance(data, dict):
        data.get("@graph", []).sort(key=lambda n: str(n.get("@id", "")))
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def void_description(graph: Graph, base: str, counts: dict[str, int]) -> Graph:
    """A VoID dataset with a partition per class, described in DCAT-AP (graph.dcat)."""
    void = _bind(Graph())
    dataset = URIRef(base + "dataset")
    void.add((dataset, RDF.type, VOID.Dataset))
    void.add((dataset, RDF.type, DCAT.Dataset))
    void.add((dataset, DCT.title, Literal("EU migration commitments knowledge graph", lang="en")))
    void.add(
        (
            dataset,
            DCT.description,
            Literal(
                "What the EU promised and did on migration, from the Commission President's letter to "
                "EU leaders of 20 March 2023 and its annex; every fact cites the sentence it came from.",
                lang="en",
            ),
        )
    )
    void.add((dataset, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    void.add((dataset, VOID.entities, Literal(len(subjects), datatype=XSD.integer)))
    void.add((dataset, VOID.uriSpace, Literal(base + "id/")))
    void.add((dataset, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    void.add((dataset, VOID.vocabulary, URIRef(str(EMK))))
    for name in DUMPS:
        void.add((dataset, VOID.dataDump, URIRef(f"{base}dumps/{name}")))
    describe(void, graph, base, list(DUMPS))
    for curie, count in sorted(counts.items()):
        cls = URIRef(graph.namespace_manager.expand_curie(curie)) if ":" in curie else URIRef(curie)
        partition = URIRef(f"{base}dataset/class/{curie.replace(':', '-')}")
        void.add((dataset, VOID.classPartition, partition))
        void.add((partition, VOID["class"], cls))
        void.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    return void


def write_dumps(graph: Graph, out_dir: Path, base: str, counts: dict[str, int]) -> list[Path]:
    _bind(graph)
    files = []
    for name, (fmt, _) in DUMPS.items():
        path = out_dir / name
        if fmt == "nt":
            write_atomic(path, _ntriples(graph))
        elif fmt == "json-ld":
            write_atomic(path, _jsonld(graph))
        else:
            write_atomic(path, graph.serialize(format=fmt))
        files.append(path)
    void_path = out_dir / "void.ttl"
    void_path.write_text(
        void_description(graph, base, counts).serialize(format="turtle"), encoding="utf-8"
    )
    files.append(void_path)
    return files


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
