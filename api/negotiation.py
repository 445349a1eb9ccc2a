"""Content negotiation: pick what to send from an Accept header (RFC 9110, section 12.5.1).

Each offer takes the quality of the most specific media range that matches it (`type/subtype`
over `type/*` over `*/*`); the best offer has the highest quality, then the most specific match,
then the earliest place in the client's list, then the earliest place in the server's list.
An absent, empty or wholly malformed header accepts anything. Aliases let a client's generic
type stand for a specific one, e.g. `application/json` for `application/sparql-results+json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_EXACT, _SUBTYPE_WILDCARD, _FULL_WILDCARD, _NO_MATCH = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float
    position: int

    def specificity(self, media_type: str) -> int:
        """How closely this range matches a concrete `type/subtype` (0 when it does not)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return _FULL_WILDCARD
        if self.type != kind:
            return _NO_MATCH
        if self.subtype == "*":
            return _SUBTYPE_WILDCARD
        return _EXACT if self.subtype == sub else _NO_MATCH


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    for position, entry in enumerate((header or "").split(",")):
        media, *params = (part.strip() for part in entry.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q, position))
    return ranges


def negotiate(
    accept: str | None,
    offers: Sequence[str],
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """The best of `offers` for this Accept header, or None when none is acceptable.

    `aliases` maps a media type a client may name to the offer it stands for; an alias matches
    as exactly as the offer itself.
    """
    if not offers:
        return None
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    alias_map = aliases or {}
    best: tuple[float, int, int, int] | None = None
    chosen: str | None = None
    for rank, offer in enumerate(offers):
        names = [offer, *(alias for alias, target in alias_map.items() if target == offer)]
        match: tuple[int, float, int] | None = None  # (specificity, q, position)
        for media_range in ranges:
            specificity = max(media_range.specificity(name) for name in names)
            if specificity == _NO_MATCH:
                continue
            candidate = (specificity, media_range.q, media_range.position)
            # the most specific range decides; among equally specific ones, the first listed
            if match is None or (specificity, -media_range.position) > (match[0], -match[2]):
                match = candidate
        if match is None or match[1] <= 0.0:
            continue
        score = (match[1], match[0], -match[2], -rank)
        if best is None or score > best:
            best, chosen = score, offer
    return chosen
