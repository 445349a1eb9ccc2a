"""The `emkg` command: build, validate, eval, serve, query, sparql, ask, publish."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from api.publish import PublishError
from graph.build import BuildError, build, build_graph
from graph.curation import QuoteNotFoundError
from graph.letter import LetterFormatError
from graph.namespaces import BASE
from graph.resources import DEFAULT_OUT, DEFAULT_SOURCE
from graph.validate import validate

console = Console(stderr=True)
out = Console()


def _cmd_build(args: argparse.Namespace) -> int:
    with console.status("building") as status:
        result = build(
            Path(args.source), Path(args.out), args.base, progress=lambda m: status.update(m)
        )
    out.print(
        f"[bold]graph[/bold] {result.version}: {len(result.graph)} triples in {result.out_dir}"
    )
    from rich.table import Table

    table = Table("class", "count", title="nodes per class")
    for name, count in result.counts.items():
        table.add_row(name, str(count))
    out.print(table)
    report = result.report
    out.print(
        f"[bold]SHACL[/bold]: {len(report.violations)} violations, {len(report.warnings)} warnings"
    )
    for finding in report.warnings:
        out.print(f"  [yellow]warning[/yellow] {finding.focus}: {finding.message}")
    cover = result.coverage
    out.print(
        f"[bold]coverage[/bold]: annex {cover.annex_covered}/{cover.annex_sentences} sentences, "
        f"body {cover.body_covered}/{cover.body_sentences} ({cover.body_ratio:.0%})"
    )
    for sentence in cover.uncovered:
        out.print(f"  [dim]no fact:[/dim] {sentence}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    _, graph, _ = build_graph(Path(args.source), args.base)
    report = validate(graph)
    out.print(report.summary())
    return 0 if report.conforms else 1


def _cmd_eval(args: argparse.Namespace) -> int:
    import json

    from rdflib import Graph
    from rich.table import Table

    from graph.evaluate import evaluate, gold_path

    folder = Path(args.out)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    text = (folder / manifest["text"]).read_text(encoding="utf-8")
    gold = Path(args.gold) if args.gold else gold_path(manifest["source"])
    if not gold.is_file():
        raise FileNotFoundError(f"no gold list for {manifest['source']}: {gold}")
    graph = Graph().parse(folder / "emkg.nt", format="nt")
    result = evaluate(graph, text, gold)
    table = Table("category", "gold", "graph", "right", "precision", "recall", title=str(gold.name))
    for s in result.scores:
        table.add_row(
            s.category,
            str(s.gold),
            str(s.found),
            str(s.right),
            f"{s.precision:.1%}",
            f"{s.recall:.1%}",
        )
    out.print(table)
    if args.details:
        for miss in result.misses:
            out.print(f"  {miss.category:12} {miss.what:8} {miss.item} {miss.detail}")
    if args.min is not None and result.lowest() < args.min:
        console.print(f"[red]below {args.min:.0%}[/red]: lowest cell {result.lowest():.1%}")
        return 1
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve

    serve(args.host, args.port, args.workers, args.endpoint, args.graph, args.pool_size)
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from api.terminal import run_canned

    return run_canned(args.name, args.params, out, console)


def _cmd_sparql(args: argparse.Namespace) -> int:
    from api.terminal import read_query, run_sparql

    try:
        query = read_query(args.query, sys.stdin)
    except (OSError, UnicodeDecodeError) as error:
        console.print(f"[red]error:[/red] cannot read the query: {error}")
        return 2
    return run_sparql(query, out, console, args.format)


def _cmd_ask(args: argparse.Namespace) -> int:
    from api.terminal import run_ask

    return run_ask(" ".join(args.question), out, console, args.format)


def _cmd_publish(args: argparse.Namespace) -> int:
    from api.publish import publish

    publish(args.store, args.graph, Path(args.out))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="emkg", description="EU migration commitments knowledge graph")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="letter -> validated graph files")
    b.add_argument("--source", default=str(DEFAULT_SOURCE), help="the letter (text file)")
    b.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    b.add_argument("--base", default=BASE, help="base IRI of the instances")
    b.set_defaults(func=_cmd_build)

    v = sub.add_parser("validate", help="SHACL report; non-zero exit on a violation")
    v.add_argument("--source", default=str(DEFAULT_SOURCE))
    v.add_argument("--base", default=BASE)
    v.set_defaults(func=_cmd_validate)

    e = sub.add_parser("eval", help="precision and recall against the hand-written gold list")
    e.add_argument("--out", default=str(DEFAULT_OUT), help="the built graph folder")
    e.add_argument("--gold", default=None, help="gold list (default: the source letter's own)")
    e.add_argument("--details", action="store_true", help="list every miss")
    e.add_argument("--min", type=float, default=None, help="exit 1 if any cell is below this")
    e.set_defaults(func=_cmd_eval)

    s = sub.add_parser("serve", help="serve the API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="uvicorn processes (share nothing)")
    s.add_argument("--pool-size", type=int, default=None, help="query processes per server process")
    s.add_argument("--endpoint", default=None, help="external SPARQL 1.1 query endpoint")
    s.add_argument("--graph", default=None, help="named graph to read at the endpoint")
    s.set_defaults(func=_cmd_serve)

    q = sub.add_parser(
        "query",
        help="run a canned query: emkg query NAME key=value ... (names as HTTP takes them)",
        description="Run a canned query. IRI parameters take names too (entity=Frontex); "
        "`involving` takes entity= as often as GET /involving does.",
    )
    q.add_argument("name")
    q.add_argument("params", nargs="*", metavar="key=value")
    q.set_defaults(func=_cmd_query)

    r = sub.add_parser("sparql", help="run a SPARQL query against the built graph")
    r.add_argument(
        "query", nargs="?", default=None, help="the query, a file holding it, or - (stdin)"
    )
    r.add_argument(
        "--format",
        choices=["table", "csv", "tsv", "json"],
        default="table",
        help="table (default), csv, tsv or json (SPARQL JSON; JSON-LD for a graph)",
    )
    r.set_defaults(func=_cmd_sparql)

    a = sub.add_parser("ask", help='a question in plain words: emkg ask "What involves ...?"')
    a.add_argument("question", nargs="+")
    a.add_argument("--format", choices=["table", "json"], default="table")
    a.set_defaults(func=_cmd_ask)

    pub = sub.add_parser("publish", help="put the graph into a store (Graph Store Protocol)")
    pub.add_argument("--store", required=True, help="the store's Graph Store Protocol URL")
    pub.add_argument("--graph", default=None, help="named graph IRI (default: the dataset IRI)")
    pub.add_argument("--out", default=str(DEFAULT_OUT), help="the built graph folder")
    pub.set_defaults(func=_cmd_publish)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (
        BuildError,
        QuoteNotFoundError,
        LetterFormatError,
        FileNotFoundError,
        PublishError,
    ) as error:
        console.print(f"[red]error:[/red] {error}")
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
