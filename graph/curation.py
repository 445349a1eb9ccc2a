"""Curated facts (`graph/data/curated.yaml`): each quotes the letter, and the quote must be found.

A quote that is missing, or found more than once, stops the build with a message naming it: a
curated fact whose words the letter does not contain would be a fact without provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph.letter import Span

DATA = Path(__file__).parent / "data"


class QuoteNotFoundError(ValueError):
    """A curated quote is not in the letter's text (or not only once)."""


@dataclass
class Step:
    span: Span
    commitments: list[str]
    part_of: Span | None = None
    involves: list[str] = field(default_factory=list)
    same_as: list[Span] = field(default_factory=list)  # the items this clause restates


@dataclass
class CuratedEvent:
    span: Span
    date_phrase: str
    label: str
    involves: list[str] = field(default_factory=list)
    location: list[str] = field(default_factory=list)
    also: list[Span] = field(default_factory=list)  # further passages that speak of it


@dataclass
class Quantity:
    span: Span
    label: str
    quantity: int
    unit: str
    location: list[str] = field(default_factory=list)
    involves: list[str] = field(default_factory=list)
    parts: list[Quantity] = field(default_factory=list)


@dataclass
class Component:
    whole: Span
    parts: list[Span]
    itemised: bool  # the parts are the whole broken down, so they must add up to it


@dataclass
class Correction:
    """An evident slip in a figure, corrected: the sum at `span` means `amount` (EUR)."""

    span: Span
    amount: int
    note: str


@dataclass
class Theme:
    span: Span
    label: str
    heading: str | None  # the body heading of an area, whose steps get this theme as subject


@dataclass
class ThemeList:
    slug: str
    label: str
    span: Span
    also: list[Span]
    items: list[Theme]


@dataclass
class Curation:
    steps: list[Step]
    events: list[CuratedEvent]
    quantities: list[Quantity]
    components: list[Component]
    themes: list[ThemeList] = field(default_factory=list)
    substeps: list[Span] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)


def locate(text: str, quote: str) -> Span:
    """The one place `quote` stands in `text`."""
    first = text.find(quote)
    if first < 0:
        raise QuoteNotFoundError(f"curated quote not found in the letter: {quote!r}")
    if text.find(quote, first + 1) >= 0:
        raise QuoteNotFoundError(f"curated quote found more than once, lengthen it: {quote!r}")
    return Span(first, first + len(quote))


def _quantity(text: str, entry: dict[str, Any]) -> Quantity:
    return Quantity(
        span=locate(text, entry["quote"]),
        label=entry.get("label", entry["quote"]),
        quantity=int(entry["quantity"]),
        unit=entry.get("unit", ""),
        location=list(entry.get("location") or []),
        involves=list(entry.get("involves") or []),
        parts=[_quantity(text, part) for part in entry.get("parts") or []],
    )


def load_curation(text: str, path: Path = DATA / "curated.yaml") -> Curation:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    steps = [
        Step(
            span=locate(text, entry["quote"]),
            commitments=[str(n) for n in entry.get("commitments") or []],
            part_of=locate(text, entry["part_of"]) if entry.get("part_of") else None,
            involves=list(entry.get("involves") or []),
            same_as=[locate(text, q) for q in entry.get("same_as") or []],
        )
        for entry in data.get("steps") or []
    ]
    events = [
        CuratedEvent(
            span=locate(text, entry["quote"]),
            date_phrase=entry["date"],
            label=entry["label"],
            involves=list(entry.get("involves") or []),
            location=list(entry.get("location") or []),
            also=[locate(text, quote) for quote in entry.get("also") or []],
        )
        for entry in data.get("events") or []
    ]
    quantities = [_quantity(text, entry) for entry in data.get("quantities") or []]
    components = [
        Component(
            whole=locate(text, entry["whole"]),
            parts=[locate(text, quote) for quote in entry.get("parts") or []],
            itemised=bool(entry.get("itemised", False)),
        )
        for entry in data.get("components") or []
    ]
    themes = [
        ThemeList(
            slug=entry["scheme"],
            label=entry["label"],
            span=locate(text, entry["quote"]),
            also=[locate(text, quote) for quote in entry.get("also") or []],
            items=[
                Theme(locate(text, item["quote"]), item["label"], item.get("heading"))
                for item in entry.get("items") or []
            ],
        )
        for entry in data.get("themes") or []
    ]
    substeps = [locate(text, quote) for quote in data.get("substeps") or []]
    corrections = [
        Correction(
            locate(text, entry["quote"]), int(entry["amount"]), " ".join(entry["note"].split())
        )
        for entry in data.get("corrections") or []
    ]
    return Curation(steps, events, quantities, components, themes, substeps, corrections)
