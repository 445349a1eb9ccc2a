"""`emkg query`, `emkg sparql` and `emkg ask` as a user runs them, from another folder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console

from api import terminal
from api.stores import Rows

VENV_BIN = Path(sys.executable).parent
REGIONS = (
    "PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#>\n"
    "SELECT ?region WHERE { ?region a emk:Region } ORDER BY ?region\n"
)


def emkg(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "emkg"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=120,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"},
    )


def test_query_takes_names_and_repeated_entities(tmp_path: Path) -> None:
    done = emkg("query", "involving", "entity=Frontex", "entity=Serbien", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Frontex (label) and Serbia (name@" in done.stdout
    assert "Frontex has started deploying its border guards" in done.stdout
    assert "return flight to Bangladesh" not in done.stdout


def test_query_takes_a_name_for_any_iri_parameter(tmp_path: Path) -> None:
    done = emkg("query", "actor-profile", "actor=Frontex", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "actor=https://w3id.org/eu-migration-kg/id/agency/frontex" in " ".join(
        done.stdout.split()
    )


def test_query_errors_say_what_is_wrong(tmp_path: Path) -> None:
    unknown = emkg("query", "involving", "entity=Frontex", "entity=Narnia", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "no entity is called 'Narnia'" in unknown.stderr
    twice = emkg("query", "due-after", "date=2023-04-01", "date=2023-05-01", cwd=tmp_path)
    assert twice.returncode == 2
    assert "given twice" in twice.stderr


def test_sparql_reads_a_file_or_stdin_and_prints_the_format_asked(tmp_path: Path) -> None:
    query = tmp_path / "regions.rq"
    query.write_text(REGIONS, encoding="utf-8")
    csv = emkg("sparql", str(query), "--format", "csv", cwd=tmp_path)
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines()[0] == "region"
    assert "https://w3id.org/eu-migration-kg/id/region/western-balkans" in csv.stdout
    tsv = emkg("sparql", "--format", "tsv", cwd=tmp_path, stdin=REGIONS)
    assert tsv.stdout.splitlines()[0] == "?region"
    assert "<https://w3id.org/eu-migration-kg/id/region/north-africa>" in tsv.stdout
    answer = json.loads(emkg("sparql", "-", "--format", "json", cwd=tmp_path, stdin=REGIONS).stdout)
    assert len(answer["results"]["bindings"]) >= 2
    table = emkg("sparql", REGIONS, cwd=tmp_path)
    assert "western-balkans" in table.stdout


def test_sparql_names_an_undeclared_prefix(tmp_path: Path) -> None:
    done = emkg("sparql", cwd=tmp_path, stdin="SELECT * WHERE { ?x skos:prefLabel ?y }")
    assert done.returncode == 2
    assert "undeclared prefix skos:" in done.stderr
    assert "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in " ".join(done.stderr.split())
    assert done.stdout == ""


def test_ask_answers_in_the_terminal(tmp_path: Path) -> None:
    done = emkg("ask", "How much money goes to Marokko?", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Morocco (name@" in done.stdout
    assert "total: EUR 624 million" in done.stdout
    as_json = json.loads(
        emkg("ask", "--format", "json", "Who visited Morocco?", cwd=tmp_path).stdout
    )
    assert as_json["reading"]["kind"] == "actors"
    refused = emkg("ask", "Tell me a joke", cwd=tmp_path)
    assert refused.returncode == 2
    assert "could not be read" in refused.stderr


class Recorder:
    def __init__(self) -> None:
        self.paged = 0

    @contextmanager
    def pager(self, *args: object, **kwargs: object) -> Iterator[None]:
        self.paged += 1
        yield


@pytest.mark.parametrize(
    ("terminal_output", "rows", "paged"), [(True, 60, 1), (True, 2, 0), (False, 60, 0)]
)
def test_long_answers_page_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, terminal_output: bool, rows: int, paged: int
) -> None:
    console = Console(force_terminal=terminal_output, height=20, width=80, record=True)
    recorder = Recorder()
    monkeypatch.setattr(console, "pager", recorder.pager)
    answer = Rows([{"n": str(i)} for i in range(rows)], columns=("n",))
    terminal._paged(console, lambda c: terminal._print_rows(c, answer, None), rows)
    assert recorder.paged == paged
    assert f"│ {rows - 1} " in console.export_text()  # every row is shown, paged or not
