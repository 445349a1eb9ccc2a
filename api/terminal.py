"""`emkg query NAME key=value …`, `emkg sparql` and `emkg ask "…"`: answers in the terminal.

They read the built graph (`graph.build.ensure_built`, which builds it first when it is missing
or stale) and the ontology into an in-process pyoxigraph store, the same data the server's
embedded store holds, so a canned query answers here as it does over HTTP, and takes names as
HTTP does (`emkg query involving entity=Frontex entity=Serbien`). `emkg sparql` reads its query
from the argument, a file or standard input and prints a table, CSV, TSV or SPARQL JSON. A bad
name, parameter or query ends with a message on standard error and exit code 2; on a terminal,
an answer longer than the screen goes through the pager.

`LocalStore` is that in-process store behind the server's `QueryStore` interface; tests and
scripts can hand it to `api.app.create_app(store=…)` to serve a graph without worker processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

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
from api.html import format_dates, format_eur
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
SPARQL_JSON = "application/sparql-results+json"
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
        self,
        sparql: str,
        substitutions: Mapping[str, BoundTerm] | None = None,
        base_iri: str | None = None,
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
            return self.store.query(sparql, base_iri=base_iri, substitutions=terms or None)
        except SyntaxError as exc:
            raise syntax_error(str(exc), sparql) from exc
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
        base_iri: str | None = None,
    ) -> QueryResult:
        if default_graph_uris or named_graph_uris:
            raise ApiError(400, "this store holds one graph: do not name graphs")
        answer = self.run(sparql, substitutions, base_iri)
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

#: `emkg sparql --format`: the media type of each non-table format, for SELECT and for graphs
SPARQL_FORMATS: dict[str, tuple[str | None, str | None]] = {
    "table": (None, "text/turtle"),
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "json": ("application/sparql-results+json", "application/ld+json"),
}


def run_canned(
    name: str, params: list[str], console: Console, errors: Console | None = None
) -> int:
    """`emkg query NAME key=value …`: the canned query's answer as a table.

    Parameters speak as over HTTP: an IRI parameter takes a name ("Frontex", "Serbien") as
    GET /involving does, and `involving` takes `entity` as often as GET /involving does
    (`entity=Frontex entity=Serbia`: what involves all of them).
    """
    errors = errors or console
    try:
        catalogue = default_catalogue()
    except CatalogueError as exc:
        return _usage(errors, f"the catalogue of canned queries is broken: {exc}")
    query = catalogue.get(name)
    if query is None:
        close = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        return _usage(
            errors,
            f"no canned query named {name!r}.{hint}\nAvailable: {', '.join(sorted(catalogue))}",
        )
    pairs: list[tuple[str, str]] = []
    for item in params:
        key, equals, value = item.partition("=")
        if not equals or not key:
            return _usage(errors, f"parameters are key=value, not {item!r}", query)
        pairs.append((key, value))
    store = open_local_store(errors)
    try:
        if name == "involving":
            return _run_involving(store, catalogue, pairs, console)
        raw: dict[str, str] = {}
        for key, value in pairs:
            if key in raw:
                return _usage(errors, f"parameter {key!r} is given twice", query)
            raw[key] = value
        raw = _resolve_names(store, catalogue, query, raw)
        bound = query.bind(raw)
        rows = store.rows(query.sparql, bound)
    except ParameterError as exc:
        return _usage(errors, str(exc), query)
    except ApiError as exc:
        return _usage(errors, _describe(exc))
    shown = query.bound_values(bound)
    title = f"{query.name}: {query.summary}"
    if shown:
        title += " (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"
    _paged(console, lambda c: _print_rows(c, rows, title), len(rows))
    return 0


def _resolve_names(
    store: LocalStore,
    catalogue: Mapping[str, CannedQuery],
    query: CannedQuery,
    raw: Mapping[str, str],
) -> dict[str, str]:
    """IRI parameters given by name, as their IRIs (ApiError 404/409 for an unknown or shared
    name, as over HTTP)."""
    from api.routers.involving import entity_index

    names = {
        key: value
        for key, value in raw.items()
        if (p := query.parameter(key)) is not None
        and p.type == "iri"
        and value
        and not value.startswith(("http://", "https://"))
    }
    if not names:
        return dict(raw)
    index = asyncio.run(entity_index(store, catalogue))
    return {**raw, **{key: index.resolve(value).iri for key, value in names.items()}}


def _run_involving(
    store: LocalStore,
    catalogue: Mapping[str, CannedQuery],
    pairs: Sequence[tuple[str, str]],
    console: Console,
) -> int:
    """`emkg query involving entity=… entity=…`: GET /involving's answer."""
    from api.routers.involving import involving

    unknown = sorted({key for key, _ in pairs} - {"entity", "other"})
    if unknown:
        raise ParameterError(unknown[0], "unknown parameter (involving takes: entity, other)")
    names = [value for _, value in pairs]
    answer = asyncio.run(involving(store, dict(catalogue), names))
    rows = answer["rows"]
    assert isinstance(rows, list)
    entities = answer["entities"]
    assert isinstance(entities, list)
    title = "involving: " + " and ".join(
        f"{e['label']} ({e['matched']})" for e in entities if isinstance(e, dict)
    )
    table = _fact_rows(rows, ("kind", "label", "commitments", "dates", "status", "via", "iri"))
    _paged(console, lambda c: _print_rows(c, table, title), len(table))
    return 0


def run_ask(question: str, console: Console, errors: Console, output: str = "table") -> int:
    """`emkg ask "…"`: GET /ask's answer, as tables (or its JSON)."""
    from api.answers import answer

    store = open_local_store(errors)
    try:
        result = asyncio.run(answer(store, default_catalogue(), question))
    except ApiError as exc:
        errors.print(f"[red]error:[/red] {exc.error}", highlight=False)
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        for suggestion in detail.get("suggestions") or []:
            errors.print(f"  try: {suggestion}", highlight=False)
        return EXIT_USAGE
    if output == "json":
        console.print_json(json.dumps(result, default=str))
        return 0
    rows = result["rows"]
    assert isinstance(rows, list)
    _paged(console, lambda c: _print_answer(c, result), len(rows))
    return 0


def _print_answer(console: Console, result: Mapping[str, object]) -> None:
    reading = result["reading"]
    assert isinstance(reading, dict)
    entities = ", ".join(
        f"{e['label']} ({e['matched']})" for e in reading["entities"] if isinstance(e, dict)
    )
    window = reading.get("window")
    console.print(f"[bold]{reading['question']}[/bold]", highlight=False)
    console.print(f"  entities: {entities or 'none'}", highlight=False)
    console.print(f"  asked for: {reading['kind']}", highlight=False)
    if isinstance(window, dict):
        span = f"{window['from'] or '…'} – {window['to'] or '…'}"
        console.print(f"  when: {window['words']} ({span})", highlight=False)
    if reading.get("status"):
        console.print(f"  status: {reading['status']}", highlight=False)
    rows = result["rows"]
    assert isinstance(rows, list)
    if reading["kind"] == "actors":
        table = Rows(
            [
                {"actor": r["label"], "type": r["type"], "facts": r["count"], "iri": r["iri"]}
                for r in rows
            ],
            columns=("actor", "type", "facts", "iri"),
        )
    else:
        table = _fact_rows(
            rows, ("kind", "label", "commitments", "dates", "status", "amount", "via")
        )
    _print_rows(console, table, None)
    total = result.get("total")
    if isinstance(total, dict):
        console.print(f"[bold]total[/bold]: {total['text']} (each sum counted once)")


def _fact_rows(rows: list[Any], columns: tuple[str, ...]) -> Rows:
    """Rows in /involving's shape (also /ask's), as the terminal prints them."""

    def cell(row: Mapping[str, Any], column: str) -> object:
        if column == "commitments":
            return ", ".join(str(n) for n in row["commitments"])
        if column == "dates":
            return format_dates(row["startDate"], row["endDate"])
        if column == "amount":
            return format_eur(row["amountEUR"]) if row["amountEUR"] is not None else ""
        return row[column]

    return Rows([{c: cell(row, c) for c in columns} for row in rows], columns=columns)


def read_query(source: str | None, stdin: TextIO) -> str:
    """The query of `emkg sparql`: the text given, the file it names, or standard input
    (no argument, or `-`)."""
    if source is None or source == "-":
        return stdin.read()
    path = Path(source)
    if "\n" not in source and len(source) < 4096 and path.is_file():
        return path.read_text(encoding="utf-8")
    return source


def run_sparql(
    query: str, console: Console, errors: Console | None = None, output: str = "table"
) -> int:
    """`emkg sparql`: a SELECT as a table (or CSV, TSV, SPARQL JSON), an ASK as yes or no, a
    graph as Turtle (or JSON-LD)."""
    errors = errors or console
    if output not in SPARQL_FORMATS:
        return _usage(errors, f"unknown format {output!r}: give {', '.join(SPARQL_FORMATS)}")
    if not query.strip():
        return _usage(errors, "the query is empty")
    store = open_local_store(errors)
    select_type, graph_type = SPARQL_FORMATS[output]
    try:
        answer = store.run(query)
        if isinstance(answer, ox.QuerySolutions):
            if select_type is not None:
                encoded = encode_solutions(answer, select_type, store.row_cap)
                _write(console, encoded.body.decode("utf-8"))
                return 0
            columns, values, truncated = solution_rows(answer, store.row_cap)
            rows = Rows(values, columns=columns, truncated=truncated)
            _paged(console, lambda c: _print_rows(c, rows, None), len(rows))
        elif isinstance(answer, ox.QueryBoolean):
            if output == "json":
                _write(console, encode_boolean(answer, SPARQL_JSON).body.decode("utf-8"))
            else:
                console.print("yes" if bool(answer) else "no")
        else:
            if graph_type is None:
                return _usage(errors, f"a graph cannot be given as {output}: use table or json")
            encoded = encode_triples(answer, graph_type, store.row_cap, _prefixes())
            _write(console, encoded.body.decode("utf-8"))
    except ApiError as exc:
        return _usage(errors, _describe(exc))
    except (RuntimeError, ValueError, OSError) as exc:
        return _usage(errors, f"the query could not be evaluated: {exc}")
    return 0


def _write(console: Console, text: str) -> None:
    """Text as it is (no markup, no wrapping), paged on a terminal when it is long."""
    lines = text.count("\n")
    _paged(
        console,
        lambda c: c.out(text, end="" if text.endswith("\n") else "\n", highlight=False),
        lines,
    )


def _paged(console: Console, show: Callable[[Console], None], rows: int) -> None:
    """Print with `show`; on a terminal, through the pager when it is longer than the screen."""
    if not console.is_terminal or rows < console.height // 2:
        show(console)
        return
    with console.capture() as captured:
        show(console)
    text = captured.get()
    if text.count("\n") < console.height:
        console.out(text, end="", highlight=False)
        return
    os.environ.setdefault("LESS", "-R")
    with console.pager(styles=True):
        console.out(text, end="", highlight=False)


def _usage(console: Console, message: str, query: CannedQuery | None = None) -> int:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    if query is not None:
        console.print(_parameter_table(query))
    return EXIT_USAGE


def _describe(error: ApiError) -> str:
    if isinstance(error.detail, str):
        return f"{error.error}: {error.detail}"
    detail = error.detail if isinstance(error.detail, dict) else {}
    names = [
        str(item.get("label") or item.get("name"))
        for key in ("suggestions", "candidates")
        for item in detail.get(key) or []
        if isinstance(item, dict)
    ]
    if names:
        return f"{error.error} (did you mean: {', '.join(dict.fromkeys(names))}?)"
    return error.error


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


__all__ = ["LocalStore", "open_local_store", "read_query", "run_ask", "run_canned", "run_sparql"]
