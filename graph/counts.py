"""Counts of people and things the letter gives: "over 120,000 ... officers", "13 Member States",
"two more boats", "five cooperation agreements", "around 50 000 persons", "20 Actions".

A count is a number (in figures, or a small number in words) followed by what it counts, up to
the first plural noun within a few words; numbers that are part of a date, a sum of money, a year
or a reference ("point 11", "Article 25a") are not counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from graph.dates import find_dates
from graph.money import find_amounts

WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
QUALIFIERS = ("over", "around", "more than", "nearly", "at least", "about")
COUNT = re.compile(
    r"(?:\b(" + "|".join(QUALIFIERS) + r")\s+)?"
    r"\b(\d{1,3}(?:[ ,]\d{3})+|\d+|" + "|".join(WORDS) + r")\s+(?:more\s+)?"
    r"((?:[A-Za-z-]+,?\s+(?:and\s+)?){0,5}?(?:[A-Za-z-]+s|corps))\b",
    re.I,
)
NOT_COUNTED = re.compile(r"(point|Article|of the)\s*$", re.I)


@dataclass(frozen=True)
class Count:
    start: int
    end: int
    quantity: Decimal
    unit: str
    qualifier: str | None


def find_counts(text: str, letter: date) -> list[Count]:
    taken = [(d.start, d.end) for d in find_dates(text, letter)]
    taken += [(a.start, a.end) for a in find_amounts(text)]
    out = []
    for m in COUNT.finditer(text):
        number = m.group(2)
        start = m.start(2)
        if any(a < m.end(2) and start < b for a, b in taken):
            continue
        if NOT_COUNTED.search(text[:start]) or re.fullmatch(r"(19|20)\d\d", number):
            continue
        if re.search(r"\b(years?|months?|weeks?|days?)$", m.group(3)):
            continue  # "the next five years": a span of time, not a count
        if number.lower() == "one":
            continue  # "one voice", "one month": not a count the letter reports
        value = WORDS.get(number.lower())
        quantity = Decimal(value) if value else Decimal(re.sub(r"[ ,]", "", number))
        unit = " ".join(m.group(3).replace(",", "").split())
        out.append(Count(m.start(), m.end(), quantity, unit, m.group(1)))
    return out
