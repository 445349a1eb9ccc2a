"""The gazetteer: the entities the letter names, kept as data (`graph/data/gazetteer.yaml`), and
the matcher that finds their mentions in a text.

Names match as whole words, diacritics folded ('Turkey', 'Türkiye' and 'Turkiye' are one name);
a name that is all capitals ('EU', 'FAC') matches only in capitals, other names regardless of
case. Where names overlap the longest wins, so 'EU Asylum Agency' is not also 'EU'.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
KIND_OF_TYPE = {
    "Agency": "agency",
    "Institution": "institution",
    "PartnerCountry": "country",
    "MemberState": "country",
    "Region": "region",
    "Person": "person",
    "Policy": "policy",
    "Actor": "institution",
}
COUNTRY_TYPES = ("PartnerCountry", "MemberState")


@dataclass(frozen=True)
class ExactMatch:
    iri: str
    checked: str


@dataclass
class Entity:
    kind: str
    slug: str
    type: str
    label: str
    aliases: list[str] = field(default_factory=list)
    adjectives: list[str] = field(default_factory=list)
    member_of: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # kind/slug: the bodies a joint body joins
    located_in: list[str] = field(default_factory=list)  # kind/slug of the places it is about
    role: str | None = None
    affiliation: str | None = None
    description: str | None = None
    exact_match: list[ExactMatch] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.slug}"

    @property
    def is_place(self) -> bool:
        return self.type in (*COUNTRY_TYPES, "Region")

    @property
    def is_country(self) -> bool:
        return self.type in COUNTRY_TYPES

    @property
    def is_actor(self) -> bool:
        return self.type not in ("Region", "Policy")


@dataclass(frozen=True)
class Mention:
    entity: Entity
    start: int
    end: int
    by_adjective: bool


def fold(text: str) -> str:
    """Fold diacritics character by character, so offsets stay those of the original text (the
    text is searched in this form; `name_key` then says which name a match is)."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[:1]
        out.append(base if base.isascii() and len(base) == 1 else char)
    return "".join(out)


def name_key(text: str) -> str:
    """How two names are the same name: diacritics dropped, case folded, spaces collapsed
    ('TÜRKIYE' and 'Türkiye' → 'turkiye'). The API resolves names people type with it too."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def _entity(entry: dict[str, Any]) -> Entity:
    matches = [ExactMatch(m["iri"], m["checked"]) for m in entry.get("exact_match") or []]
    return Entity(
        kind=entry["kind"],
        slug=entry["slug"],
        type=entry["type"],
        label=entry["label"],
        aliases=list(entry.get("aliases") or []),
        adjectives=list(entry.get("adjectives") or []),
        member_of=list(entry.get("member_of") or []),
        members=list(entry.get("members") or []),
        located_in=list(entry.get("located_in") or []),
        role=entry.get("role"),
        affiliation=entry.get("affiliation"),
        description=entry.get("description"),
        exact_match=matches,
    )


def load_gazetteer(path: Path = DATA / "gazetteer.yaml") -> list[Entity]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of entities")
    return [_entity(entry) for entry in entries]


class Matcher:
    """Find the mentions of gazetteer entities in a text."""

    def __init__(self, entities: list[Entity]) -> None:
        self.by_name: dict[str, tuple[Entity, bool]] = {}
        names: list[str] = []
        for entity in entities:
            for name in (entity.label, *entity.aliases):
                self._add(name, entity, False, names)
            for adjective in entity.adjectives:
                self._add(adjective, entity, True, names)
        names.sort(key=len, reverse=True)
        alternatives = "|".join(self._pattern(name) for name in names)
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?![\w])")

    def _add(self, name: str, entity: Entity, adjective: bool, names: list[str]) -> None:
        key = self._key(name)
        if key in self.by_name and self.by_name[key][0] is not entity:
            other = self.by_name[key][0]
            raise ValueError(f"name {name!r} is given to both {other.key} and {entity.key}")
        self.by_name[key] = (entity, adjective)
        names.append(name)

    @staticmethod
    def _is_acronym(name: str) -> bool:
        return name.upper() == name

    def _key(self, name: str) -> str:
        return fold(name) if self._is_acronym(name) else name_key(name)

    def _pattern(self, name: str) -> str:
        escaped = re.escape(fold(name)).replace(r"\ ", r"\s+")
        return escaped if self._is_acronym(name) else f"(?i:{escaped})"

    def find(self, text: str, offset: int = 0) -> list[Mention]:
        """Mentions in `text`, with offsets shifted by `offset`."""
        mentions = []
        for m in self.pattern.finditer(fold(text)):
            key = re.sub(r"\s+", " ", m.group(0))
            entry = self.by_name.get(key) or self.by_name.get(name_key(key))
            if entry is None:
                continue
            entity, adjective = entry
            mentions.append(Mention(entity, offset + m.start(), offset + m.end(), adjective))
        return mentions
