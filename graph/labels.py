"""Labels a reader understands without opening the passage.

- An action is named by its bold words when they say what it is ("Frontex review of
  deployments"); bold words that are only a name or a place ("Egypt", "Tunisia's", "Dublin
  Contact Committee") are a heading, not a label: the label is then the first clause, prefixed
  by the place ("Bangladesh: Commissioner Urpilainen met Prime Minister Hasina").
- An event is named by its own words without the date phrase, and with the place its heading
  gives when the words do not name it ("Talent Partnership round table with Pakistan").
- A sum is named by its amount in euro and what it is for, and the place it goes to when its
  words do not name it ("EUR 152 million migration budget support for Morocco").

Labels end at a word boundary; one cut short ends with "…", never mid-phrase on a preposition.
"""

from __future__ import annotations

import re
from decimal import Decimal

from graph.dates import DateMention
from graph.gazetteer import Entity, fold
from graph.money import MoneyMention

MAX_WORDS = 14
DANGLING = re.compile(
    r"(?:\s+(?:on|in|of|the|to|for|with|and|at|by|from|a|an|top|as|including|its|their))+$", re.I
)
WITH_WORDS = re.compile(r"\b(round table|dialogue|negotiations?|meetings?|partnerships?)\b", re.I)
TO_WORDS = re.compile(r"\b(flight|visit|mission|travel|deliver\w*|returns?)\b", re.I)


def shorten(words: str, limit: int = MAX_WORDS) -> str:
    words = " ".join(words.split()).strip(" ,;:.(")
    parts = words.split()
    cut = len(parts) > limit
    words = " ".join(parts[:limit])
    if words.count("(") > words.count(")"):
        words = words[: words.rindex("(")].rstrip()
        cut = True
    words = DANGLING.sub("", words).strip(" ,;:")
    words = words[:1].upper() + words[1:]
    return words + (" …" if cut else "")


def names_only(words: str, names: list[str]) -> bool:
    """Whether `words` are nothing but names (and a possessive), e.g. "Tunisia's"."""
    rest = fold(words)
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(fold(name), " ")
    rest = re.sub(r"'s\b|\band\b|[^\w]", " ", rest)
    return not rest.strip()


def action_label(first_clause: str, bold: list[str], names: list[str], place: str | None) -> str:
    bold_words = " … ".join(b.strip(" :,") for b in bold if b.strip(" :,"))
    if bold_words and not names_only(bold_words, names) and len(bold_words.split()) >= 2:
        return shorten(bold_words)
    label = shorten(first_clause)
    if place and fold(place) not in fold(label):
        return f"{place}: {label}"
    return label


def event_label(words: str, date: DateMention, offset: int, place: str | None) -> str:
    """The event's words without its date phrase; the heading's place added if missing."""
    at, end = date.start - offset, date.end - offset
    before = re.sub(r"(?i)\b(on|in|from|at|between|of|for|by)\s*\(?\s*$", "", words[:at])
    after = words[end:].lstrip(")")
    text = f"{before.rstrip(' ,(')} {after.lstrip(' ,')}".strip()
    text = re.sub(r"\s*\(\s*\)", "", text)
    text = re.sub(r"(?i)^(following|preceded by|during|during the|as set out at|and)\s+", "", text)
    label = shorten(text or words) if text else shorten(date.phrase)
    if place and fold(place) not in fold(label):
        joint = "with" if WITH_WORDS.search(label) else "to" if TO_WORDS.search(label) else "in"
        label = f"{label.removesuffix(' …')} {joint} {place}"
    return label


def euro(amount: Decimal) -> str:
    if amount >= 10**9 and amount % 10**7 == 0:
        return f"EUR {amount / 10**9:g} billion"
    if amount >= 10**6 and amount % 10**4 == 0:
        return f"EUR {amount / 10**6:g} million"
    return f"EUR {amount:,}"


def sum_label(
    clause: str, amount: MoneyMention, offset: int, value: Decimal, places: list[Entity]
) -> str:
    """'EUR 70 million for reception capacity for unaccompanied minors'."""
    at, end = amount.start - offset, amount.end - offset
    if clause[:at].rstrip().endswith("("):
        before = clause[: clause.rfind("(", 0, at)]
        purpose = re.split(r",\s+|\s+and\s+|:\s+", before)[-1]
        purpose = re.sub(
            r"^(new call for proposals to support|support to|to support)\s+",
            "",
            purpose,
            flags=re.I,
        )
        text = f"for {purpose}"
    else:
        after = clause[end:]
        after = re.split(r"\s+(?:including|to support|will|on top of|which|being)\b|[,;(.]", after)[
            0
        ]
        text = after.strip()
        if not text:
            before = re.split(r",\s+|\s+–\s+", clause[:at])[-1]
            text = before.strip()
    label = shorten(f"{euro(value)} {text}")
    missing = [p for p in places if fold(p.label) not in fold(label)]
    if missing and len(label.split()) < MAX_WORDS:
        label = f"{label.removesuffix(' …')} for {' and '.join(p.label for p in missing[:2])}"
    return label
