"""`emkg publish`: put the graph into an external store by the SPARQL 1.1 Graph Store Protocol.

One HTTP PUT to `{store}?graph={iri}` with the built N-Triples (`emkg.nt`) followed by the
ontology (`ontology/emk.ttl`, rewritten as N-Triples) replaces the named graph, so publishing
twice leaves the store as it was. The default graph is the one `emkg serve --endpoint` reads
(`api.settings.Settings.graph_iri`: `EMKG_GRAPH_IRI`, by default the dataset IRI).

The store URL is the store's Graph Store Protocol service, e.g. Oxigraph `http://host:7878/store`,
Fuseki `http://host:3030/DATASET/data`, GraphDB
`http://host:7200/repositories/REPO/rdf-graphs/service`, Virtuoso
`http://host:8890/sparql-graph-crud-auth` (which names the graph with `graph-uri=`). Credentials
come from the URL (`http://user:password@host/…`) or from `EMKG_STORE_USER` and
`EMKG_STORE_PASSWORD`, and are offered to Basic and Digest challenges alike.
"""

from __future__ import annotations

import base64
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import pyoxigraph as ox

from api.settings import BASE_IRI, get_settings
from graph.resources import ONTOLOGY_FILE

log = logging.getLogger("emkg.publish")

DATASET_IRI = BASE_IRI + "dataset"
DATA_FILE = "emkg.nt"
N_TRIPLES = "application/n-triples"
TURTLE = "text/turtle"  # N-Triples is Turtle too: the fallback for a store that refuses the former
TIMEOUT_S = 300.0
_CHUNK = 1 << 20
_BODY_SHOWN = 2000


class PublishError(RuntimeError):
    """The store refused the graph or could not be reached; `status` is None without an answer."""

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        detail = f"{message} (HTTP {status})" if status is not None else message
        if body.strip():
            detail += f": {body.strip()[:_BODY_SHOWN]}"
        super().__init__(detail)
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Published:
    """What one PUT sent and how the store answered."""

    url: str
    graph_iri: str
    status: int
    bytes_sent: int
    seconds: float


class _Body:
    """The request body: the data file's bytes, then the ontology's; iterable more than once,
    so that a request repeated after an authentication challenge sends it whole again."""

    def __init__(self, data: Path, extra: bytes) -> None:
        self.data = data
        self.extra = extra
        self.length = data.stat().st_size + len(extra)

    def __iter__(self) -> Iterator[bytes]:
        last = b"\n"
        with self.data.open("rb") as stream:
            while block := stream.read(_CHUNK):
                last = block[-1:]
                yield block
        if self.extra:
            # the data file ends with a newline when the builder wrote it; be safe if not
            yield (b"" if last == b"\n" else b"\n") + self.extra


def publish(store_url: str, graph_iri: str | None, out_dir: Path) -> None:
    """Build the graph if needed and replace the named graph at the store with it."""
    from graph.build import ensure_built

    settings = get_settings()
    graph_dir = ensure_built(out_dir)
    # the graph `serve --endpoint` reads (EMKG_GRAPH_IRI, by default the dataset IRI) and the
    # ontology the embedded store serves beside the data (EMKG_ONTOLOGY_FILE)
    iri = graph_iri or settings.graph_iri
    result = put_graph(store_url, iri, graph_dir / DATA_FILE, settings.ontology_file)
    log.info(
        "published %d bytes into <%s> at %s: HTTP %d in %.2f s",
        result.bytes_sent,
        result.graph_iri,
        result.url,
        result.status,
        result.seconds,
    )


def put_graph(
    store_url: str,
    graph_iri: str,
    data: Path,
    ontology: Path | None = ONTOLOGY_FILE,
    *,
    timeout: float = TIMEOUT_S,
) -> Published:
    """PUT `data` (N-Triples) plus `ontology` (any RDF file) into `graph_iri` at the store."""
    if not data.is_file():
        raise FileNotFoundError(f"no graph to publish: {data} is missing (run `emkg build`)")
    _check_iri(graph_iri)
    parts, user, password = _split_credentials(store_url)
    url = graph_url(urlunsplit(parts), graph_iri)
    body = _Body(data, ontology_ntriples(ontology) if ontology is not None else b"")
    opener = _opener(url, user, password)
    began = time.perf_counter()
    status = _put(opener, url, body, N_TRIPLES, timeout, user, password)
    if status == 415:  # a store that knows Turtle but not the N-Triples media type
        status = _put(opener, url, body, TURTLE, timeout, user, password)
        if status == 415:
            raise PublishError(f"the store at {url} accepts neither N-Triples nor Turtle", 415)
    return Published(url, graph_iri, status, body.length, time.perf_counter() - began)


def graph_url(store_url: str, graph_iri: str) -> str:
    """The Graph Store Protocol URL of one named graph (Virtuoso's endpoint says `graph-uri`)."""
    parts = urlsplit(store_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PublishError(f"not an http(s) URL of a Graph Store Protocol service: {store_url!r}")
    name = "graph-uri" if "sparql-graph-crud" in parts.path else "graph"
    parameter = f"{name}={quote(graph_iri, safe='')}"
    query = f"{parts.query}&{parameter}" if parts.query else parameter
    return urlunsplit(parts._replace(query=query, fragment=""))


def ontology_ntriples(path: Path) -> bytes:
    """The ontology as N-Triples, its blank nodes renamed so they cannot meet the data's."""
    if not path.is_file():
        raise FileNotFoundError(f"the ontology {path} is missing")
    try:
        triples = ox.parse(path=str(path), rename_blank_nodes=True)
        text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    except (SyntaxError, ValueError) as exc:
        raise PublishError(f"cannot read the ontology {path}: {exc}") from exc
    return text or b""


def _check_iri(iri: str) -> None:
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise PublishError(f"not an absolute IRI for the graph: {iri!r}") from exc
    if urlsplit(iri).scheme == "":
        raise PublishError(f"not an absolute IRI for the graph: {iri!r}")


def _split_credentials(store_url: str) -> tuple[SplitResult, str | None, str | None]:
    """The URL without user:password, and the credentials (from it or the environment)."""
    parts = urlsplit(store_url)
    user = parts.username or os.environ.get("EMKG_STORE_USER") or None
    password = parts.password or os.environ.get("EMKG_STORE_PASSWORD") or None
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        parts = parts._replace(netloc=netloc)
    return parts, user, password


def _opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = []
    if user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, user, password or "")
        handlers += [
            urllib.request.HTTPBasicAuthHandler(passwords),
            urllib.request.HTTPDigestAuthHandler(passwords),
        ]
    return urllib.request.build_opener(*handlers)


def _authorization(
    request: urllib.request.Request, user: str, password: str | None, timeout: float
) -> str | None:
    """The Authorization header for `request`, answered to the store's challenge beforehand.

    A store that asks for a login answers a PUT without one at once with 401 and closes the
    connection while megabytes of graph are still on their way (Virtuoso does): so the
    challenge is fetched first with a bodyless HEAD, the answer tried on a second HEAD (wrong
    credentials fail there, clearly), and the PUT carries it."""
    probe = urllib.request.Request(request.full_url, method="HEAD")  # noqa: S310
    challenge = _challenge(probe, timeout)
    scheme, _, parameters = challenge.partition(" ")
    if scheme.lower() == "basic":
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        answers = iter([f"Basic {token}"] * 2)
    elif scheme.lower() == "digest":
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, request.full_url, user, password or "")
        digest = urllib.request.HTTPDigestAuthHandler(passwords)
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(parameters))
        answers = (f"Digest {digest.get_authorization(r, fields)}" for r in (probe, request))
    else:
        return None
    probe.add_unredirected_header("Authorization", next(answers))
    if _challenge(probe, timeout):
        raise PublishError(
            f"the store at {request.full_url} refused the credentials; set EMKG_STORE_USER and "
            "EMKG_STORE_PASSWORD, or put user:password in the URL",
            401,
        )
    return next(answers)


def _challenge(probe: urllib.request.Request, timeout: float) -> str:
    """The WWW-Authenticate header of a 401 answer to `probe`, or "" for any other answer."""
    try:
        with urllib.request.urlopen(probe, timeout=min(timeout, 30.0)):  # noqa: S310
            return ""
    except urllib.error.HTTPError as exc:
        return exc.headers.get("WWW-Authenticate", "") or "?" if exc.code == 401 else ""
    except (urllib.error.URLError, OSError):
        return ""  # the PUT itself will say what is wrong


def _put(
    opener: urllib.request.OpenerDirector,
    url: str,
    body: _Body,
    media_type: str,
    timeout: float,
    user: str | None = None,
    password: str | None = None,
) -> int:
    """Send the PUT; the 2xx status, 415 to try another media type, else a PublishError."""
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked in graph_url)
        url,
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"{media_type}; charset=utf-8",
            "Content-Length": str(body.length),
            "Accept": "*/*",
        },
    )
    if user is not None:
        authorization = _authorization(request, user, password, timeout)
        if authorization:
            request.add_unredirected_header("Authorization", authorization)
    try:
        with opener.open(request, timeout=timeout) as response:
            status: int = response.status
            response.read()
            return status
    except urllib.error.HTTPError as exc:
        text = _text(exc)
        if exc.code == 415:
            return 415
        if exc.code in (401, 403):
            hint = "set EMKG_STORE_USER and EMKG_STORE_PASSWORD, or put user:password in the URL"
            raise PublishError(
                f"the store at {url} refused the credentials; {hint}", exc.code, text
            ) from exc
        if exc.code in (404, 405, 501):
            raise PublishError(
                f"{url} is not a Graph Store Protocol service that accepts PUT "
                "(Oxigraph: /store, Fuseki: /DATASET/data, GraphDB: "
                "/repositories/REPO/rdf-graphs/service, Virtuoso: /sparql-graph-crud-auth)",
                exc.code,
                text,
            ) from exc
        raise PublishError(f"the store at {url} refused the graph", exc.code, text) from exc
    except urllib.error.URLError as exc:
        raise PublishError(f"cannot reach the store at {url}: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise PublishError(f"the connection to the store at {url} failed: {exc}") from exc


def _text(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read()
    except OSError:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
