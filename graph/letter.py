"""Read the letter: its body paragraphs and its annex table, into one clean text with offsets.

The source is a PDF flattened to text: the body carries markdown emphasis (`*...*`, `**...**`),
page furniture ('./..', the Commission's postal footer) and a paragraph cut by a page break; the
annex is a two-column table whose rows are tab-separated HTML cells, with the header row repeated
on every page and rows continuing across page breaks (a commitment's text split over two rows, a
bullet cut mid-sentence and resumed in the next row, a continuation cell with an empty left
column).

`read_letter` rebuilds the text as a reader sees it — markup removed, continuations joined — and
records where every paragraph, commitment and follow-up item lies in that clean text. Passages
index this clean text (`text[start:end] == exact`); the build stores it beside the graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser

ANNEX_HEADING = re.compile(r"^#+\s*(Follow-up after .*)$")
TABLE_HEADER = re.compile(r"^President's letter/EUCO conclusions\s*\tFollow-up\s*$")
PAGE_FURNITURE = (
    re.compile(r"^\./\.\.$"),
    re.compile(r"^Commission européenne/Europese Commissie\b"),
)
AREA_LEAD = re.compile(r"^\*{2,3}([^*]+?:)\*{2,3}\s*\*?")
SALUTATION = re.compile(r"^Dear .*,$")
CLOSING = re.compile(r"^Yours (sincerely|faithfully),?$")
LETTER_DATE = re.compile(r"^[A-Z][\w .-]+, (\d{1,2} [A-Z][a-z]+ \d{4})$")
COMMITMENT_NUMBER = re.compile(r"^(\d{1,2})\.\s+")
BULLET_GLYPH = re.compile(r"^[•\-–]\s*")
TERMINAL = (".", "!", "?", ")", ":")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Paragraph:
    """A paragraph of the letter's body; `area` is the heading of the area it reports on."""

    span: Span
    area: str | None
    area_span: Span | None = None


@dataclass
class Item:
    """One entry of an annex cell: a bullet, a paragraph, or a heading such as 'OUTREACH'."""

    kind: str  # "bullet" | "paragraph" | "heading"
    span: Span
    parent: int | None = None  # index of the item this one is part of, within the same list


@dataclass
class Commitment:
    number: str
    span: Span  # the full text, number removed
    title_spans: list[Span]
    followups: list[Item] = field(default_factory=list)


@dataclass
class Section:
    """A block of the annex that is not a numbered commitment (e.g. 'EU Action Plans')."""

    title: str
    title_span: Span
    groups: list[tuple[Item, list[Item]]] = field(default_factory=list)


@dataclass
class Letter:
    text: str
    date: date
    place: str
    annex_title: str
    annex_title_span: Span
    paragraphs: list[Paragraph]
    commitments: list[Commitment]
    sections: list[Section]

    def at(self, span: Span) -> str:
        return self.text[span.start : span.end]


class LetterFormatError(ValueError):
    """The source does not have the shape of the letter this parser reads."""


# --- the annex cells -----------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # "p" | "li" | "text"
    runs: list[tuple[str, bool]] = field(default_factory=list)  # (text, bold)

    @property
    def plain(self) -> str:
        return _squash("".join(text for text, _ in self.runs))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _CellParser(HTMLParser):
    """Split one table cell into blocks of text runs, remembering which runs were bold."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.bold = 0
        self.open: _Block | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "li"):
            self.open = _Block(tag)
            self.blocks.append(self.open)
        elif tag in ("b", "strong"):
            self.bold += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "li"):
            self.open = None
        elif tag in ("b", "strong"):
            self.bold = max(0, self.bold - 1)

    def handle_data(self, data: str) -> None:
        if self.open is None:
            if not data.strip():
                return
            self.open = _Block("text")
            self.blocks.append(self.open)
        self.open.runs.append((data, self.bold > 0))


def _cell_blocks(cell: str) -> list[_Block]:
    parser = _CellParser()
    parser.feed(cell)
    parser.close()
    blocks = [b for b in parser.blocks if b.plain]
    for block in blocks:
        first_text, first_bold = block.runs[0]
        block.runs[0] = (BULLET_GLYPH.sub("", first_text.lstrip()), first_bold)
    return [b for b in blocks if b.plain]


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(TERMINAL)


@dataclass
class _Entry:
    """An annex entry being assembled from one or more table rows."""

    kind: str
    runs: list[tuple[str, bool]]
    parent: int | None = None


@dataclass
class _Row:
    number: str | None
    section: str | None
    left: list[_Block]
    right: list[_Block]


def _table_rows(lines: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    for line in lines:
        if not line.strip() or TABLE_HEADER.match(line):
            continue
        left, _, right = line.partition("\t")
        left_blocks, right_blocks = _cell_blocks(left), _cell_blocks(right)
        number = None
        if left_blocks:
            match = COMMITMENT_NUMBER.match(left_blocks[0].plain)
            if match:
                number = match.group(1)
                text, bold = left_blocks[0].runs[0]
                left_blocks[0].runs[0] = (COMMITMENT_NUMBER.sub("", text.lstrip()), bold)
        section = None
        if number is None and not right_blocks and len(left_blocks) == 1 and "<" not in left:
            section = left_blocks[0].plain
            left_blocks = []
        rows.append(_Row(number, section, left_blocks, right_blocks))
    return rows


def _append_continuing(entries: list[_Entry], block: _Block, kind: str) -> None:
    """Add a block to a cell's entries, joining it to the previous one if that was cut short."""
    if entries and not _ends_sentence(_runs_text(entries[-1].runs)) and block.kind != "li":
        entries[-1].runs.append((" ", False))
        entries[-1].runs.extend(block.runs)
        return
    entries.append(_Entry(kind, list(block.runs)))


def _runs_text(runs: list[tuple[str, bool]]) -> str:
    return _squash("".join(t for t, _ in runs))


def _is_heading(block: _Block) -> bool:
    return all(bold for _, bold in block.runs if _.strip()) and block.plain.isupper()


def _right_entries(entries: list[_Entry], blocks: list[_Block]) -> None:
    """Follow-up entries: bullets; a heading (such as 'OUTREACH') groups the bullets after it;
    a paragraph after a finished bullet elaborates that bullet."""
    for block in blocks:
        if block.kind == "p" and _is_heading(block):
            entries.append(_Entry("heading", list(block.runs)))
            continue
        before = len(entries)
        _append_continuing(entries, block, "bullet" if block.kind == "li" else "paragraph")
        if len(entries) == before:
            continue  # joined to the entry it continues
        entry = entries[-1]
        previous = entries[before - 1] if before else None
        if entry.kind == "paragraph" and previous is not None and previous.kind == "bullet":
            entry.parent = before - 1
        else:
            headings = [i for i, e in enumerate(entries[:-1]) if e.kind == "heading"]
            entry.parent = headings[-1] if headings else None


# --- writing the clean text ----------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def write(self, text: str) -> Span:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return Span(start, self.length)

    def write_runs(self, runs: list[tuple[str, bool]]) -> tuple[Span, list[Span]]:
        """Write runs squashed to single spaces; return the whole span and the bold spans."""
        text = ""
        bold_ranges: list[tuple[int, int]] = []
        for run, is_bold in runs:
            piece = re.sub(r"\s+", " ", run)
            if not text:
                piece = piece.lstrip()
            elif text.endswith(" ") and piece.startswith(" "):
                piece = piece[1:]
            if is_bold and piece.strip():
                lead = len(piece) - len(piece.lstrip())
                bold_ranges.append((len(text) + lead, len(text) + len(piece.rstrip())))
            text += piece
        text = text.rstrip()
        span = self.write(text)
        bolds = [Span(span.start + a, span.start + min(b, len(text))) for a, b in bold_ranges]
        return span, [b for b in bolds if b.end > b.start]

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _strip_emphasis(text: str) -> str:
    return _squash(re.sub(r"\*+", "", text))


def _body_paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if not line.strip() or any(p.match(line.strip()) for p in PAGE_FURNITURE):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line.strip())
    return paragraphs


def read_letter(raw: str) -> Letter:
    """Parse the flattened letter into clean text with the spans of its parts."""
    lines = raw.splitlines()
    annex_at = next((i for i, line in enumerate(lines) if ANNEX_HEADING.match(line)), None)
    if annex_at is None:
        raise LetterFormatError("no annex heading ('## Follow-up after ...') found")
    head = _body_paragraphs(lines[:annex_at])
    salutation = next((i for i, p in enumerate(head) if SALUTATION.match(_strip_emphasis(p))), None)
    closing = next((i for i, p in enumerate(head) if CLOSING.match(_strip_emphasis(p))), None)
    if salutation is None or closing is None or closing < salutation:
        raise LetterFormatError("the body needs a salutation ('Dear ...,') and a closing")
    letter_date, place = None, ""
    for paragraph in head[:salutation]:
        found = LETTER_DATE.match(_strip_emphasis(paragraph))
        if found:
            letter_date = datetime.strptime(found.group(1), "%d %B %Y").date()
            place = _strip_emphasis(paragraph).split(",")[0]
    if letter_date is None:
        raise LetterFormatError("no dated place line ('Brussels, 20 March 2023') before the body")

    out = _Writer()
    for paragraph in head[: salutation + 1]:
        out.write(_strip_emphasis(paragraph) + "\n\n")

    # Body paragraphs: a paragraph not ending a sentence was cut by a page break: join it.
    joined: list[str] = []
    for paragraph in head[salutation + 1 : closing]:
        if joined and not _ends_sentence(_strip_emphasis(joined[-1])):
            joined[-1] = joined[-1] + " " + paragraph
        else:
            joined.append(paragraph)
    paragraphs: list[Paragraph] = []
    area: str | None = None
    area_span: Span | None = None
    for paragraph in joined:
        lead = AREA_LEAD.match(paragraph)
        clean = _strip_emphasis(paragraph)
        span = out.write(clean)
        out.write("\n\n")
        if lead:
            area = lead.group(1).rstrip(":").strip()
            area_span = Span(span.start, span.start + len(area))
        paragraphs.append(Paragraph(span, area, area_span))
    for paragraph in head[closing:]:
        out.write(_strip_emphasis(paragraph) + "\n\n")

    annex_title = ANNEX_HEADING.match(lines[annex_at])
    assert annex_title is not None
    title_span = out.write(annex_title.group(1).strip())
    out.write("\n\n")
    commitments, sections = _write_annex(out, _table_rows(lines[annex_at + 1 :]))
    text = out.text.rstrip() + "\n"
    return Letter(
        text=text,
        date=letter_date,
        place=place,
        annex_title=annex_title.group(1).strip(),
        annex_title_span=title_span,
        paragraphs=paragraphs,
        commitments=commitments,
        sections=sections,
    )


def _write_annex(out: _Writer, rows: list[_Row]) -> tuple[list[Commitment], list[Section]]:
    # First gather each commitment's left text and right entries across its rows.
    gathered: list[tuple[str, list[_Entry], list[_Entry]]] = []
    section_rows: list[tuple[str, list[tuple[_Block, list[_Block]]]]] = []
    for row in rows:
        if row.section is not None:
            section_rows.append((row.section, []))
            continue
        if section_rows:
            label = row.left[0] if row.left else _Block("text", [("", False)])
            section_rows[-1][1].append((label, row.right))
            continue
        if row.number is not None:
            gathered.append((row.number, [], []))
        elif not gathered:
            raise LetterFormatError("an annex row continues a commitment before the first one")
        _, left, right = gathered[-1]
        for block in row.left:
            _append_continuing(left, block, "bullet" if block.kind == "li" else "paragraph")
        _right_entries(right, row.right)

    commitments: list[Commitment] = []
    for number, left, right in gathered:
        out.write(f"{number}. ")
        start = out.length
        titles: list[Span] = []
        for i, entry in enumerate(left):
            if i:
                out.write("\n• " if entry.kind == "bullet" else "\n")
            _, bolds = out.write_runs(entry.runs)
            if i == 0:
                titles = bolds
        span = Span(start, out.length)
        out.write("\nFollow-up:\n")
        items = _write_items(out, right)
        out.write("\n")
        commitments.append(Commitment(number, span, titles, items))

    sections: list[Section] = []
    for title, groups in section_rows:
        title_span = out.write(title)
        out.write("\n")
        section = Section(title, title_span)
        for label, blocks in groups:
            out.write("- ")
            label_span, _ = out.write_runs(label.runs)
            out.write("\n")
            entries: list[_Entry] = []
            _right_entries(entries, blocks)
            section.groups.append((Item("heading", label_span), _write_items(out, entries)))
        out.write("\n")
        sections.append(section)
    return commitments, sections


def _write_items(out: _Writer, entries: list[_Entry]) -> list[Item]:
    items: list[Item] = []
    for entry in entries:
        if entry.kind == "bullet":
            out.write("• ")
        span, _ = out.write_runs(entry.runs)
        out.write("\n")
        items.append(Item(entry.kind, span, entry.parent))
    return items
