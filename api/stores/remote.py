"""A store that forwards queries to an external SPARQL 1.1 endpoint (`emkg serve --endpoint`).

The data is read from the named graph `settings.graph_iri` (where `emkg publish` puts it) by
sending it as the protocol's `default-graph-uri` and `named-graph-uri`; a request that names its
own graphs, by the protocol or by FROM clauses (sent as protocol parameters), replaces that
(`api.stores.preflight.request_dataset`). Relative IRIs resolve against our endpoint's URL. What
the endpoint's SPARQL dialect departs from the standard in is mended by `api.stores.dialect`.

Requests go out with SPARQLWrapper (POST, URL-encoded) in a worker thread, with the time limit
as its socket timeout. The answer is asked for as SPARQL JSON or N-Triples, read as a stream by
pyoxigraph and re-written under the row cap, so both stores answer byte-for-byte alike.
Bound values reach the endpoint as a `VALUES` block of terms pyoxigraph has validated.
"""

from __future__ import annotations

import ast
import asyncio
import io
import json
import logging
import math
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from api.errors import ApiError
from api.sparql_guard import with_base
from api.stores import QueryForm, QueryResult, Rows
from api.stores.dialect import (
    Dialect,
    Outgoing,
    dialect_of,
    empty_concatenations_unbound,
    is_ask_table,
)
from api.stores.encoding import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Encoded,
    encode_boolean,
    encode_solutions,
    encode_triples,
    solution_rows,
)
from api.stores.preflight import bind_as_values, check_format, request_dataset

if TYPE_CHECKING:
    from api.settings import Settings
    from api.stores import BoundTerm

log = logging.getLogger("emkg.store")

_RESULTS_ACCEPT = "application/sparql-results+json"
_GRAPH_ACCEPT = "application/n-triples"
_ANY_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
_START_ATTEMPTS = 10
_FORM_OF_KIND: dict[str, QueryForm] = {
    "solutions": "select",
    "boolean": "ask",
    "triples": "construct",
}


class RemoteStore:
    """An external SPARQL endpoint; implements `api.stores.QueryStore`."""

    def __init__(self, settings: Settings) -> None:
        if not settings.endpoint:
            raise ValueError("RemoteStore needs settings.endpoint")
        self.settings = settings
        self.endpoint: str = settings.endpoint
        self._version = "unknown"
        self._triples = 0
        self.dialect: Dialect = Dialect()

    @property
    def version(self) -> str:
        return self._version

    @property
    def triple_count(self) -> int:
        return self._triples

    async def start(self) -> None:
        """Count the endpoint's triples in the graph, waiting a little for it to come up."""
        manifest = self.settings.graph_dir / "manifest.json"
        if manifest.is_file():
            self._version = str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))
        for attempt in range(1, _START_ATTEMPTS + 1):
            server = await asyncio.to_thread(_server_header, self.endpoint, 5.0)
            self.dialect = dialect_of(server)
            try:
                rows = await self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            except ApiError as exc:
                if attempt == _START_ATTEMPTS:
                    raise RuntimeError(
                        f"the SPARQL endpoint {self.endpoint} does not answer: {exc.error} "
                        f"({exc.detail})"
                    ) from exc
                await asyncio.sleep(1.0)
                continue
            count = rows[0]["n"] if rows else 0
            self._triples = count if isinstance(count, int) else 0
            break
        log.info(
            "remote store %s (%s dialect), graph <%s>: %d triples",
            self.endpoint,
            self.dialect.name,
            self.settings.graph_iri,
            self._triples,
        )

    async def close(self) -> None:
        return None

    async def query(
        self,
        sparql: str,
        *,
        result_format: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, BoundTerm] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        text, plan = bind_as_values(sparql, substitutions, self.settings, self.dialect.term)
        check_format(plan.form, result_format)
        text, defaults, named = request_dataset(
            text, default_graph_uris, named_graph_uris, self.settings.graph_iri
        )
        if base_iri is not None:
            text = with_base(text, base_iri)  # never the store's own address
        outgoing = self.dialect.prepare(text, plan.form)
        cap = (
            self.settings.triple_cap
            if plan.form in ("construct", "describe")
            else self.settings.row_cap
        )
        kind, encoded = await self._in_thread(
            self._fetch_encoded, outgoing, plan.form, defaults, named, result_format, cap
        )
        form: QueryForm = plan.form or (
            "select" if kind == "solutions" else "ask" if kind == "boolean" else "construct"
        )
        return QueryResult(encoded.body, result_format, form, encoded.rows, encoded.truncated)

    async def select(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> Rows:
        text, plan = bind_as_values(sparql, substitutions, self.settings, self.dialect.term)
        text, defaults, named = request_dataset(text, (), (), self.settings.graph_iri)
        outgoing = self.dialect.prepare(text, plan.form)
        rows: Rows = await self._in_thread(self._fetch_rows, outgoing, defaults, named)
        return empty_concatenations_unbound(text, rows)

    # ------------------------------------------------------------------ helpers

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        """Run a blocking request in a thread; 504 if it outlives the time limit."""
        limit = self.settings.query_timeout + 2.0
        try:
            return await asyncio.wait_for(asyncio.to_thread(function, *args), limit)
        except TimeoutError as exc:
            raise _timeout(self.settings.query_timeout) from exc

    def _client(
        self, sparql: str, accept: str, defaults: Sequence[str], named: Sequence[str]
    ) -> SPARQLWrapper:
        named = self.dialect.named_graphs(tuple(named))
        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setOnlyConneg(True)
        client.setTimeout(max(1, math.ceil(self.settings.query_timeout)))
        client.setQuery(sparql)
        for iri in defaults:
            client.addParameter("default-graph-uri", iri)
        for iri in named:
            client.addParameter("named-graph-uri", iri)
        client.addCustomHttpHeader("Accept", accept)
        return client

    def _fetch_encoded(
        self,
        outgoing: Outgoing,
        form: QueryForm | None,
        defaults: Sequence[str],
        named: Sequence[str],
        result_format: str,
        cap: int,
    ) -> tuple[str, Encoded]:
        accept = {None: _ANY_ACCEPT, "construct": _GRAPH_ACCEPT, "describe": _GRAPH_ACCEPT}.get(
            form, _RESULTS_ACCEPT
        )
        client = self._client(outgoing.text, accept, defaults, named)
        with _Response(client) as (raw, media_type):
            stream = _mended(raw, outgoing)
            results_format = ox.QueryResultsFormat.from_media_type(media_type)
            graph_format = ox.RdfFormat.from_media_type(media_type)
            try:
                if results_format is not None:
                    answer = ox.parse_query_results(stream, format=results_format)
                    if result_format not in RESULT_FORMATS:
                        raise ApiError(406, f"a SELECT or ASK answer cannot be {result_format}")
                    if form == "ask" and isinstance(answer, ox.QuerySolutions):
                        answer = _ask_table(answer)
                    if isinstance(answer, ox.QueryBoolean):
                        return "boolean", encode_boolean(answer, result_format)
                    return "solutions", encode_solutions(answer, result_format, cap)
                if graph_format is not None:
                    if result_format not in GRAPH_FORMATS:
                        raise ApiError(
                            406, f"a CONSTRUCT or DESCRIBE answer cannot be {result_format}"
                        )
                    triples = ox.parse(stream, format=graph_format)
                    from graph.prefixes import PREFIXES

                    return "triples", encode_triples(triples, result_format, cap, PREFIXES)
            except SyntaxError as exc:
                raise ApiError(502, "the SPARQL store sent an unreadable answer", str(exc)) from exc
        raise ApiError(502, "the SPARQL store answered in an unexpected format", media_type)

    def _fetch_rows(
        self, outgoing: Outgoing, defaults: Sequence[str], named: Sequence[str]
    ) -> Rows:
        with _Response(self._client(outgoing.text, _RESULTS_ACCEPT, defaults, named)) as (
            raw,
            media_type,
        ):
            stream = _mended(raw, outgoing)
            results_format = ox.QueryResultsFormat.from_media_type(media_type)
            if results_format is None:
                raise ApiError(502, "the SPARQL store answered in an unexpected format", media_type)
            try:
                answer = ox.parse_query_results(stream, format=results_format)
                if not isinstance(answer, ox.QuerySolutions):
                    raise ApiError(400, "only a SELECT query gives rows")
                columns, values, truncated = solution_rows(answer, self.settings.row_cap)
            except SyntaxError as exc:
                raise ApiError(502, "the SPARQL store sent an unreadable answer", str(exc)) from exc
        return Rows(values, columns=columns, truncated=truncated)


def _mended(stream: Any, outgoing: Outgoing) -> Any:
    """The answer stream, read whole and mended when the dialect sent placeholders."""
    if not outgoing.replacements:
        return stream
    return io.BytesIO(outgoing.mend(stream.read()))


def _ask_table(answer: ox.QuerySolutions) -> ox.QuerySolutions | ox.QueryBoolean:
    """An ASK answered as a one-column table (Virtuoso's `__ask_retval`) as its boolean."""
    variables = [variable.value for variable in answer.variables]
    if not is_ask_table(variables):
        return answer
    truth = any(
        solution[variables[0]] is not None and solution[variables[0]].value not in ("0", "false")
        for solution in answer
    )
    parsed = ox.parse_query_results(
        b'{"head":{},"boolean":' + (b"true" if truth else b"false") + b"}",
        format=ox.QueryResultsFormat.JSON,
    )
    return parsed


def _server_header(endpoint: str, timeout: float) -> str:
    """The endpoint's `Server` header, from a bodyless ASK (empty when it cannot tell)."""
    request = urllib.request.Request(  # noqa: S310 (an http(s) endpoint the operator gave)
        endpoint + ("&" if "?" in endpoint else "?") + "query=ASK%20%7B%7D",
        headers={"Accept": _RESULTS_ACCEPT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return str(response.headers.get("Server", ""))
    except urllib.error.HTTPError as exc:
        return str(exc.headers.get("Server", ""))
    except (urllib.error.URLError, OSError):
        return ""


class _Response:
    """Send the request; yield the open response stream and its media type; map failures."""

    def __init__(self, client: SPARQLWrapper) -> None:
        self.client = client
        self.response: Any = None

    def __enter__(self) -> tuple[Any, str]:
        timeout = float(self.client.timeout or 0)
        try:
            self.response = self.client.query().response
        except QueryBadFormed as exc:
            raise ApiError(400, "the SPARQL store refused the query", _remote_message(exc)) from exc
        except SPARQLWrapperException as exc:
            raise ApiError(502, "the SPARQL store failed", _remote_message(exc)) from exc
        except urllib.error.HTTPError as exc:
            if exc.code == 504:
                raise _timeout(timeout) from exc
            raise ApiError(502, f"the SPARQL store answered {exc.code}", exc.reason) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _timeout(timeout) from exc
            raise ApiError(502, "cannot reach the SPARQL store", str(exc.reason)) from exc
        except TimeoutError as exc:
            raise _timeout(timeout) from exc
        except OSError as exc:
            raise ApiError(502, "cannot reach the SPARQL store", str(exc)) from exc
        return self.response, self.response.headers.get_content_type()

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if self.response is not None:
            self.response.close()
        if isinstance(error, TimeoutError):
            raise _timeout(float(self.client.timeout or 0)) from error
        if isinstance(error, OSError):
            raise ApiError(502, "the SPARQL store connection failed", str(error)) from error


def _timeout(seconds: float) -> ApiError:
    return ApiError(504, f"the SPARQL store did not answer within {seconds:g} s")


def _remote_message(exc: SPARQLWrapperException) -> str:
    """The endpoint's own words from a SPARQLWrapper exception."""
    text = str(exc)
    _, marker, raw = text.partition("Response:\n")
    if not marker:
        return text
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
