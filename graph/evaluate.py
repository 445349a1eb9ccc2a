"""`emkg eval`: the graph measured against the hand-written gold list of the letter's facts.

The gold list (`graph/data/gold/<letter>.yaml`) is written by hand from the letter, never from
the build's output. Each gold fact quotes the letter; a node of the graph is the same fact when
it is of the same kind and one of its passages overlaps one of the fact's quotes (the overlap
measured against the shorter of the two spans, at least half of it). Where several nodes could
be the fact (the events of one bullet), the one with the same date (events) or amount (sums)
wins; each node stands for at most one gold fact and each fact for at most one node.

Categories, each with precision (of what the graph holds, how much is right) and recall (of what
the gold list holds, how much the graph has):

- commitments, actions, events, sums, quantities: nodes matched to gold facts of their kind;
- participants (`emk:involves`) and places (`emk:location`): the links of matched actions,
  events and sums, compared pair by pair;
- dates: matched events (and actions the gold dates) whose interval is the gold interval;
- statuses: matched actions and events whose status is the gold status;
- components: `emk:componentOf` links between matched sums against the gold `part_of`.

Attribute categories count over matched pairs: a missing node lowers the recall of its kind,
not of every attribute it would have carried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from graph.curation import locate
from graph.letter import Span
from graph.namespaces import BASE, EMK, OA, PROV, SCHEMA, SKOS

GOLD_DIR = Path(__file__).parent / "data" / "gold"
KINDS = ("actions", "events", "sums", "quantities")
MIN_OVERLAP = 0.5


@dataclass
class GoldFact:
    kind: str  # "actions" | "events" | "sums" | "quantities"
    id: str
    label: str
    spans: list[Span]
    involves: set[str] = field(default_factory=set)
    location: set[str] = field(default_factory=set)
    status: str | None = None
    start: date | None = None
    end: date | None = None
    amount: Decimal | None = None
    letter_amount: Decimal | None = None
    quantity: Decimal | None = None
    part_of: str | None = None


@dataclass
class NodeFacts:
    node: URIRef
    spans: list[Span]
    involves: set[str]
    location: set[str]
    status: str | None
    start: date | None
    end: date | None
    amount: Decimal | None
    quantity: Decimal | None
    component_of: set[URIRef]


@dataclass
class Score:
    category: str
    gold: int  # what the gold list holds
    found: int  # what the graph holds
    right: int  # what both hold

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 1.0


@dataclass
class Miss:
    category: str
    what: str  # "missing" (gold not in graph) | "extra" (graph not in gold) | "wrong"
    item: str
    detail: str = ""


@dataclass
class Evaluation:
    scores: list[Score]
    misses: list[Miss]

    def score(self, category: str) -> Score:
        return next(s for s in self.scores if s.category == category)

    def lowest(self) -> float:
        return min(min(s.precision, s.recall) for s in self.scores)


def gold_path(source_name: str) -> Path:
    return GOLD_DIR / f"{Path(source_name).stem.lower()}.yaml"


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_gold(path: Path, text: str) -> tuple[dict[str, Span], list[GoldFact], list[Span]]:
    """Commitments (number -> span), facts and not-facts of a gold file, quotes located."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    commitments = {
        str(c["number"]): locate(text, c["quote"]) for c in data.get("commitments") or []
    }
    facts: list[GoldFact] = []
    for kind in KINDS:
        for entry in data.get(kind) or []:
            quotes = [entry["quote"], *(entry.get("also") or [])]
            facts.append(
                GoldFact(
                    kind=kind,
                    id=str(entry["id"]),
                    label=str(entry.get("label", entry["quote"])),
                    spans=[locate(text, q) for q in quotes],
                    involves=set(entry.get("involves") or []),
                    location=set(entry.get("location") or []),
                    status=entry.get("status"),
                    start=_date(entry.get("start")),
                    end=_date(entry.get("end")),
                    amount=_dec(entry.get("amount")),
                    letter_amount=_dec(entry.get("letter_amount")),
                    quantity=_dec(entry.get("quantity")),
                    part_of=entry.get("part_of"),
                )
            )
    not_facts = [locate(text, e["quote"]) for e in data.get("not_facts") or []]
    return commitments, facts, not_facts


def _key(node: URIRef, base: str) -> str:
    """`country/serbia` for `{base}id/country/serbia`."""
    return str(node).removeprefix(base + "id/")


def _spans(g: Graph, node: URIRef) -> list[Span]:
    out = []
    for passage in g.objects(node, PROV.wasDerivedFrom):
        start, end = g.value(passage, OA.start), g.value(passage, OA.end)
        if start is not None and end is not None:
            out.append(Span(int(str(start)), int(str(end))))
    return out


def node_facts(g: Graph, cls: URIRef, base: str = BASE) -> list[NodeFacts]:
    nodes = sorted({n for n in g.subjects(RDF.type, cls) if isinstance(n, URIRef)})
    out = []
    for node in nodes:
        status = g.value(node, EMK.status)
        start, end = g.value(node, SCHEMA.startDate), g.value(node, SCHEMA.endDate)
        amount, quantity = g.value(node, EMK.amountEUR), g.value(node, EMK.quantity)
        out.append(
            NodeFacts(
                node=node,
                spans=_spans(g, node),
                involves={
                    _key(o, base) for o in g.objects(node, EMK.involves) if isinstance(o, URIRef)
                },
                location={
                    _key(o, base) for o in g.objects(node, EMK.location) if isinstance(o, URIRef)
                },
                status=str(status).rsplit("#", 1)[-1] if status is not None else None,
                start=_date(start),
                end=_date(end),
                amount=_dec(amount),
                quantity=_dec(quantity),
                component_of={o for o in g.objects(node, EMK.componentOf) if isinstance(o, URIRef)},
            )
        )
    return out


def overlap(a: Iterable[Span], b: Iterable[Span]) -> float:
    """The best overlap of two sets of spans, against the shorter span of each pair."""
    best = 0.0
    bs = list(b)
    for x in a:
        for y in bs:
            common = min(x.end, y.end) - max(x.start, y.start)
            shorter = min(x.end - x.start, y.end - y.start)
            if common > 0 and shorter > 0:
                best = max(best, common / shorter)
    return best


def shared(a: Iterable[Span], b: Iterable[Span]) -> int:
    """How many characters two sets of spans have in common: among equal best overlaps, the
    node that holds more of the fact's passages (its annex quote as well as the body clause
    it shares with a sibling) is its node."""
    bs = list(b)
    return sum(max(0, min(x.end, y.end) - max(x.start, y.start)) for x in a for y in bs)


def _agrees(fact: GoldFact, node: NodeFacts) -> bool:
    """The kind's own key: the same first day (events), amount (sums) or count (quantities)."""
    if fact.kind == "events":
        return fact.start is not None and node.start == fact.start
    if fact.kind == "sums":
        return node.amount is not None and node.amount in (fact.amount, fact.letter_amount)
    if fact.kind == "quantities":
        return node.quantity is not None and node.quantity == fact.quantity
    return False


def match(facts: list[GoldFact], nodes: list[NodeFacts]) -> dict[str, NodeFacts]:
    """Gold id -> node, one to one, best pairs first."""
    pairs = []
    for fact in facts:
        for node in nodes:
            score = overlap(fact.spans, node.spans)
            if score >= MIN_OVERLAP:
                common = shared(fact.spans, node.spans)
                pairs.append(
                    (_agrees(fact, node), score, common, fact.id, str(node.node), fact, node)
                )
    pairs.sort(key=lambda p: (not p[0], -p[1], -p[2], p[3], p[4]))
    taken_facts: set[str] = set()
    taken_nodes: set[URIRef] = set()
    out: dict[str, NodeFacts] = {}
    for _, _, _, fid, _, fact, node in pairs:
        if fid in taken_facts or node.node in taken_nodes:
            continue
        taken_facts.add(fid)
        taken_nodes.add(node.node)
        out[fact.id] = node
    return out


def evaluate(g: Graph, text: str, gold: Path, base: str = BASE) -> Evaluation:
    commitments, facts, _ = load_gold(gold, text)
    misses: list[Miss] = []
    scores: list[Score] = []

    graph_numbers = {
        str(n) for c in g.subjects(RDF.type, EMK.Commitment) for n in g.objects(c, SKOS.notation)
    }
    right = graph_numbers & set(commitments)
    scores.append(Score("commitments", len(commitments), len(graph_numbers), len(right)))
    misses += [Miss("commitments", "missing", n) for n in sorted(set(commitments) - right)]
    misses += [Miss("commitments", "extra", n) for n in sorted(graph_numbers - right)]

    classes = {
        "actions": EMK.Action,
        "events": EMK.Event,
        "sums": EMK.FundingInstrument,
    }
    pool: dict[str, list[NodeFacts]] = {k: node_facts(g, c, base) for k, c in classes.items()}
    counted = [n for k in ("actions", "events", "sums") for n in pool[k]]
    pool["quantities"] = [n for n in counted if n.quantity is not None]

    matched: dict[str, NodeFacts] = {}
    by_id = {f.id: f for f in facts}
    for kind in KINDS:
        gold_facts = [f for f in facts if f.kind == kind]
        found = match(gold_facts, pool[kind])
        matched.update(found)
        scores.append(Score(kind, len(gold_facts), len(pool[kind]), len(found)))
        for fact in gold_facts:
            if fact.id not in found:
                misses.append(Miss(kind, "missing", f"{fact.id}: {fact.label}"))
        used = {n.node for n in found.values()}
        extra = [n for n in pool[kind] if n.node not in used]
        if kind == "quantities":
            # a node carrying a count may stand for an event or sum the gold lists as such
            extra = [n for n in extra if n.node not in {m.node for m in matched.values()}]
        elif kind == "events":
            # a count the letter gives as a happening ("524 relocations took place") is
            # measured as a quantity
            extra = [n for n in extra if n.quantity is None]
        scores[-1].found = len(found) + len(extra)
        misses += [Miss(kind, "extra", str(n.node)) for n in extra]

    def links(category: str, attribute: str) -> None:
        gold_n = found_n = right_n = 0
        for fid, node in matched.items():
            fact = by_id[fid]
            if fact.kind == "quantities":
                continue
            want: set[str] = getattr(fact, attribute)
            have: set[str] = getattr(node, attribute)
            gold_n, found_n, right_n = (
                gold_n + len(want),
                found_n + len(have),
                right_n + len(want & have),
            )
            if want != have:
                detail = f"missing {sorted(want - have)} extra {sorted(have - want)}"
                misses.append(Miss(category, "wrong", f"{fid} ({node.node})", detail))
        scores.append(Score(category, gold_n, found_n, right_n))

    links("participants", "involves")
    links("places", "location")

    def values(category: str, gold_of: Any, graph_of: Any) -> None:
        """One value per matched event or action (its interval, its status), compared."""
        gold_n = found_n = right_n = 0
        for fid, node in matched.items():
            fact = by_id[fid]
            want, have = gold_of(fact), graph_of(node)
            if want is None or fact.kind not in ("events", "actions"):
                continue
            gold_n += 1
            found_n += have is not None
            if have == want:
                right_n += 1
            else:
                detail = f"gold {want}, graph {have}"
                misses.append(Miss(category, "wrong", f"{fid} ({node.node})", detail))
        scores.append(Score(category, gold_n, found_n, right_n))

    values(
        "dates",
        lambda f: (f.start, f.end) if f.start is not None else None,
        lambda n: (n.start, n.end) if n.start is not None else None,
    )
    values("statuses", lambda f: f.status, lambda n: n.status)

    fact_of = {n.node: fid for fid, n in matched.items()}
    want_parts = {
        (f.id, f.part_of) for f in facts if f.kind == "sums" and f.part_of and f.id in matched
    }
    have_parts = {
        (fact_of[n.node], fact_of[w])
        for n in pool["sums"]
        if n.node in fact_of
        for w in n.component_of
        if w in fact_of
    }
    scores.append(
        Score("components", len(want_parts), len(have_parts), len(want_parts & have_parts))
    )
    misses += [
        Miss("components", "missing", f"{a} part of {b}")
        for a, b in sorted(want_parts - have_parts)
    ]
    misses += [
        Miss("components", "extra", f"{a} part of {b}") for a, b in sorted(have_parts - want_parts)
    ]
    return Evaluation(scores, misses)
