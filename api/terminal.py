"""`emkg query NAME key=value …` and `emkg sparql '…'`: answers as tables in the terminal.

Both read the built graph (`graph.build.ensure_built`, which builds it first when it is missing
or stale) and the ontology into an in-process pyoxigraph store, the same data the server's
embedded store holds, so a canned query answers here as it does over HTTP. A bad name,
parameter or query ends with a message and exit code 2.

`LocalStore` is that in-process store behind the server's `QueryStore` interface; tests and
scripts can hand it to `api.app.create_app(store=…)` to serve a graph without worker processes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rich import box
from rich.console import Console
from rich.table import Table

from api.catalogue import (
    CannedQuery,
    CatalogueError,
    ParameterError,
    default_catalogue,
)
from api.errors import ApiError
from api.sparql_guard import inspect_query
from api.stores import QueryForm, QueryResult, Rows
from api.stores.encoding import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    encode_boolean,
    encode_solutions,
    encode_triples,
    solution_rows,
)
from api.stores.preflight import oxigraph_term, syntax_error

if TYPE_CHECKING:
    from rdflib import Graph as RdfGraph

    from api.stores import BoundTerm

DATA_FILE = "emkg.nt"
ROW_CAP = 10_000
MAX_QUERY_BYTES = 1 << 20
EXIT_USAGE = 2
#: below this many characters per field, rows are printed as records, not as a table
MIN_COLUMN_WIDTH = 14


class LocalStore:
    """A graph in an in-process pyoxigraph store; implements `api.stores.QueryStore`."""

    def __init__(self, store: ox.Store, version: str, row_cap: int = ROW_CAP) -> None:
        self.store = store
        self._version = version
        self.row_cap = row_cap

    @classmethod
    def load(cls, graph_dir: Path, ontology: Path | None = None) -> LocalStore:
        """The graph folder's `emkg.nt` (and the ontology, if given and present)."""
        data = graph_dir / DATA_FILE
        if not data.is_file():
            raise FileNotFoundError(f"no graph at {data} (run `emkg build`)")
        store = ox.Store()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
        if ontology is not None and ontology.is_file():
            store.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE)
        return cls(store, _version_of(graph_dir))

    @classmethod
    def from_graph(cls, graph: RdfGraph, version: str, ontology: Path | None = None) -> LocalStore:
        """An rdflib graph (a fresh `graph.build.build_graph`, say), and the ontology."""
        store = ox.Store()
        store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
        if ontology is not None and ontology.is_file():
            store.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE)
        return cls(store, version)

    @property
    def version(self) -> str:
        return self._version

    @property
    def triple_count(self) -> int:
        return len(self.store)

    def run(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """The raw answer; raises ApiError (400 syntax, 403 update/SERVICE, 422 bad term).

        Bound values are pyoxigraph substitutions, as in the server's embedded store.
        """
        inspect_query(sparql, max_bytes=MAX_QUERY_BYTES)
        terms: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): oxigraph_term(name, term)
            for name, term in (substitutions or {}).items()
        }
        try:
            return self.store.query(sparql, substitutions=terms or None)
        except SyntaxError as exc:
            raise syntax_error(str(exc)) from exc
        except (RuntimeError, ValueError, OSError) as exc:
            raise ApiError(400, "the query could not be evaluated", str(exc)) from exc

    def rows(self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None) -> Rows:
        answer = self.run(sparql, substitutions)
        if not isinstance(answer, ox.QuerySolutions):
            raise ApiError(400, "only a SELECT query gives rows")
        try:
            columns, values, truncated = solution_rows(answer, self.row_cap)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ApiError(400, "the query could not be evaluated", str(exc)) from exc
        return Rows(values, columns=columns, truncated=truncated)

    async def select(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> Rows:
        return self.rows(sparql, substitutions)

    async def query(
        self,
        sparql: str,
        *,
        result_format: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, BoundTerm] | None = None,
    ) -> QueryResult:
        if default_graph_uris or named_graph_uris:
            raise ApiError(400, "this store holds one graph: do not name graphs")
        answer = self.run(sparql, substitutions)
        form: QueryForm
        if isinstance(answer, ox.QuerySolutions):
            form, encoded = "select", None
            if result_format in RESULT_FORMATS:
                encoded = encode_solutions(answer, result_format, self.row_cap)
        elif isinstance(answer, ox.QueryBoolean):
            form, encoded = "ask", None
            if result_format in RESULT_FORMATS:
                encoded = encode_boolean(answer, result_format)
        else:
            form, encoded = "construct", None
            if result_format in GRAPH_FORMATS:
                encoded = encode_triples(answer, result_format, self.row_cap)
        if encoded is None:
            raise ApiError(406, f"a {form.upper()} answer cannot be given as {result_format}")
        return QueryResult(encoded.body, result_format, form, encoded.rows, encoded.truncated)

    async def close(self) -> None:
        return None


def _version_of(graph_dir: Path) -> str:
    manifest = graph_dir / "manifest.json"
    if manifest.is_file():
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        if isinstance(version, str) and version:
            return version
    return hashlib.sha256((graph_dir / DATA_FILE).read_bytes()).hexdigest()[:16]


def open_local_store(console: Console | None = None) -> LocalStore:
    """The project's graph, built first if needed, with its ontology."""
    from graph.build import ONTOLOGY, ensure_built

    if console is not None:
        with console.status("loading the graph") as status:
            graph_dir = ensure_built(progress=lambda message: status.update(message))
    else:
        graph_dir = ensure_built()
    return LocalStore.load(graph_dir, ONTOLOGY)


# ------------------------------------------------------------------ the commands


def run_canned(name: str, params: list[str], console: Console) -> int:
    """`emkg query NAME key=value …`: the canned query's answer as a table."""
    try:
        catalogue = default_catalogue()
    except CatalogueError as exc:
        return _usage(console, f"the catalogue of canned queries is broken: {exc}")
    query = catalogue.get(name)
    if query is None:
        close = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        return _usage(
            console,
            f"no canned query named {name!r}.{hint}\nAvailable: {', '.join(sorted(catalogue))}",
        )
    raw: dict[str, str] = {}
    for item in params:
        key, equals, value = item.partition("=")
        if not equals or not key:
            return _usage(console, f"parameters are key=value, not {item!r}", query)
        if key in raw:
            return _usage(console, f"parameter {key!r} is given twice", query)
        raw[key] = value
    try:
        bound = query.bind(raw)
    except ParameterError as exc:
        return _usage(console, str(exc), query)
    store = open_local_store(console)
    try:
        rows = store.rows(query.sparql, bound)
    except ApiError as exc:
        return _usage(console, _describe(exc))
    shown = query.bound_values(bound)
    title = f"{query.name}: {query.summary}"
    if shown:
        title += " (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"
    _print_rows(console, rows, title)
    return 0


def run_sparql(query: str, console: Console) -> int:
    """`emkg sparql '…'`: a SELECT as a table, an ASK as yes or no, a graph as Turtle."""
    if not query.strip():
        return _usage(console, "the query is empty")
    store = open_local_store(console)
    try:
        answer = store.run(query)
        if isinstance(answer, ox.QuerySolutions):
            columns, values, truncated = solution_rows(answer, store.row_cap)
            _print_rows(console, Rows(values, columns=columns, truncated=truncated), None)
        elif isinstance(answer, ox.QueryBoolean):
            console.print("yes" if bool(answer) else "no")
        else:
            encoded = encode_triples(answer, "text/turtle", store.row_cap, _prefixes())
            console.print(encoded.body.decode("utf-8"), markup=False, highlight=False)
    except ApiError as exc:
        return _usage(console, _describe(exc))
    except (RuntimeError, ValueError, OSError) as exc:
        return _usage(console, f"the query could not be evaluated: {exc}")
    return 0


def _usage(console: Console, message: str, query: CannedQuery | None = None) -> int:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    if query is not None:
        console.print(_parameter_table(query))
    return EXIT_USAGE


def _describe(error: ApiError) -> str:
    return f"{error.error}: {error.detail}" if isinstance(error.detail, str) else error.error


def _parameter_table(query: CannedQuery) -> Table:
    table = Table("parameter", "type", "required", "example", "description", title=query.name)
    for p in query.parameters:
        table.add_row(p.name, p.type, "yes" if p.required else "no", p.example, p.description)
    if not query.parameters:
        table.caption = "this query takes no parameters"
    return table


def _print_rows(console: Console, rows: Rows, title: str | None) -> None:
    """A table; on a terminal too narrow for one column per field, one record per row."""
    columns = [c for c in rows.columns if not c.startswith("_")]
    count = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    caption = count + (f" (cut at {len(rows)})" if rows.truncated else "")
    if len(columns) <= 2 or console.width >= MIN_COLUMN_WIDTH * len(columns):
        table = Table(*columns, title=title, caption=caption)
        for field in table.columns:
            field.overflow = "fold"
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        console.print(table)
        return
    if title:
        console.print(f"[bold]{title}[/bold]", highlight=False)
    for number, row in enumerate(rows, 1):
        record = Table(
            show_header=False, box=box.SIMPLE, title=f"row {number}", title_justify="left"
        )
        record.add_column(style="bold", no_wrap=True)
        record.add_column(overflow="fold")
        for column in columns:
            record.add_row(column, _cell(row.get(column)))
        console.print(record)
    console.print(caption)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _prefixes() -> dict[str, str]:
    from graph.namespaces import PREFIXES

    return dict(PREFIXES)


__all__ = ["LocalStore", "open_local_store", "run_canned", "run_sparql"]
