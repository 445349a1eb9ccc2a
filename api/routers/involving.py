"""/involving and /entities: the graph by the names people use.

An entity is named by its label, an alias (skos:altLabel), an adjective ("Serbian") or its IRI,
without regard to case or diacritics: both sides are folded here, in Python (Unicode NFKD,
combining marks dropped, case-folded, spaces collapsed), which SPARQL cannot do properly. The
names come from the canned query `entity-names`, read once per graph version.

Countries and bodies also go by their names in the EU's languages (language-tagged
`skos:altLabel`s from the EU authority tables: "Serbien", "Serbie", "Srbija"). A name resolves
to one entity, preferring labels to English aliases, those to names in other languages, and
those to adjectives; each resolved entity says how it matched (`label`, `alias`, `name@de`,
`adjective`, `iri`). No match is a 404 with close names as suggestions; a name that several
entities share (at the same preference) is a 409 Conflict listing the candidates, to be asked
again by IRI.

`GET /involving?entity=Frontex&entity=Serbia` runs the canned query `involving` once per
entity and keeps what matches all of them, in the order of the first entity's answer. A row
matched only indirectly names the go-between in `via`: the region a country belongs to
(Serbia, through the Western Balkans), the country of a region (the Western Balkans, through
Serbia) or the person affiliated with an organisation (Frontex, through its Executive
Director); `matches` says, entity by entity, how each one matched.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Query

from api.app import StoreDep
from api.catalogue import MAX_STRING, CannedQuery, ParameterError
from api.errors import ApiError, bad_parameter
from api.routers.queries import CatalogueDep
from api.stores import QueryStore
from graph.gazetteer import name_key

router = APIRouter(tags=["entities"])

MAX_ENTITIES = 5
MAX_SUGGESTIONS = 5


@dataclass
class Entity:
    iri: str
    type: str
    label: str
    aliases: list[str] = field(default_factory=list)
    adjectives: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    #: names in the EU's other languages, (name, language tag)
    translations: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The kind in its IRI (`…/id/country/serbia` → country)."""
        parts = self.iri.rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 else ""

    def summary(self) -> dict[str, object]:
        return {"iri": self.iri, "label": self.label, "type": self.type, "kind": self.kind}


#: how a name matched, by its preference: 0 label, 1 English alias, 2 other language, 3 adjective
LABEL, ALIAS, TRANSLATION, ADJECTIVE = range(4)


@dataclass(frozen=True, slots=True)
class Name:
    preference: int
    iri: str
    name: str
    language: str = ""

    @property
    def how(self) -> str:
        """How a name of this kind matches: `label`, `alias`, `name@de`, `adjective`."""
        if self.preference == TRANSLATION:
            return f"name@{self.language}"
        return ("label", "alias", "name", "adjective")[self.preference]


@dataclass(frozen=True, slots=True)
class Match:
    entity: Entity
    how: str  # label, alias, name@de, adjective or iri


@dataclass(frozen=True, slots=True)
class Hit:
    entity: Entity
    rank: int  # 0 the whole name, 1 its start, 2 a word's start, 3 elsewhere
    names: tuple[str, ...]


class EntityIndex:
    """Every entity and its names, folded for matching."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.entities: dict[str, Entity] = {e.iri: e for e in entities}
        self.names: dict[str, list[Name]] = {}  # folded name -> the entities it names
        for entity in self.entities.values():
            named = [
                Name(LABEL, entity.iri, entity.label),
                *(Name(ALIAS, entity.iri, alias) for alias in entity.aliases),
                *(Name(TRANSLATION, entity.iri, n, lang) for n, lang in entity.translations),
                *(Name(ADJECTIVE, entity.iri, adjective) for adjective in entity.adjectives),
            ]
            for name in named:
                folded = name_key(name.name)
                if folded:
                    self.names.setdefault(folded, []).append(name)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, object]]) -> EntityIndex:
        """From the rows of `entity-names`: entity, entityType, label, name, nameKind, language,
        region."""
        entities: dict[str, Entity] = {}
        for row in rows:
            iri = str(row["entity"])
            entity = entities.setdefault(
                iri, Entity(iri, str(row.get("entityType") or ""), str(row.get("label") or iri))
            )
            name, kind, region = row.get("name"), row.get("nameKind"), row.get("region")
            language = str(row.get("language") or "")
            if kind == "alias" and name is not None and language not in ("", "en"):
                if (str(name), language) not in entity.translations:
                    entity.translations.append((str(name), language))
            elif kind == "alias" and name is not None and str(name) not in entity.aliases:
                entity.aliases.append(str(name))
            elif kind == "adjective" and name is not None and str(name) not in entity.adjectives:
                entity.adjectives.append(str(name))
            if region is not None and str(region) not in entity.regions:
                entity.regions.append(str(region))
        return cls(entities.values())

    def resolve(self, given: str) -> Entity:
        """The one entity a name or IRI stands for; ApiError 404 (unknown) or 409 (ambiguous)."""
        return self.match(given).entity

    def match(self, given: str) -> Match:
        """The one entity a name or IRI stands for, and how it matched; ApiError 404 (unknown)
        or 409 (ambiguous)."""
        if given in self.entities:
            return Match(self.entities[given], "iri")
        folded = name_key(given)
        if not folded:
            raise bad_parameter("an entity name cannot be empty", {"entity": given})
        found = self.names.get(folded, [])
        if not found:
            raise ApiError(
                404,
                f"no entity is called {_shown(given)!r}",
                {"entity": given, "suggestions": self.suggest(folded)},
            )
        chosen = self.best(found)
        if len(chosen) > 1:
            raise ApiError(
                409,
                f"{_shown(given)!r} names several entities: ask again with one of their IRIs",
                {"entity": given, "candidates": [self.entities[n.iri].summary() for n in chosen]},
            )
        return Match(self.entities[chosen[0].iri], chosen[0].how)

    @staticmethod
    def best(found: Sequence[Name]) -> list[Name]:
        """The names of the best preference, one per entity (by IRI), with every language the
        name is in ("Serbien": da, de, sv)."""
        best = min(name.preference for name in found)
        chosen: dict[str, Name] = {}
        for name in sorted(found, key=lambda n: n.language):
            if name.preference != best:
                continue
            seen = chosen.get(name.iri)
            language = f"{seen.language}/{name.language}" if seen else name.language
            chosen[name.iri] = Name(best, name.iri, name.name, language)
        return [chosen[iri] for iri in sorted(chosen)]

    def suggest(self, folded: str) -> list[dict[str, object]]:
        """Entities with a name close to, or containing, the folded text."""
        close = difflib.get_close_matches(folded, list(self.names), n=MAX_SUGGESTIONS, cutoff=0.6)
        containing = [name for name in self.names if folded in name and name not in close]
        suggestions: list[dict[str, object]] = []
        seen: set[str] = set()
        for name in [*close, *sorted(containing, key=len)]:
            for named in sorted(self.names[name], key=lambda n: (n.preference, n.iri)):
                if named.iri not in seen and len(suggestions) < MAX_SUGGESTIONS:
                    seen.add(named.iri)
                    suggestions.append({"name": named.name, **self.entities[named.iri].summary()})
        return suggestions

    def search(self, text: str, type_name: str | None = None) -> list[Hit]:
        """Entities with a name that contains the text, best matches first."""
        folded = name_key(text)
        wanted = name_key(type_name) if type_name else None
        hits: dict[str, tuple[int, list[str]]] = {}
        for name, owners in self.names.items():
            rank = _rank(name, folded)
            if rank is None:
                continue
            for named in owners:
                iri = named.iri
                if wanted is not None and name_key(self.entities[iri].type) != wanted:
                    continue
                best, names = hits.get(iri, (rank, []))
                hits[iri] = (min(best, rank), [*names, named.name])
        ordered = sorted(
            hits.items(),
            key=lambda item: (item[1][0], name_key(self.entities[item[0]].label), item[0]),
        )
        return [Hit(self.entities[iri], rank, tuple(names)) for iri, (rank, names) in ordered]


def _rank(name: str, folded: str) -> int | None:
    if name == folded:
        return 0
    if name.startswith(folded):
        return 1
    if f" {folded}" in f" {name}".replace("-", " ").replace("/", " "):
        return 2
    return 3 if folded in name else None


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:80] + "…"


class _IndexCache:
    """One EntityIndex per graph version (the last few)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.indexes: dict[str, EntityIndex] = {}

    async def get(self, store: QueryStore, query: CannedQuery) -> EntityIndex:
        index = self.indexes.get(store.version)
        if index is None:
            rows = await store.select(query.sparql, {})
            index = EntityIndex.from_rows(rows)
            if len(self.indexes) >= self.size:
                self.indexes.pop(next(iter(self.indexes)))
            self.indexes[store.version] = index
        return index


_indexes = _IndexCache()


def _query(catalogue: Mapping[str, CannedQuery], name: str) -> CannedQuery:
    query = catalogue.get(name)
    if query is None:  # pragma: no cover - the catalogue ships with the code
        raise ApiError(503, f"the canned query {name!r} is missing from the catalogue")
    return query


async def entity_index(store: QueryStore, catalogue: Mapping[str, CannedQuery]) -> EntityIndex:
    return await _indexes.get(store, _query(catalogue, "entity-names"))


def _check_text(name: str, value: str) -> None:
    if len(value) > MAX_STRING or any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        error = ParameterError(
            name, f"at most {MAX_STRING} characters, with no control characters", value
        )
        raise bad_parameter(str(error), error.detail)


# ------------------------------------------------------------------ routes


@router.get("/involving", summary="What involves all of the given entities")
async def involving(
    store: StoreDep,
    catalogue: CatalogueDep,
    entity: Annotated[
        list[str] | None,
        Query(description="a label, alias, adjective or IRI; repeat for more entities"),
    ] = None,
) -> dict[str, object]:
    names = entity or []
    if not names:
        raise bad_parameter(
            "name at least one entity: /involving?entity=Frontex&entity=Serbia",
            {"parameter": "entity", "reason": "missing"},
        )
    if len(names) > MAX_ENTITIES:
        raise bad_parameter(
            f"at most {MAX_ENTITIES} entities at a time",
            {"parameter": "entity", "reason": "too many", "given": len(names)},
        )
    for name in names:
        _check_text("entity", name)
    index = await entity_index(store, catalogue)
    matched = [index.match(name) for name in names]
    resolved = [m.entity for m in matched]
    query = _query(catalogue, "involving")
    distinct = list({e.iri: e for e in resolved}.values())
    answers = [await _involving_rows(store, query, e.iri) for e in distinct]
    rows = intersect(answers, distinct)
    return {
        "entities": [
            {"name": n, **m.entity.summary(), "matched": m.how}
            for n, m in zip(names, matched, strict=True)
        ],
        "count": len(rows),
        "rows": rows,
    }


async def _involving_rows(
    store: QueryStore, query: CannedQuery, iri: str
) -> list[Mapping[str, object]]:
    try:
        bound = query.bind({"entity": iri})
    except ParameterError as exc:
        raise bad_parameter(str(exc), exc.detail) from None
    return list(await store.select(query.sparql, bound))


def intersect(
    answers: Sequence[Sequence[Mapping[str, object]]], entities: Sequence[Entity]
) -> list[dict[str, object]]:
    """The rows whose resource is in every answer, in the first answer's order."""
    by_resource = [{str(row["resource"]): row for row in answer} for answer in answers]
    common = [iri for iri in by_resource[0] if all(iri in other for other in by_resource[1:])]
    rows: list[dict[str, object]] = []
    for iri in common:
        first = by_resource[0][iri]
        matches = []
        for entity, answer in zip(entities, by_resource, strict=True):
            row = answer[iri]
            matches.append(
                {
                    "entity": entity.iri,
                    "label": entity.label,
                    "relations": sorted(_split(row.get("relations"), ", ")),
                    "via": row.get("via") or None,
                }
            )
        rows.append(shape_row(first, matches))
    return rows


def shape_row(row: Mapping[str, object], matches: list[dict[str, object]]) -> dict[str, object]:
    """One answer row as /involving gives it, with how each entity matched."""
    vias = [str(m["via"]) for m in matches if m["via"]]
    return {
        "kind": row.get("kind"),
        "iri": str(row["resource"]),
        "label": row.get("label"),
        "commitments": _numbers(row.get("commitments")),
        "startDate": _text(row.get("startDate")),
        "endDate": _text(row.get("endDate")),
        "status": row.get("status"),
        "passage": row.get("passage"),
        "via": ", ".join(dict.fromkeys(vias)) or None,
        "matches": matches,
    }


def _split(value: object, separator: str) -> list[str]:
    return [part for part in str(value).split(separator) if part] if value else []


def _numbers(value: object) -> list[int]:
    return sorted({int(part) for part in _split(value, ", ") if part.isdigit()})


def _text(value: object) -> str | None:
    if value is None:
        return None
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


@router.get("/entities", summary="Find actors, countries, regions and policies by name")
async def entities(
    store: StoreDep,
    catalogue: CatalogueDep,
    q: Annotated[str, Query(description="part of a name; case and diacritics do not matter")] = "",
    type_name: Annotated[
        str | None,
        Query(alias="type", description="only this type: Agency, PartnerCountry, Region, …"),
    ] = None,
) -> dict[str, object]:
    _check_text("q", q)
    if type_name is not None:
        _check_text("type", type_name)
    if not name_key(q):
        raise bad_parameter(
            "give part of a name: /entities?q=frontex", {"parameter": "q", "reason": "empty"}
        )
    index = await entity_index(store, catalogue)
    hits = index.search(q, type_name or None)
    found = []
    for hit in hits:
        entity = hit.entity
        found.append(
            {
                **entity.summary(),
                "aliases": entity.aliases,
                "adjectives": entity.adjectives,
                "names": _by_language(entity.translations),
                "regions": [
                    {"iri": r, "label": index.entities[r].label if r in index.entities else r}
                    for r in entity.regions
                ],
                "matched": list(dict.fromkeys(hit.names)),
            }
        )
    return {"query": q, "count": len(found), "entities": found}


def _by_language(names: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, language in sorted(names, key=lambda item: item[1]):
        grouped.setdefault(language, []).append(name)
    return grouped


__all__ = ["EntityIndex", "Match", "Name", "intersect", "router", "shape_row"]
