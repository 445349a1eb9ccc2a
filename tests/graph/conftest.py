"""One build of the project's letter, shared by the graph tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from graph.build import BuildResult, build

PROJECT = Path(__file__).resolve().parents[2]
LETTER = PROJECT / "sources" / "letter-2023-03-20.txt"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(LETTER, tmp_path_factory.mktemp("graph"))


@pytest.fixture(scope="session")
def g(built: BuildResult) -> Graph:
    return built.graph
