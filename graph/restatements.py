"""The same fact twice: the letter's body reports what its annex lists.

A fact of the body is the same as a fact of the annex (FACTS.md, "The same fact twice") when

- both are events whose intervals are equal, or one lies inside the other and the wider is no
  longer than a month ("this month" and "on 6-7 March", "next week" and "on 23 March"), and
- they speak of the same thing: the policies they name meet, or (when either names none) they
  share a participant or a place; and
- they are the same kind of happening, where both words say which (a visit is not the signature
  made during it: "Commissioner Várhelyi visit to Morocco (1-2 March)" and "On 1 March,
  Commissioner Várhelyi signed five cooperation agreements" are two events);

or both are sums of the same amount whose places meet (or that both name no place).

The annex is written first; a body fact that is the same as an annex fact becomes that node,
with its own passage added. Facts of the same part of the letter are never merged: the annex's
three adoptions of 14 March are three facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from rdflib import URIRef

LONGEST_CONTAINER = timedelta(days=31)

KINDS = {
    "visit": re.compile(r"\b(visit\w*|mission)\b", re.I),
    "signature": re.compile(r"\bsign(ed|ing|ature)?\b", re.I),
    "adoption": re.compile(r"\badopt(ed|ion)\b", re.I),
    "meeting": re.compile(
        r"\b(meeting|met|Council|Board|Committee|round table|discuss\w*|conference)\b", re.I
    ),
    "delivery": re.compile(r"\bdeliver\w*\b", re.I),
    "return": re.compile(r"\breturn (flight|operation)s?\b", re.I),
}


def happening_kinds(words: str) -> frozenset[str]:
    """What kind of happening the words tell: a visit, a signature, a meeting ..."""
    return frozenset(kind for kind, pattern in KINDS.items() if pattern.search(words))


@dataclass
class Written:
    kind: str  # "event" | "sum"
    node: URIRef
    origin: str  # "annex" | "body" | "commitment" (a deadline, never merged)
    entities: frozenset[str]  # participants and places
    places: frozenset[str]
    refers: frozenset[str]
    first: date | None = None
    last: date | None = None
    amount: Decimal | None = None
    kinds: frozenset[str] = frozenset()  # events: what kind of happening the words tell


def _covers(wide: Written, narrow: Written) -> bool:
    """`wide`'s interval is `narrow`'s, or a window of at most a month around it."""
    if None in (wide.first, wide.last, narrow.first, narrow.last):
        return False
    assert wide.first and wide.last and narrow.first and narrow.last
    inside = wide.first <= narrow.first and narrow.last <= wide.last
    return inside and wide.last - wide.first <= LONGEST_CONTAINER


def _same_time(a: Written, b: Written) -> bool:
    if a.first is None or a.last is None:
        return False
    return (a.first, a.last) == (b.first, b.last) or _covers(a, b) or _covers(b, a)


def _same_topic(a: Written, b: Written) -> bool:
    if a.refers and b.refers:
        return bool(a.refers & b.refers)
    return bool(a.entities & b.entities)


def same(a: Written, b: Written) -> bool:
    if a.kind != b.kind or {a.origin, b.origin} != {"annex", "body"}:
        return False
    if a.kind == "event":
        other_kind = bool(a.kinds and b.kinds and not a.kinds & b.kinds)
        return _same_time(a, b) and _same_topic(a, b) and not other_kind
    if a.amount is None or a.amount != b.amount:
        return False
    return (not a.places and not b.places) or bool(a.places & b.places)


class Restatements:
    def __init__(self) -> None:
        self.written: list[Written] = []

    def find(self, candidate: Written, within: set[URIRef] | None = None) -> Written | None:
        """The fact already written that `candidate` restates, if exactly one is; `within`:
        among these nodes (the events of the action a body clause restates), by time alone."""
        if within is not None:
            found = [
                w
                for w in self.written
                if w.node in within and w.kind == candidate.kind and _covers(candidate, w)
            ]
        else:
            found = [w for w in self.written if same(w, candidate)]
        exact = [w for w in found if (w.first, w.last) == (candidate.first, candidate.last)]
        for group in (exact, found):
            if len(group) == 1:
                return group[0]
            if group:
                return None
        return None

    def add(self, written: Written) -> None:
        self.written.append(written)
