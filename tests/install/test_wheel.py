"""The wheel as a new user gets it: built from the project, installed with its dependencies into
a fresh virtual environment, and run from a folder that is not the checkout — `build`,
`validate`, `eval`, `query`, `sparql`, `publish` and a server answering every kind of route.

One test does it all in order (each step needs the one before); it takes about half a minute,
most of it pip installing the dependencies (from its cache after the first run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest
from live_servers import free_port, start_oxigraph, stop, wait_until_up

PROJECT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "node_modules", "output", "build", "bench", "tests", ".ci"}

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("wheel")]


def _copy_checkout(target: Path) -> Path:
    """The project's files without environments, outputs and caches (pip builds in place)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n.endswith((".egg-info", "_cache", ".pyc"))}
        skipped |= {"__pycache__", ".hypothesis"} & set(names)
        if Path(folder) == PROJECT:
            skipped |= SKIP & set(names)
        return skipped

    shutil.copytree(PROJECT, target, ignore=ignore)
    return target


def _run(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_the_wheel_installs_and_runs_from_any_folder(tmp_path: Path) -> None:
    source = _copy_checkout(tmp_path / "source")
    dist = tmp_path / "dist"
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMKG_", "PYTHON", "VIRTUAL_ENV"))
    }
    clean["COLUMNS"] = "200"
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(dist)],
        tmp_path,
        clean,
    )
    wheels = list(dist.glob("eu_migration_kg-*.whl"))
    assert len(wheels) == 1

    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    emkg = str(environment / "bin" / "emkg")
    _run([str(python), "-m", "pip", "install", "-q", str(wheels[0])], tmp_path, clean, 600)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = _run(
        [str(python), "-c", "import api, graph; print(api.__file__); print(graph.__file__)"],
        elsewhere,
        clean,
    )
    assert all(line.startswith(str(environment)) for line in located.stdout.split()), (
        "the packages must come from the environment, not the checkout"
    )
    licences = _run([str(python), "-c", _LICENCE_FILES], elsewhere, clean).stdout
    assert "LICENSE" in licences and "CC-BY-4.0" in licences

    built = _run([emkg, "build"], elsewhere, clean)
    assert "0 violations" in built.stdout
    manifest = json.loads((elsewhere / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["shacl"]["conforms"] is True
    assert (elsewhere / "output" / "void.ttl").is_file()
    assert _run([emkg, "validate"], elsewhere, clean).returncode == 0
    assert "commitments" in _run([emkg, "eval"], elsewhere, clean).stdout

    listed = _run([emkg, "query", "commitments"], elsewhere, clean).stdout
    assert "Reinforced border management" in listed
    asked = _run(
        [
            emkg,
            "sparql",
            "PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#> "
            "SELECT (COUNT(?c) AS ?n) WHERE { ?c a emk:Commitment }",
        ],
        elsewhere,
        clean,
    ).stdout
    assert "15" in asked

    refused = subprocess.run(
        [emkg, "publish", "--store", f"http://127.0.0.1:{free_port()}/store"],
        cwd=elsewhere,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2 and "error" in refused.stderr, refused.stderr
    _publish_into_oxigraph(emkg, elsewhere, clean, tmp_path)

    _serve_and_ask(emkg, elsewhere, clean, tmp_path / "serve.log")


_LICENCE_FILES = """
from importlib.metadata import distribution
print([str(f) for f in distribution("eu-migration-kg").files if "licen" in str(f).lower()])
"""


def _publish_into_oxigraph(emkg: str, folder: Path, env: dict[str, str], scratch: Path) -> None:
    """`emkg publish` from the installed wheel into a real Oxigraph server (the test suite's)."""
    server, url = start_oxigraph(scratch / "oxigraph")
    try:
        _run([emkg, "publish", "--store", url + "/store"], folder, env)
        count = httpx.post(
            url + "/query",
            data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
        ).json()["results"]["bindings"][0]["n"]["value"]
        manifest = json.loads((folder / "output" / "manifest.json").read_text(encoding="utf-8"))
        assert int(count) > manifest["triples"]  # the data and the ontology
    finally:
        stop(server)


def _serve_and_ask(emkg: str, folder: Path, env: dict[str, str], log: Path) -> None:
    port = free_port()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [emkg, "serve", "--port", str(port), "--pool-size", "1"],
            cwd=folder,
            env=env,
            stdout=stream,
            stderr=stream,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process, 120)
        with httpx.Client(base_url=url, timeout=30) as client:
            answer = client.get("/queries/commitments").json()
            assert answer["count"] == 15
            involving = client.get("/involving", params={"entity": ["Frontex", "Serbia"]})
            assert involving.status_code == 200 and involving.json()["count"] > 0
            ontology = client.get("/ontology", headers={"Accept": "text/turtle"})
            assert ontology.content == (PROJECT / "ontology" / "emk.ttl").read_bytes()
            shapes = client.get("/shapes", headers={"Accept": "text/turtle"})
            assert shapes.content == (PROJECT / "shapes" / "emk-shapes.ttl").read_bytes()
            letter = client.get("/id/document/letter-2023-03-20", headers={"Accept": "text/plain"})
            assert letter.text == (folder / "output" / "letter-2023-03-20.txt").read_text(
                encoding="utf-8"
            )
            for page in ("/", "/timeline", "/funding", "/queries", "/void", "/id/agency/frontex"):
                response = client.get(page, headers={"Accept": "text/html"})
                assert response.status_code == 200, page
                assert "</html>" in response.text, page
            # the wheel carries no npm files: each page says what it lacks and loads none
            for page, missing in (
                ("/sparql", "YASGUI"),
                ("/timeline", "vis-timeline"),
                ("/funding", "Chart.js"),
                ("/docs", "Swagger UI"),
            ):
                text = client.get(page, headers={"Accept": "text/html"}).text
                assert 'class="notice"' in text and missing in text, page
                assert not re.search(r'(src|href)="/assets/[^"/]+/', text), page
            assert client.get("/assets/site.css").status_code == 200
            select = client.get(
                "/sparql",
                params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                headers={"Accept": "application/sparql-results+json"},
            )
            assert int(select.json()["results"]["bindings"][0]["n"]["value"]) > 1000
    finally:
        stop(process)
