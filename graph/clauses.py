"""Clauses: where one reported thing ends and the next begins inside a sentence or a bullet.

A sentence of the letter often reports several things: "Vice-President Schinas will be visiting
Egypt on 26-28 March and Commissioner Johansson will be joined by Italian and French Ministers
in a visit to Tunisia soon"; "First Frontex return flight on 15 March, readmission requests now
routinely accepted". A clause boundary is

- a sentence end or a semicolon;
- a comma (", and", " – and") whose two sides each report something: a verb or a date, and
  more than an adverbial ("On 14 March, the Commission ..." is one clause);
- " and " before an actor that starts a new report, when the words before it already report
  one ("... on 26-28 March and Commissioner Johansson will ...").

Commas inside parentheses and lists of names ("Tunisia, Egypt, and Libya") never split: their
sides report nothing.

A bullet that opens with a short heading and a colon ("Pakistan: ...", "Bulgarian-Turkish
border: ...") has the heading apart: what it names is the context of every clause below it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from graph.dates import find_dates
from graph.letter import Span
from graph.sentences import split_sentences

# words that report something: auxiliaries, tense and aspect, past participles of the letter's
# steps, and the annex's telegraphic status words
PREDICATE = re.compile(
    r"\b(is|are|was|were|has|have|had|will|shall|would|should|can|could|be|been|being|"
    r"to be|underway|ongoing|now|met|set out|took|taken|sign|signed|launched|held|made|"
    r"enters|entered|became|continues?|stands ready|confirmed|presented|concluded|closed|"
    r"agreed|adopted|published|endorsed|contracted|discussed|gathered|provided|accepted|"
    r"visited|deployed|relaunched|assisted|resulted|reached|underlined|delivered|we see|"
    r"[a-z]{3,}ed(?= (?:by|on|in|at|to|with)\b))\b"
)
# a heading names a thing or a place; one with a verb is a clause ('Equipment and capacity
# building for Egypt:' is a heading, 'ASOP in Niger operational:' is not)
HEADING_VERB = re.compile(r"\b(is|are|was|were|has|have|will|operational|underway|ongoing)\b")
HEADING = re.compile(r"^([^:;.()]{2,70}?):\s+")
# a participle phrase that adds the background of a step, with names of its own ("building on
# those in place with Morocco, Niger ...", "with the support of Europol and Eurojust")
ASIDE_START = re.compile(r"^(?:building on|with the support of|offering|leading to)\b")
ACTOR_START = re.compile(
    r"^(?:the )?(?:Commissioner|Vice-President|High Representative|President|Commission|"
    r"Frontex|Europol|Member States|EU Asylum Agency|Serbia|[A-Z][a-z]+ (?:will|has|have))\b"
)


def heading(text: str, span: Span) -> Span | None:
    """The short heading a bullet opens with ('Pakistan', 'Bulgarian-Turkish border')."""
    m = HEADING.match(text[span.start : span.end])
    if m is None or len(m.group(1).split()) > 8 or HEADING_VERB.search(m.group(1)):
        return None
    if any(d.end - d.start == len(m.group(1)) for d in find_dates(m.group(1), date(2000, 1, 1))):
        return None  # 'June:', 'Autumn:' date what follows; they are not a context
    return Span(span.start, span.start + m.end(1))


def reports(words: str, letter: date) -> bool:
    """Whether a stretch of words reports something: a verb, or a date with more than an
    adverbial around it."""
    if PREDICATE.search(words):
        return True
    dates = find_dates(words, letter)
    if not dates:
        return False
    rest = words
    for d in reversed(dates):
        rest = rest[: d.start] + rest[d.end :]
    return len(re.findall(r"[A-Za-z]+", rest)) >= 3


def _depth_at(chunk: str, at: int) -> int:
    return chunk.count("(", 0, at) - chunk.count(")", 0, at)


def _split(
    text: str, span: Span, boundary: re.Pattern[str], ok: Callable[[str, str], bool]
) -> list[Span]:
    chunk = text[span.start : span.end]
    out: list[Span] = []
    start = 0
    for m in boundary.finditer(chunk):
        if _depth_at(chunk, m.start()):
            continue
        left, right = chunk[start : m.start()], chunk[m.end() :]
        if ok(left, right):
            out.append(Span(span.start + start, span.start + m.start()))
            start = m.end()
    out.append(Span(span.start + start, span.end))
    return [trim(text, s) for s in out if text[s.start : s.end].strip(" ,;.")]


def trim(text: str, span: Span, lead: str = " ,;–", tail: str = " ,;–") -> Span:
    """The span without the separators at its ends."""
    words = text[span.start : span.end]
    return Span(
        span.start + len(words) - len(words.lstrip(lead)),
        span.end - (len(words) - len(words.rstrip(tail))),
    )


def _next_report(right: str) -> str:
    """The words of the right side up to its next comma (what the boundary would start)."""
    return re.split(r",\s", right, maxsplit=1)[0]


def clauses(text: str, span: Span, letter: date) -> list[Span]:
    """The clauses of text[span], in order, as spans of `text` (heading excluded by the caller)."""
    out: list[Span] = []
    for sentence in split_sentences(text, span):
        for piece in _split(text, sentence, re.compile(r";\s*"), lambda _l, _r: True):
            by_comma = _split(
                text,
                piece,
                re.compile(r",\s+(?:and\s+)?|\s+–\s+and\s+"),
                lambda left, right: (
                    reports(left, letter)
                    and (reports(_next_report(right), letter) or bool(ASIDE_START.match(right)))
                ),
            )
            for part in by_comma:
                out += _split(
                    text,
                    part,
                    re.compile(r"\s+and\s+"),
                    lambda left, right: (
                        bool(ACTOR_START.match(right))
                        and bool(PREDICATE.search(left))
                        and bool(PREDICATE.search(_next_report(right)))
                    ),
                )
    return out
