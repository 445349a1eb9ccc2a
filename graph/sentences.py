"""Sentence boundaries inside a span of the clean text."""

from __future__ import annotations

import re

from graph.letter import Span

_ABBREVIATIONS = ("e.g", "i.e", "Tel", "No", "Mr", "Ms", "Dr", "St", "vs", "etc", "cf")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9€\"“(])")


def split_sentences(text: str, span: Span) -> list[Span]:
    """The sentences of text[span], as spans of `text`; abbreviations do not end a sentence."""
    chunk = text[span.start : span.end]
    spans: list[Span] = []
    start = 0
    for m in _BOUNDARY.finditer(chunk):
        before = chunk[start : m.start()]
        if before.endswith(tuple(a + "." for a in _ABBREVIATIONS)):
            continue
        spans.append(Span(span.start + start, span.start + m.start()))
        start = m.end()
    if chunk[start:].strip():
        spans.append(Span(span.start + start, span.start + len(chunk.rstrip())))
    return spans
