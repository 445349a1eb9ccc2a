"""Answers to questions in plain words: GET /ask and `emkg ask`.

`answer(store, catalogue, text)` reads the question (`api.question`), runs one SPARQL query
(`queries/internal/ask.rq`, or `ask-anything.rq` when no entity is named) with the reading bound
as VALUES blocks of RDF terms, and keeps the resources that every named entity matched, in the
shape of GET /involving's rows (plus the amount, the larger sums a sum is part of and the actors
involved). A question about money gets a total that counts each sum once: a sum that is part of
a larger sum in the same answer (emk:componentOf, at any depth) is shown but not added, as
`funding-total` does for the whole letter; a sum the letter states twice is one node, so one row.
A question asking "who" gets the actors of what matched instead, each with the facts it takes
part in. The answer carries the SPARQL that ran and a link that opens it in the editor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from api.catalogue import CannedQuery
from api.errors import ApiError
from api.html import format_eur
from api.question import (
    BadQuestionError,
    QuestionReader,
    Reading,
    UnreadableError,
    check_question,
)
from api.routers.involving import EntityIndex, entity_index, intersect, shape_row
from api.sparql_guard import bind_table
from api.stores import QueryStore

QUERIES = Path(__file__).resolve().parent.parent / "queries" / "internal"
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
DEFAULT_LETTER_DATE = dt.date(2023, 3, 20)


def _query_text(name: str) -> str:
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


class _Readers:
    """One QuestionReader per entity index (one per graph version), the last few."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.readers: list[tuple[EntityIndex, QuestionReader]] = []

    def get(self, index: EntityIndex) -> QuestionReader:
        for known, reader in self.readers:
            if known is index:
                return reader
        reader = QuestionReader(index)
        self.readers = [*self.readers[-(self.size - 1) :], (index, reader)]
        return reader


_readers = _Readers()


async def letter_date(store: QueryStore) -> dt.date:
    """The letter's date (a day or month without a year is in its year)."""
    rows = await store.select(_query_text("letter-date"))
    value = rows[0].get("date") if rows else None
    return value if isinstance(value, dt.date) else DEFAULT_LETTER_DATE


def ask_query(reading: Reading) -> tuple[str, dict[str, object]]:
    """The SPARQL for a reading, its terms bound in VALUES blocks, and the bound values."""
    entities = [found.entity.iri for found in reading.entities]
    kinds = list(reading.resource_kinds)
    window = reading.window
    start = window.start if window else None
    end = window.end if window else None
    status = reading.status_iri
    sparql = _query_text("ask" if entities else "ask-anything")
    sparql = bind_table(
        sparql,
        ["from", "to", "wantedStatus"],
        [[_date(start), _date(end), str(ox.NamedNode(status)) if status else None]],
    )
    sparql = bind_table(sparql, ["kind"], [[str(ox.Literal(kind))] for kind in kinds])
    if entities:
        sparql = bind_table(sparql, ["entity"], [[str(ox.NamedNode(iri))] for iri in entities])
    bindings: dict[str, object] = {
        "entity": entities,
        "kind": kinds,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "wantedStatus": status,
    }
    return sparql, bindings


def _date(day: dt.date | None) -> str | None:
    return str(ox.Literal(day.isoformat(), datatype=XSD_DATE)) if day else None


def editor_link(sparql: str) -> str:
    """The editor (GET /sparql in a browser) opening a tab with this query."""
    return "/sparql#query=" + quote(sparql, safe="")


async def answer(
    store: QueryStore, catalogue: Mapping[str, CannedQuery], text: str
) -> dict[str, object]:
    """The answer to a question; ApiError 422 for a question that cannot be read."""
    try:
        question = check_question(text)
    except BadQuestionError as exc:
        raise ApiError(422, str(exc), {"parameter": "q"}) from None
    index = await entity_index(store, catalogue)
    reader = _readers.get(index)
    try:
        reading = reader.read(question, await letter_date(store))
    except UnreadableError as exc:
        raise ApiError(
            422,
            f"the question could not be read: {exc.reason}",
            {"understood": exc.reading.as_dict(), "suggestions": exc.suggestions},
        ) from None
    sparql, bindings = ask_query(reading)
    found = await store.select(sparql)
    rows = _rows(found, reading)
    result: dict[str, object] = {"reading": reading.as_dict()}
    if reading.kind == "actors":
        actors = _actors(rows, reading, index)
        result.update(count=len(actors), rows=actors)
    else:
        result.update(count=len(rows), rows=rows)
    if reading.kind == "money":
        result["total"] = total(rows)
    result.update(sparql=sparql, bindings=bindings, editor=editor_link(sparql))
    if found.truncated:
        result["truncated"] = True
    return result


def _rows(found: Sequence[Mapping[str, object]], reading: Reading) -> list[dict[str, object]]:
    """The resources every entity matched, shaped as /involving's rows."""
    by_resource: dict[str, Mapping[str, object]] = {}
    for row in found:
        by_resource.setdefault(str(row["resource"]), row)
    entities = [f.entity for f in reading.entities]
    if entities:
        answers = [[row for row in found if str(row.get("entity")) == e.iri] for e in entities]
        shaped = intersect(answers, entities)
    else:
        shaped = [shape_row(row, []) for row in by_resource.values()]
    for row in shaped:
        source = by_resource[str(row["iri"])]
        amount = source.get("amount")
        row["amountEUR"] = _number(amount)
        row["partOf"] = str(source.get("wholes") or "").split()
        row["actors"] = str(source.get("actors") or "").split()
    return shaped


def _number(value: object) -> int | float | None:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int | float):
        return value
    return None


REGION_OF_COUNTRY = "located in a region the country belongs to"


def total(rows: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """The money of the rows, each sum once: a sum part of a larger sum among the rows is not
    added again, nor a sum that matched a country only as located in its region (money for
    North Africa is not all Morocco's): both are shown, and listed here as not added."""
    sums = {str(r["iri"]): r for r in rows if r.get("kind") == "funding"}
    counted: list[str] = []
    parts: list[dict[str, object]] = []
    regional: list[str] = []
    amount = Decimal(0)
    for iri, row in sums.items():
        wholes = [w for w in _strings(row.get("partOf")) if w in sums]
        value = row.get("amountEUR")
        if wholes:
            parts.append({"iri": iri, "partOf": wholes})
        elif _only_through_a_region(row):
            regional.append(iri)
        elif isinstance(value, int | float):
            counted.append(iri)
            amount += Decimal(str(value))
    whole = amount == amount.to_integral_value()
    return {
        "amountEUR": int(amount) if whole else float(amount),
        "text": format_eur(amount),
        "counted": counted,
        "notAddedAsPartOfAnother": parts,
        "notAddedAsRegional": regional,
    }


def _only_through_a_region(row: Mapping[str, object]) -> bool:
    matches = row.get("matches")
    if not isinstance(matches, list):
        return False
    for match in matches:
        relations = match.get("relations") if isinstance(match, dict) else None
        if isinstance(relations, list) and relations and set(relations) == {REGION_OF_COUNTRY}:
            return True
    return False


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _actors(
    rows: Sequence[Mapping[str, object]], reading: Reading, index: EntityIndex
) -> list[dict[str, object]]:
    """The actors of the rows, except the entities asked about, most involved first; of the
    rows that matched directly when there are any (who visited Serbia, not who met somewhere
    in the Western Balkans)."""
    asked = {f.entity.iri for f in reading.entities}
    facts: dict[str, list[Mapping[str, object]]] = {}
    direct = [row for row in rows if not row.get("via")]
    for row in direct or rows:
        for actor in _strings(row.get("actors")):
            entity = index.entities.get(actor)
            if entity is None or actor in asked:
                continue
            if reading.actor_types and entity.type not in reading.actor_types:
                continue
            facts.setdefault(actor, []).append(row)
    ordered = sorted(facts.items(), key=lambda item: (-len(item[1]), index.entities[item[0]].label))
    actors: list[dict[str, object]] = []
    for iri, rows_of in ordered:
        entity = index.entities[iri]
        numbers = sorted({n for r in rows_of for n in _ints(r.get("commitments"))})
        actors.append(
            {
                "kind": "actor",
                "iri": iri,
                "label": entity.label,
                "type": entity.type,
                "commitments": numbers,
                "count": len(rows_of),
                "facts": [
                    {"iri": r["iri"], "kind": r["kind"], "label": r["label"]} for r in rows_of
                ],
            }
        )
    return actors


def _ints(value: object) -> list[int]:
    return [item for item in value if isinstance(item, int)] if isinstance(value, list) else []


__all__ = ["answer", "ask_query", "editor_link", "letter_date", "total"]
