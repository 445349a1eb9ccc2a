"""Labels a reader understands without opening the passage.

- An action is named by what its first clause reports, after its heading: "Bangladesh:
  Commissioner Urpilainen met Prime Minister Hasina on 7 March", "EU Action Plan on the Eastern
  Mediterranean route: draft in preparation". A clause that only sets the scene ("Following first
  delivery in February", "Funds contracted in January 2023") is read with the one after it; a
  connective that opens a clause of the body ("while also", "with") is left out. The letter's bold
  words ("bilateral meetings", "Visa-free access") are emphasis, not names: never a label.
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


CONNECTIVE = re.compile(r"^(?:while(?: also)?|and|but|so|over time,)\s+", re.I)
SCENE = re.compile(r"^(?:following|after|during|since|in the meantime)\b", re.I)


def action_label(clauses: list[str], heading: str | None, place: str | None) -> str:
    """What the action's first clause reports, after its heading (see the module's notes)."""
    words = clauses[0] if clauses else ""
    if len(clauses) > 1 and (SCENE.match(words) or len(words.split()) < 6):
        words = clauses[1] if SCENE.match(words) else f"{words}, {clauses[1]}"
    words = CONNECTIVE.sub("", words.strip())
    # "Another aspect of addressing the consequences of using air travel is by confirming ...":
    # what is done, not how the letter introduces it
    words = re.sub(r"^[^,;:]{0,90}?\bis by\s+", "", words)
    if heading and not (place and fold(place) in fold(heading)):
        words = f"{heading.strip(' :')}: {words}"
    label = shorten(words)
    if place and fold(place)[:5] not in fold(label):
        return f"{place}: {label}"
    return label


def event_label(
    words: str, date: DateMention, offset: int, place: str | None, topic: str | None = None
) -> str:
    """The event's words without its date phrase; the heading's place added if missing. A date
    in a parenthesis dates what the parenthesis says of the words before it, or of the
    heading (`topic`): "Negotiations with Mauritania (latest round on 8 March)" is the latest
    round of negotiations with Mauritania; "EU Action Plan on the Eastern Mediterranean route:
    draft in preparation, ... (launched on 9 March)" the Action Plan launched."""
    at, end = date.start - offset, date.end - offset
    opened = words.rfind("(", 0, at)
    if opened >= 0 and ")" not in words[opened:at]:
        inner = re.sub(r"(?i)\s*\b(on|in|from|at|of|by)\s*$", "", words[opened + 1 : at]).strip()
        outer = words[:opened].strip(" ,;:")
        done = re.fullmatch(r"(\w+ed)", inner)
        if done:
            return with_place(shorten(f"{topic or outer} {done.group(1)}"), place)
        if inner and outer:
            return with_place(shorten(f"{inner} of {outer[:1].lower()}{outer[1:]}"), place)
    before = re.sub(r"(?i)\b(on|in|from|at|between|of|for|by)\s*\(?\s*$", "", words[:at])
    after = words[end:].lstrip(")")
    text = f"{before.rstrip(' ,(')} {after.lstrip(' ,')}".strip()
    text = re.sub(r"\s*\(\s*\)", "", text)
    text = re.sub(
        r"(?i)^(following|preceded by|during|during the|as set out at|and|followed up with)\s+",
        "",
        text,
    )
    # "Further engagement, including a visit by Commissioner Johansson": the visit
    text = re.sub(r"(?i)^.*\bincluding (?:a |an )?(?=\w+ (?:by|to|of)\b)", "", text)
    label = shorten(text or words) if text else shorten(date.phrase)
    return with_place(label, place)


def with_place(label: str, place: str | None) -> str:
    """The heading's place named where the words do not name it: right after what it is a
    round table with or a mission to ("Next mission to Nigeria being planned ..."), else at the
    end ("... in Tunisia"). A city names its country ("Tunis")."""
    if not place or fold(place)[:5] in fold(label):
        return label
    for pattern, joint in ((WITH_WORDS, "with"), (TO_WORDS, "to")):
        found = list(pattern.finditer(label))
        if found:
            m = found[-1]  # "Talent Partnership round table": the round table is with them
            return f"{label[: m.end()]} {joint} {place}{label[m.end() :]}"
    if label.endswith(" …"):
        return f"{place}: {label}"
    return f"{label} in {place}"


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
        after = re.sub(r"^\)?\s*being made available(?: shortly)?", "", clause[end:])
        target = re.match(r"\s*will (?:target|provide|fund)\s+([^,;.]+)", after)
        purpose = re.match(r"\s*(to (?:\w+ly )?support [^;.(]+)", after)
        if target:
            text = f"for {target.group(1)}"
        elif purpose:
            text = purpose.group(1)
        else:
            after = re.split(r"\s+(?:including|will|on top of|which|being)\b|[,;(.)]", after)[0]
            text = after.strip()
        if not text:
            before = re.split(r",\s+|\s+–\s+|\s+of the\s+|\s+amounting to", clause[:at])[-1]
            text = before.strip()
    if re.match(r"(?:for )?[A-Z][a-z]+ [a-z]", text):  # "for Regional anti-smuggling programme"
        text = re.sub(r"^(for )?([A-Z])", lambda m: (m.group(1) or "") + m.group(2).lower(), text)
    lead = re.search(r"(already committed|new|additional|first)\s*\(?$", clause[:at].rstrip(), re.I)
    amount_words = euro(value)
    if lead and not text.lower().startswith(lead.group(1).lower()):
        amount_words = f"{lead.group(1)[:1].upper()}{lead.group(1)[1:]} {amount_words}"
    label = shorten(f"{amount_words} {text}")
    missing = [p for p in places if fold(p.label) not in fold(label)]
    if missing and len(label.split()) < MAX_WORDS:
        label = f"{label.removesuffix(' …')} for {' and '.join(p.label for p in missing[:2])}"
    return label
