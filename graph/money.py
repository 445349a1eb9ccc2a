"""Sums of money in the letter's words, in euro units: 'EUR 600 million' -> 600000000.

The letter's words are read as written: '€80' (the annex omits 'million' there) is 80 euro; an
evident slip is corrected by curation (`corrections` in graph/data/curated.yaml: EUR 80 million,
the letter's figure kept as emk:amountAsWritten with a note), and the figure checks report the
letter's own figures where a part disagrees with its total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

SCALES = {"million": Decimal(10) ** 6, "billion": Decimal(10) ** 9, "bn": Decimal(10) ** 9}
QUALIFIERS = ("at least", "more than", "over", "around", "about", "up to", "nearly", "almost")
_QUALIFIER = r"(?:(" + "|".join(QUALIFIERS) + r")\s+)?"
_CURRENCY = re.compile(
    _QUALIFIER + r"(?:EUR\s*€?|€)\s?(\d+(?:[.,]\d+)?)(?:\s*(million|billion|bn)\b)?",
)
_WORDS = re.compile(
    _QUALIFIER + r"(half a|a|one|two|three) (million|billion) euros?\b",
)
_WORD_NUMBERS = {
    "half a": Decimal("0.5"),
    "a": Decimal(1),
    "one": Decimal(1),
    "two": Decimal(2),
    "three": Decimal(3),
}


@dataclass(frozen=True)
class MoneyMention:
    start: int  # offsets into the text searched, the qualifier included
    end: int
    phrase: str  # the amount as the letter writes it, qualifier excluded
    amount: Decimal  # in euro
    qualifier: str | None


def find_amounts(text: str) -> list[MoneyMention]:
    """Every sum of money in `text`, in text order."""
    found: list[MoneyMention] = []
    for m in _CURRENCY.finditer(text):
        number = Decimal(m.group(2).replace(",", "."))
        scale = SCALES.get(m.group(3) or "", Decimal(1))
        phrase = text[_after_qualifier(m) : m.end()].strip()
        found.append(
            MoneyMention(m.start(), m.end(), phrase, whole_units(number * scale), m.group(1))
        )
    for m in _WORDS.finditer(text):
        amount = _WORD_NUMBERS[m.group(2)] * SCALES[m.group(3)]
        phrase = text[_after_qualifier(m) : m.end()].strip()
        found.append(MoneyMention(m.start(), m.end(), phrase, whole_units(amount), m.group(1)))
    found.sort(key=lambda x: x.start)
    return found


def _after_qualifier(m: re.Match[str]) -> int:
    return m.start() if m.group(1) is None else m.end(1) + 1


def whole_units(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount
