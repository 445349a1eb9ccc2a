"""`emkg build`: the letter in, a validated graph and its dumps out, with a report of what was
found and which sentences yielded nothing.

The output folder holds the stored text that passages index, the graph as Turtle, N-Triples and
JSON-LD, a VoID/DCAT description, `report.json` and `manifest.json` (graph version = hash of the
N-Triples). The same input gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from graph.authority import add_authority_labels
from graph.curation import load_curation
from graph.dumps import write_atomic, write_dumps
from graph.gazetteer import load_gazetteer
from graph.letter import Letter, Span, read_letter
from graph.namespaces import BASE, EMK, OA
from graph.populate import Eurovoc, GraphWriter
from graph.resources import DEFAULT_OUT, DEFAULT_SOURCE, ONTOLOGY_FILE, SHAPES_FILE
from graph.sentences import split_sentences
from graph.validate import ValidationReport, validate

DATA = Path(__file__).parent / "data"
CURATION = DATA / "curated.yaml"
EUROVOC = DATA / "eurovoc.yaml"
ONTOLOGY = ONTOLOGY_FILE
SHAPES = SHAPES_FILE
INPUTS = (DATA / "gazetteer.yaml", CURATION, EUROVOC, ONTOLOGY, SHAPES)

Progress = Callable[[str], None]


class BuildError(RuntimeError):
    """The build cannot produce a valid graph; the message says why."""


@dataclass
class Coverage:
    sentences: int
    covered: int
    uncovered: list[str]
    body_sentences: int
    body_covered: int
    annex_sentences: int
    annex_covered: int

    @property
    def body_ratio(self) -> float:
        return self.body_covered / self.body_sentences if self.body_sentences else 1.0


@dataclass
class BuildResult:
    out_dir: Path
    graph: Graph
    letter: Letter
    counts: dict[str, int]
    report: ValidationReport
    coverage: Coverage
    version: str
    files: list[Path] = field(default_factory=list)


def _quiet(_: str) -> None:
    return None


def load_subjects(path: Path = EUROVOC) -> dict[str, list[Eurovoc]]:
    if not path.exists():
        return {}
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {
        str(entry["commitment"]): [
            Eurovoc(s["iri"], s["label"]) for s in entry.get("subjects") or []
        ]
        for entry in entries
    }


def build_graph(
    source: Path, base: str = BASE, progress: Progress = _quiet
) -> tuple[Letter, Graph, list[Span]]:
    """Parse the letter and populate the graph; curated facts apply to the letter they quote."""
    progress(f"reading {source}")
    letter = read_letter(source.read_text(encoding="utf-8"))
    entities = load_gazetteer()
    curated = CURATION.exists() and source.name == _curated_source()
    curation = load_curation(letter.text, CURATION) if curated else None
    subjects = load_subjects() if curated else {}
    progress(f"extracting facts ({len(letter.commitments)} commitments, {len(entities)} names)")
    writer = GraphWriter(letter, entities, source.stem.lower(), curation, subjects, base)
    graph = writer.write()
    add_authority_labels(graph)
    check_passages(graph, letter.text)
    return letter, graph, writer.fact_spans


def _curated_source() -> str:
    data = yaml.safe_load(CURATION.read_text(encoding="utf-8")) or {}
    return str(data.get("source", DEFAULT_SOURCE.name))


def check_passages(graph: Graph, text: str) -> None:
    """Every passage's words are exactly the stored text between its offsets."""
    for passage in graph.subjects(RDF.type, EMK.Passage):
        exact = str(graph.value(passage, OA.exact))
        start = int(str(graph.value(passage, OA.start)))
        end = int(str(graph.value(passage, OA.end)))
        if text[start:end] != exact:
            raise BuildError(f"passage {passage} does not match the text at {start}:{end}")


def coverage(letter: Letter, fact_spans: list[Span]) -> Coverage:
    """Which sentences of the body and of the annex yielded at least one fact."""
    text = letter.text

    def covered(sentence: Span) -> bool:
        return any(s.start < sentence.end and sentence.start < s.end for s in fact_spans)

    body = [s for p in letter.paragraphs for s in split_sentences(text, p.span)]
    annex_units = [c.span for c in letter.commitments]
    # a table heading ("OUTREACH") is not a fact: it is not counted as a sentence to read
    annex_units += [i.span for c in letter.commitments for i in c.followups if i.kind != "heading"]
    annex_units += [
        i.span
        for sec in letter.sections
        for _, items in sec.groups
        for i in items
        if i.kind != "heading"
    ]
    annex = [s for u in annex_units for s in split_sentences(text, u)]
    missing = [text[s.start : s.end] for s in body + annex if not covered(s)]
    body_covered = sum(covered(s) for s in body)
    annex_covered = sum(covered(s) for s in annex)
    return Coverage(
        sentences=len(body) + len(annex),
        covered=body_covered + annex_covered,
        uncovered=missing,
        body_sentences=len(body),
        body_covered=body_covered,
        annex_sentences=len(annex),
        annex_covered=annex_covered,
    )


def class_counts(graph: Graph) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for _, _, cls in graph.triples((None, RDF.type, None)):
        if isinstance(cls, URIRef):
            counts[graph.namespace_manager.normalizeUri(cls)] += 1
    return dict(sorted(counts.items()))


def build(
    source: Path = DEFAULT_SOURCE,
    out_dir: Path = DEFAULT_OUT,
    base: str = BASE,
    progress: Progress = _quiet,
) -> BuildResult:
    letter, graph, fact_spans = build_graph(source, base, progress)
    progress(f"validating {len(graph)} triples against the SHACL shapes")
    report = validate(graph)
    if not report.conforms:
        raise BuildError("the graph violates the shapes:\n" + report.summary())
    counts = class_counts(graph)
    cover = coverage(letter, fact_spans)
    progress(f"writing dumps to {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    text_file = out_dir / f"{source.stem.lower()}.txt"
    write_atomic(text_file, letter.text)
    files = [text_file, *write_dumps(graph, out_dir, base, counts)]
    nt = (out_dir / "emkg.nt").read_bytes()
    version = hashlib.sha256(nt).hexdigest()[:16]
    report_data = {
        "source": source.name,
        "triples": len(graph),
        "counts": counts,
        "shacl": report.as_dict(),
        "coverage": {
            "sentences": cover.sentences,
            "covered": cover.covered,
            "body": [cover.body_covered, cover.body_sentences],
            "annex": [cover.annex_covered, cover.annex_sentences],
            "uncovered": cover.uncovered,
        },
    }
    (out_dir / "report.json").write_text(
        json.dumps(report_data, indent=2, ensure_ascii=False) + "\n"
    )
    manifest = {
        "version": version,
        "triples": len(graph),
        "source": source.name,
        "text": text_file.name,
        "document": f"{base}id/document/{source.stem.lower()}",
        "files": sorted(f.name for f in files),
        "shacl": {
            "conforms": report.conforms,
            "violations": len(report.violations),
            "warnings": len(report.warnings),
        },
    }
    write_atomic(out_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return BuildResult(out_dir, graph, letter, counts, report, cover, version, files)


def is_stale(out_dir: Path = DEFAULT_OUT, source: Path = DEFAULT_SOURCE) -> bool:
    """True when the built graph is missing or older than any of its sources or builder code."""
    manifest = out_dir / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    inputs = [source, *INPUTS, *Path(__file__).parent.glob("*.py")]
    return any(p.exists() and p.stat().st_mtime > built for p in inputs)


def ensure_built(out_dir: Path = DEFAULT_OUT, progress: Progress = _quiet) -> Path:
    """The graph folder, built first if it is missing or older than its sources, and checked."""
    if is_stale(out_dir):
        build(out_dir=out_dir, progress=progress)
    return check_built(out_dir)


def check_built(out_dir: Path) -> Path:
    """Refuse a graph folder that was not built valid by us, or whose data changed since.

    The manifest must record a SHACL run without violations, and the N-Triples must still hash
    to the manifest's version: a graph that fails the shapes is never served.
    """
    manifest_file = out_dir / "manifest.json"
    if not manifest_file.is_file():
        raise BuildError(f"{out_dir} holds no manifest.json: build the graph first")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    shacl = manifest.get("shacl") or {}
    if shacl.get("conforms") is not True or shacl.get("violations", 1) != 0:
        raise BuildError(f"{out_dir}: the graph did not pass the SHACL shapes; it is not served")
    digest = hashlib.sha256((out_dir / "emkg.nt").read_bytes()).hexdigest()[:16]
    if digest != manifest.get("version"):
        raise BuildError(
            f"{out_dir}/emkg.nt changed since it was built and validated "
            f"(hash {digest}, manifest {manifest.get('version')}); rebuild it"
        )
    return out_dir
