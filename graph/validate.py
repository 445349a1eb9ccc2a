"""`emkg validate`: the graph checked against the SHACL shapes, with the ontology for classes.

Violations fail the build; warnings (the letter's figures disagreeing with themselves) are
reported and kept: the graph holds the letter's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from graph.namespaces import SH
from graph.resources import ONTOLOGY_FILE as ONTOLOGY
from graph.resources import SHAPES_FILE as SHAPES


@dataclass(frozen=True)
class Finding:
    severity: str  # "Violation" | "Warning" | "Info"
    focus: str
    shape: str
    path: str
    message: str


@dataclass
class ValidationReport:
    findings: list[Finding]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        lines = [f"{len(self.violations)} violations, {len(self.warnings)} warnings"]
        for f in self.findings:
            lines.append(f"  {f.severity}: {f.focus} [{f.shape}] {f.message}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "findings": [f.__dict__ for f in self.findings],
        }


@cache
def _graph(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def load_shapes() -> Graph:
    return _graph(SHAPES)


def load_ontology() -> Graph:
    return _graph(ONTOLOGY)


def shacl_report(data: Graph, focus_nodes: list[str | URIRef] | None = None) -> tuple[bool, Graph]:
    """The project's one pyshacl call: the ontology mixed in for the class hierarchy, no
    inference, SHACL-SPARQL on, warnings allowed. `focus_nodes` limits it to some nodes."""
    conforms, results, _ = shacl_validate(
        data,
        shacl_graph=load_shapes(),
        ont_graph=load_ontology(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        focus_nodes=focus_nodes,
    )
    assert isinstance(results, Graph)
    return bool(conforms), results


def validate(data: Graph) -> ValidationReport:
    _, results = shacl_report(data)
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        findings.append(
            Finding(
                severity=severity,
                focus=str(results.value(result, SH.focusNode)),
                shape=str(results.value(result, SH.sourceShape)),
                path=str(results.value(result, SH.resultPath) or ""),
                message=" ".join(str(m) for m in results.objects(result, SH.resultMessage)),
            )
        )
    findings.sort(key=lambda f: (f.severity != "Violation", f.focus, f.shape, f.message))
    return ValidationReport(findings)
