"""The SHACL shapes: each fixture conforms or fails on the shapes its header names.

A fixture is validated merged with ``shapes/fixtures/context.ttl`` (the document, passages and a
few actors every fixture may point at), on the focus nodes the fixture itself names: the context is
checked once on its own, and not re-validating it per fixture keeps the suite fast. An invalid
fixture's header says what it expects:

    # expects: emk-sh:Commitment-notation      shapes that must report it, and no others
    # severity: sh:Warning                     optional, sh:Violation when absent
    # message-contains: 558 | 524              optional, each part in some result message
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, SH
from rdflib.term import Node

from graph.validate import shacl_report

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "emk.ttl"
SHAPES = ROOT / "shapes" / "emk-shapes.ttl"
FIXTURES = ROOT / "shapes" / "fixtures"
CONTEXT = FIXTURES / "context.ttl"

EMK = Namespace("https://w3id.org/eu-migration-kg/ontology#")
EMK_SH = Namespace("https://w3id.org/eu-migration-kg/shapes#")

# Predicates whose objects are shapes, and those that take a list of shapes.
SHAPE_VALUED = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
SHAPE_LISTS = (SH["or"], SH["and"], SH.xone)
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


@cache
def shapes_graph() -> Graph:
    return Graph().parse(SHAPES)


@cache
def ontology_graph() -> Graph:
    return Graph().parse(ONTOLOGY)


@cache
def context_graph() -> Graph:
    return Graph().parse(CONTEXT)


@dataclass(frozen=True)
class Result:
    shape: Node | None
    severity: Node | None
    messages: tuple[str, ...]


def validate(
    data: Graph, focus_nodes: list[str | URIRef] | None = None
) -> tuple[bool, list[Result]]:
    """The build's own SHACL run (graph.validate.shacl_report), results as nodes."""
    conforms, report = shacl_report(data, focus_nodes)
    results = [
        Result(
            shape=report.value(node, SH.sourceShape),
            severity=report.value(node, SH.resultSeverity),
            messages=tuple(str(m) for m in report.objects(node, SH.resultMessage)),
        )
        for node in report.subjects(RDF.type, SH.ValidationResult)
    ]
    return bool(conforms), results


def validate_fixture(path: Path) -> tuple[bool, list[Result]]:
    own = Graph().parse(path, format="turtle")
    named: list[str | URIRef] = sorted(
        {n for s, _, o in own for n in (s, o) if isinstance(n, URIRef)}
    )
    merged = Graph()
    for triple in context_graph():
        merged.add(triple)
    for triple in own:
        merged.add(triple)
    return validate(merged, focus_nodes=named)


@dataclass(frozen=True)
class Header:
    expects: frozenset[URIRef]
    severity: URIRef
    message_contains: tuple[str, ...]
    has_reason: bool


def read_header(path: Path) -> Header:
    fields: dict[str, str] = {}
    reason = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep and key in {"expects", "severity", "message-contains"}:
            fields[key] = value.strip()
        elif line.startswith(("# Valid:", "# Invalid")):
            reason = True
    return Header(
        expects=frozenset(expand(curie) for curie in fields.get("expects", "").split()),
        severity=expand(fields.get("severity", "sh:Violation")),
        message_contains=tuple(
            part.strip() for part in fields.get("message-contains", "").split("|") if part.strip()
        ),
        has_reason=reason,
    )


def expand(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    namespaces = {"emk-sh": str(EMK_SH), "sh": str(SH)}
    if prefix not in namespaces:
        raise ValueError(f"unknown prefix in fixture header: {curie}")
    return URIRef(namespaces[prefix] + local)


def fixture_params(pattern: str) -> list[object]:
    """One param per file; a single failing param when the glob finds nothing."""
    files = sorted(FIXTURES.glob(pattern))
    if not files:
        return [pytest.param(None, id=f"no-files-match-{pattern}")]
    return [pytest.param(path, id=path.stem) for path in files]


def require(path: Path | None) -> Path:
    if path is None:
        pytest.fail(f"no fixture files found under {FIXTURES}")
    return path


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


def test_context_alone_conforms() -> None:
    conforms, results = validate(context_graph())
    assert results == []
    assert conforms


@pytest.mark.parametrize("path", fixture_params("*-valid.ttl"))
def test_valid_fixture_conforms(path: Path | None) -> None:
    path = require(path)
    assert read_header(path).has_reason, f"{path.name} must open with '# Valid: why'"
    conforms, results = validate_fixture(path)
    assert results == [], f"{path.name}: {results}"
    assert conforms


@pytest.mark.parametrize("path", fixture_params("*-invalid-*.ttl"))
def test_invalid_fixture_fails_on_expected_shapes(path: Path | None) -> None:
    path = require(path)
    header = read_header(path)
    assert header.expects, f"{path.name} must open with '# expects: emk-sh:...'"
    assert header.has_reason, f"{path.name} must say why it is invalid ('# Invalid: ...')"
    known = set(shapes_graph().subjects())
    assert header.expects <= known, f"{path.name} expects shapes that do not exist"

    conforms, results = validate_fixture(path)

    assert {r.shape for r in results} == header.expects, f"{path.name}: {results}"
    assert {r.severity for r in results} == {header.severity}
    # allow_warnings=True: a graph whose only results are warnings still conforms.
    assert conforms is (header.severity != SH.Violation)
    messages = [m for r in results for m in r.messages]
    assert all(messages), "every result carries a message"
    for part in header.message_contains:
        assert any(part in m for m in messages), f"{part!r} in none of {messages}"


def test_figure_warnings_name_both_figures() -> None:
    """The build report parses this message form (see the comment in emk-shapes.ttl)."""
    _, results = validate_fixture(FIXTURES / "QuantityFigures-invalid-01.ttl")
    [result] = results
    assert result.severity == SH.Warning
    assert result.messages == (
        'Figures disagree: the parts of "Relocations under the Voluntary Solidarity Mechanism'
        ' so far" add up to 558 relocations but the total is 524 relocations.',
    )


def test_every_targeted_shape_has_valid_and_invalid_fixtures() -> None:
    targeted = {s for p in TARGETS for s in shapes_graph().subjects(p, None)}
    assert targeted
    for shape in targeted:
        stem = str(shape).removeprefix(str(EMK_SH)).removesuffix("Shape")
        assert (FIXTURES / f"{stem}-valid.ttl").is_file(), f"{stem}-valid.ttl missing"
        assert (FIXTURES / f"{stem}-invalid-01.ttl").is_file(), f"{stem}-invalid-01.ttl missing"


def test_ontology_status_concepts_conform() -> None:
    conforms, results = validate(ontology_graph())
    assert results == []
    assert conforms


# ---------------------------------------------------------------------------
# The shapes graph itself
# ---------------------------------------------------------------------------


def all_shapes(graph: Graph) -> set[Node]:
    shapes: set[Node] = set()
    shapes.update(graph.subjects(RDF.type, SH.NodeShape))
    shapes.update(graph.subjects(RDF.type, SH.PropertyShape))
    shapes.update(graph.subjects(SH.path, None))
    for predicate in TARGETS:
        shapes.update(graph.subjects(predicate, None))
    for predicate in SHAPE_VALUED:
        shapes.update(graph.objects(None, predicate))
    for predicate in SHAPE_LISTS:
        for head in graph.objects(None, predicate):
            shapes.update(Collection(graph, head))
    return shapes


def test_every_shape_has_an_iri_and_a_message() -> None:
    graph = shapes_graph()
    shapes = all_shapes(graph)
    assert len(shapes) > 20
    blank = [s for s in shapes if not isinstance(s, URIRef)]
    assert blank == [], "shapes must be named, not blank nodes"
    for shape in shapes:
        message = graph.value(shape, SH.message)
        assert isinstance(message, Literal), f"{shape} has no sh:message"
        assert message.language == "en"
        assert str(shape).startswith(str(EMK_SH))


def test_every_sparql_constraint_is_named_and_has_a_message() -> None:
    graph = shapes_graph()
    constraints = set(graph.objects(None, SH.sparql))
    assert constraints
    for constraint in constraints:
        assert isinstance(constraint, URIRef)
        assert graph.value(constraint, SH.message) is not None


def test_only_the_figure_checks_are_warnings() -> None:
    warned = set(shapes_graph().subjects(SH.severity, SH.Warning))
    # and a letter signed without a name, which builds with a warning on its creator
    assert warned == {
        EMK_SH.FundingFiguresShape,
        EMK_SH.QuantityFiguresShape,
        EMK_SH["Document-creator"],
    }
    assert set(shapes_graph().objects(None, SH.severity)) == {SH.Warning}


def test_every_ontology_class_is_a_shape_target() -> None:
    ontology = ontology_graph()
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(EMK))}
    assert classes
    targeted = set(shapes_graph().objects(None, SH.targetClass))
    assert classes - targeted == set()


def test_shapes_pass_meta_shacl() -> None:
    # Raises ReportableRuntimeError with the report when the shapes graph is not valid SHACL.
    conforms, _, text = pyshacl.validate(
        Graph(), shacl_graph=shapes_graph(), meta_shacl=True, advanced=True
    )
    assert conforms, text
