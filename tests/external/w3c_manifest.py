"""Reading the W3C SPARQL 1.1 Protocol test manifest (a copy in tests/data, see its NOTICE)
into requests to send and answers to expect, and checking an answer against them.

Each test has one or more HTTP requests (method, path under `/sparql/`, headers, body) with the
expected status class (2xx/3xx or 4xx) and, for some, the answer's kind ("boolean", "tabular",
"RDF") and an ASK's value. Test data (`ut:graphData`) is a file to load into a named graph.

Our endpoint is read-only: a request that is a SPARQL Update (a `update=` parameter, or a body
of type `application/sparql-update`) must be refused with 403 where the manifest expects
success, or with a 4xx where it expects one; the requests after a refused update check what the
update would have changed, and are not sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS

FOLDER = Path(__file__).resolve().parents[1] / "data" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str  # with the query string, `/sparql/` replaced by our endpoint's path
    headers: dict[str, str]
    body: bytes
    statuses: frozenset[int]  # expected status classes: 2, 3, 4
    result_format: str | None
    boolean: bool | None

    @property
    def is_update(self) -> bool:
        if self.headers.get("content-type", "").startswith("application/sparql-update"):
            return True
        fields = parse_qs(urlsplit(self.path).query)
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            fields.update(parse_qs(self.body.decode("utf-8", "replace")))
        return "update" in fields


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]
    graphs: dict[str, Path] = field(default_factory=dict)  # graph IRI -> N-Triples file


@cache
def protocol_tests(endpoint_path: str = "/sparql") -> tuple[ProtocolTest, ...]:
    """Every test of the manifest, in its order, each once."""
    manifest = Graph().parse(
        FOLDER / "manifest.ttl", format="turtle", publicID=FOLDER.as_uri() + "/"
    )
    head = next(manifest.objects(None, MF.entries))
    tests: list[ProtocolTest] = []
    seen: set[str] = set()
    for entry in Collection(manifest, head):
        name = str(entry).rsplit("#", 1)[-1]
        if name in seen:
            continue
        seen.add(name)
        action = manifest.value(entry, MF.action)
        requests = tuple(
            _request(manifest, node, endpoint_path)
            for node in Collection(manifest, manifest.value(action, HT.requests))
        )
        graphs = {
            str(manifest.value(data, RDFS.label)): FOLDER
            / Path(str(manifest.value(data, UT.graph))).name
            for data in manifest.objects(entry, UT.graphData)
        }
        tests.append(ProtocolTest(name, str(manifest.value(entry, MF.name)), requests, graphs))
    return tuple(tests)


def _request(manifest: Graph, node: URIRef, endpoint_path: str) -> ProtocolRequest:
    path = str(manifest.value(node, HT.absolutePath))
    path = endpoint_path + path.removeprefix("/sparql/").removeprefix("/sparql")
    headers: dict[str, str] = {}
    header_list = manifest.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(manifest, header_list):
            name = str(manifest.value(header, HT.fieldName)).lower()
            headers[name] = str(manifest.value(header, HT.fieldValue))
    body = b""
    content = manifest.value(node, HT.body)
    if content is not None:
        encoding = str(manifest.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(manifest.value(content, CNT.chars)).encode(encoding)
    response = manifest.value(node, HT.resp)
    statuses = frozenset(
        int(str(status).removeprefix(HTS)[0])
        for status in manifest.objects(response, MF.expectedStatus)
    )
    result_format = manifest.value(response, MF.expectedFormat)
    boolean = manifest.value(response, MF.expectedBoolean)
    return ProtocolRequest(
        str(manifest.value(node, HT.methodName)),
        path,
        headers,
        body,
        statuses,
        str(result_format) if result_format is not None else None,
        boolean.toPython() if boolean is not None else None,
    )


def service_description_tests() -> list[str]:
    """The names of the service-description tests."""
    manifest = Graph().parse(FOLDER / "service-description-manifest.ttl", format="turtle")
    head = next(manifest.objects(None, MF.entries))
    return [str(entry).rsplit("#", 1)[-1] for entry in Collection(manifest, head)]


def check(request: ProtocolRequest, status: int, content_type: str, body: bytes) -> list[str]:
    """What is wrong with an answer to `request` (nothing when it passes)."""
    problems = []
    if request.is_update:
        wanted = {403} if request.statuses & {2, 3} else {400, 403, 405, 415}
        if status not in wanted:
            problems.append(f"an update must be refused with {sorted(wanted)}, got {status}")
        return problems
    if status // 100 not in request.statuses:
        problems.append(f"status {status}, expected {sorted(request.statuses)}xx")
        return problems
    media_type = content_type.split(";")[0].strip().lower()
    if request.result_format is not None and media_type not in FORMATS[request.result_format]:
        problems.append(f"{media_type!r} is not a {request.result_format} format")
    if request.boolean is not None:
        answer = _boolean(media_type, body)
        if answer is not request.boolean:
            problems.append(f"ASK answered {answer}, expected {request.boolean}")
    return problems


def _boolean(media_type: str, body: bytes) -> bool | None:
    if media_type == "application/sparql-results+json":
        value = json.loads(body).get("boolean")
        return value if isinstance(value, bool) else None
    if media_type == "application/sparql-results+xml":
        text = body.decode("utf-8")
        if "<boolean>true</boolean>" in text:
            return True
        if "<boolean>false</boolean>" in text:
            return False
    return None


__all__ = ["ProtocolRequest", "ProtocolTest", "check", "protocol_tests"]
