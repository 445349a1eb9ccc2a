"""Reading a question in plain words: which entities it names, what it asks for, when, and in
what state.

`QuestionReader(index).read("What involves Frontex in Serbia?", letter_date)` gives a `Reading`:

- **entities**: every name of the entity index found in the question, as a whole word, the
  longest first ("EU Asylum Agency" is not also "EU"), by label, alias, adjective, name in an EU
  language ("Serbien", "Türkei") or IRI. Case and diacritics do not count, except for acronyms
  ("EU", "SIS") and names in other languages of fewer than five letters ("Rat", "PE"), which
  match only as written. "EU" names the Union only as "the EU", and not as the question's
  subject ("EU funds", "the EU agencies", "what did the EU promise" name no one);
- **kind**: `money` ("how much", funding, EUR, budget …: sums, with a total), `events`
  (meetings, visits, missions, "when" …), `commitments` (promises, commitments), `actions`
  (steps, measures, follow-up), `actors` ("who", "which agencies/countries/Member States": the
  actors of what matches), else `everything`;
- **window**: a date phrase ("on 14 March 2023", "in April 2023", "mid-April", "in Q2", "by the
  end of 2023", "in autumn"; a day or month without a year is in the letter's year), read by
  `graph.dates`, after which "after", "since", "before" and "until" open one end: a resource is in
  the window when its dates lie within it;
- **status**: planned; done, completed, finished; ongoing, underway, in progress.

A question of which nothing could be read, or that names something close to a known name but
not it ("Serbja"), raises `UnreadableError` with what was read and suggestions.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from api.routers.involving import Entity, EntityIndex, Name
from graph.dates import find_dates
from graph.gazetteer import fold, name_key

MAX_QUESTION = 500
EMK = "https://w3id.org/eu-migration-kg/ontology#"

#: what each kind of question asks for: the kinds of resource it answers with
KINDS: dict[str, tuple[str, ...]] = {
    "money": ("funding",),
    "events": ("event",),
    "commitments": ("commitment",),
    "actions": ("action",),
    "actors": ("commitment", "action", "event", "funding"),
    "everything": ("commitment", "action", "event", "funding"),
}
#: the words that say what is asked for, strongest first
_KIND_WORDS: tuple[tuple[str, str], ...] = (
    (
        "actors",
        r"\bwho\b|\bwhom\b|\bwhich\s+(?:actors?|agenc(?:y|ies)|bod(?:y|ies)|"
        r"organi[sz]ations?|countr(?:y|ies)|member\s+states?|partners?|people|persons?|"
        r"commissioners?|institutions?)\b",
    ),
    (
        "money",
        r"\bhow\s+much\b|\bmoney\b|\bfund(?:s|ing|ed)?\b|\bfinanc\w*|\beur\b|\beuros?\b|€|"
        r"\bbudget\w*|\bmillions?\b|\bbillions?\b|\bsums?\b|\bamounts?\b|\bspen[dt]\w*|"
        r"\bcosts?\b|\bdisburse\w*|\bgrants?\b",
    ),
    (
        "commitments",
        r"\bpromis\w*|\bcommitments?\b|\bcommitted\b|\bcommit\b|\bpledged?\b",
    ),
    (
        "events",
        r"\bwhen\b|\bmeetings?\b|\bmet\b|\bmeet\b|\bvisit\w*|\bevents?\b|\bmissions?\b|"
        r"\btrips?\b|\btravel\w*|\bround\s*tables?\b|\bflights?\b|\bdates?\b",
    ),
    ("actions", r"\bactions?\b|\bsteps?\b|\bmeasures?\b|\bfollow[- ]?ups?\b"),
)
#: which actors "which …" asks for (entity types); "who" asks for any
_ACTOR_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"member\s+states?", ("MemberState",)),
    (r"countr(?:y|ies)|partners?", ("PartnerCountry", "MemberState")),
    (r"agenc(?:y|ies)|bod(?:y|ies)|organi[sz]ations?", ("Agency",)),
    (r"people|persons?|commissioners?", ("Person",)),
    (r"institutions?", ("Institution",)),
)
_STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("Ongoing", r"\bon-?going\b|\bunder\s*way\b|\bin\s+progress\b|\bcontinu\w*|\bbeing\s+\w+ed\b"),
    (
        "Completed",
        r"\bdone\b|\bcompleted?\b|\bfinished\b|\bachieved\b|\baccomplished\b|\balready\b",
    ),
    ("Planned", r"\bplann(?:ed|ing)\b|\bplans?\b|\bupcoming\b|\bscheduled\b|\bforeseen\b"),
)
_OPEN_AFTER = re.compile(r"\b(after|since|from)\s+(?:the\s+|in\s+)?$", re.IGNORECASE)
_OPEN_BEFORE = re.compile(
    r"\b(before|until|till|up\s+to|prior\s+to)\s+(?:the\s+|in\s+)?$", re.IGNORECASE
)
_QUARTER = re.compile(r"\b(Q[1-4])\b(?!\s*\d{4})", re.IGNORECASE)
_ORDINAL_QUARTER = re.compile(r"\b(first|second|third|fourth)\s+quarter\b(?!\s+of\s+\d{4})", re.I)
_BARE_MAY = re.compile(r"\b(after|before|since|until)\s+May\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_IRI = re.compile(r"https?://[^\s<>\"'{}|\\^`]+")
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][\w-]{2,}")
_EU_MODIFIED = re.compile(
    r"\s+(?:agenc(?:y|ies)|funds?|funding|money|level|experts?|support|budget|member|"
    r"countries|institutions|law|action)\b",
    re.IGNORECASE,
)
#: capitalised words a question may hold that are not names
_PLAIN_WORDS = frozenset(
    """what which who whom when where how why is are was were did does do has have had will
    would could can should show list tell give find any all the and or in on at for of to with
    by from after before since until between during about eur euro euros million billion
    january february march april may june july august september october november december
    spring summer autumn winter q1 q2 q3 q4 mid please money funding events commitments
    commitment actions action steps letter annex president""".split()  # noqa: SIM905
)
_ORDINALS = {"first": "Q1", "second": "Q2", "third": "Q3", "fourth": "Q4"}


class UnreadableError(Exception):
    """A question that cannot be answered as read: what was read, and what to try."""

    def __init__(self, reason: str, reading: Reading, suggestions: Sequence[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reading = reading
        self.suggestions = list(suggestions)


class BadQuestionError(ValueError):
    """A question refused before reading: empty, too long, control characters."""


@dataclass(frozen=True, slots=True)
class Found:
    entity: Entity
    how: str  # label, alias, name@de, adjective, iri
    words: str  # as written in the question

    def as_dict(self) -> dict[str, object]:
        return {"words": self.words, **self.entity.summary(), "matched": self.how}


@dataclass(frozen=True, slots=True)
class Window:
    words: str
    start: dt.date | None  # a resource must start on or after it
    end: dt.date | None  # and end on or before it

    def as_dict(self) -> dict[str, object]:
        return {
            "words": self.words,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


@dataclass
class Reading:
    question: str
    entities: list[Found] = field(default_factory=list)
    kind: str = "everything"
    kind_words: str | None = None
    actor_types: tuple[str, ...] = ()
    actors_of: str | None = None  # "who met …": the actors of the events only
    window: Window | None = None
    status: str | None = None
    status_words: str | None = None
    unread: list[str] = field(default_factory=list)

    @property
    def resource_kinds(self) -> tuple[str, ...]:
        return KINDS[self.actors_of or self.kind]

    @property
    def status_iri(self) -> str | None:
        return EMK + self.status if self.status else None

    @property
    def understood(self) -> bool:
        return bool(self.entities or self.window or self.status or self.kind != "everything")

    def as_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "entities": [found.as_dict() for found in self.entities],
            "kind": self.kind,
            "kindWords": self.kind_words,
            "actorTypes": list(self.actor_types),
            "actorsOf": self.actors_of,
            "resources": list(self.resource_kinds),
            "window": self.window.as_dict() if self.window else None,
            "status": self.status,
            "statusWords": self.status_words,
            "unread": self.unread,
        }


def check_question(text: str) -> str:
    """The question, stripped; BadQuestionError when it is empty, too long or holds control
    characters."""
    if len(text) > MAX_QUESTION:
        raise BadQuestionError(f"a question is at most {MAX_QUESTION} characters")
    if any(unicodedata.category(char) in ("Cc", "Cs") and char not in "\t\n" for char in text):
        raise BadQuestionError("a question cannot hold control characters")
    question = " ".join(text.split())
    if not question:
        raise BadQuestionError("ask a question: /ask?q=What involves Frontex in Serbia?")
    return question


class QuestionReader:
    """Reads questions against one entity index (one graph version)."""

    def __init__(self, index: EntityIndex) -> None:
        self.index = index
        exact: dict[str, list[Name]] = {}  # names matched as written (acronyms, short foreign)
        loose: dict[str, list[Name]] = {}  # names matched without regard to case
        for names in index.names.values():
            for name in names:
                if _as_written(name):
                    exact.setdefault(fold(name.name), []).append(name)
                else:
                    loose.setdefault(name_key(name.name), []).append(name)
        self.exact, self.loose = exact, loose
        patterns = [(len(n), _pattern(n, True)) for n in exact] + [
            (len(n), _pattern(n, False)) for n in loose
        ]
        patterns.sort(key=lambda item: -item[0])
        alternatives = "|".join(pattern for _, pattern in patterns)
        self.pattern = re.compile(rf"(?<![\w@/])(?:{alternatives})(?![\w@])")

    # ------------------------------------------------------------------ the parts

    def read(self, question: str, letter_date: dt.date) -> Reading:
        """How the question reads; raises UnreadableError when nothing useful could be read."""
        reading = Reading(question)
        rest = self._read_entities(question, reading)
        rest = self._read_window(rest, reading, letter_date)
        self._read_kind(rest, reading)
        self._read_status(rest, reading)
        near = self._read_unknown_names(rest, reading)
        if near:
            raise UnreadableError(
                "the question names something unknown: " + ", ".join(repr(w) for w in near),
                reading,
                self._suggestions(near),
            )
        if not reading.understood:
            raise UnreadableError(
                "nothing in the question names an entity, a time, a status or what is asked for",
                reading,
                EXAMPLES,
            )
        return reading

    def _read_entities(self, question: str, reading: Reading) -> str:
        """Finds the entities; returns the question with their words blanked out."""
        chars = list(question)
        spans: list[tuple[int, int]] = []
        for m in _IRI.finditer(question):
            iri = m.group(0).rstrip(".,;:?!)")
            entity = self.index.entities.get(iri)
            if entity is not None:
                self._add(reading, Found(entity, "iri", iri))
            else:
                reading.unread.append(iri)
            spans.append((m.start(), m.start() + len(iri)))
        searched = fold(question)
        for start, end in spans:
            searched = searched[:start] + " " * (end - start) + searched[end:]
        for m in self.pattern.finditer(searched):
            words = question[m.start() : m.end()]
            names = self.exact.get(fold(words)) or self.loose.get(name_key(words)) or []
            if not names:
                continue
            chosen = EntityIndex.best(names)
            if _is_modifier_eu(chosen[0], question, m.start(), m.end()):
                continue
            if len(chosen) > 1:
                candidates = [f"{self.index.entities[n.iri].label} ({n.iri})" for n in chosen]
                raise UnreadableError(
                    f"{words!r} names several entities: ask again with one of their IRIs",
                    reading,
                    candidates,
                )
            named = chosen[0]
            self._add(reading, Found(self.index.entities[named.iri], named.how, words))
            spans.append((m.start(), m.end()))
        for start, end in spans:
            chars[start:end] = " " * (end - start)
        return "".join(chars)

    @staticmethod
    def _add(reading: Reading, found: Found) -> None:
        if all(f.entity.iri != found.entity.iri for f in reading.entities):
            reading.entities.append(found)

    @staticmethod
    def _read_window(text: str, reading: Reading, letter_date: dt.date) -> str:
        year = str(letter_date.year)
        searched = _QUARTER.sub(lambda m: f"{m.group(1).upper()} {year}", text)
        searched = _ORDINAL_QUARTER.sub(
            lambda m: f"{_ORDINALS[m.group(1).lower()]} {year}", searched
        )
        searched = _BARE_MAY.sub(lambda m: f"{m.group(1)} in May", searched)
        searched = _ISO_DATE.sub(_spelled_date, searched)
        mentions = find_dates(searched, letter_date)
        if not mentions:
            return text
        mention = mentions[0]
        before_words = searched[: mention.start]
        start: dt.date | None = mention.first
        end: dt.date | None = mention.last
        prefix = ""
        if m := _OPEN_AFTER.search(before_words):
            prefix = m.group(0)
            start, end = (
                (mention.last + dt.timedelta(days=1), None)
                if m.group(1).lower() == "after"
                else (mention.first, None)
            )
        elif m := _OPEN_BEFORE.search(before_words):
            prefix = m.group(0)
            start, end = (
                (None, mention.first - dt.timedelta(days=1))
                if m.group(1).lower() in ("before", "prior to")
                else (None, mention.last)
            )
        elif re.search(
            r"\bby\s+$", before_words, re.IGNORECASE
        ) or mention.phrase.lower().startswith("by "):
            # "by end March", "by July": from the letter's date to then (graph.dates)
            prefix = "by " if not mention.phrase.lower().startswith("by ") else ""
            end = mention.last
            start = min(letter_date, mention.first)
        words = (prefix + mention.phrase).strip()
        reading.window = Window(words, start, end)
        # the window's words are not read again (as a kind or a name)
        cut_from = mention.start - len(prefix)
        if len(searched) == len(text):
            return text[:cut_from] + " " * (mention.end - cut_from) + text[mention.end :]
        return searched[:cut_from] + " " * (mention.end - cut_from) + searched[mention.end :]

    @staticmethod
    def _read_kind(text: str, reading: Reading) -> None:
        for kind, pattern in _KIND_WORDS:
            m = re.search(pattern, text, re.IGNORECASE)
            if m is None:
                continue
            reading.kind = kind
            reading.kind_words = m.group(0)
            if kind == "actors":
                for words, types in _ACTOR_TYPES:
                    if re.search(words, m.group(0), re.IGNORECASE):
                        reading.actor_types = types
                        break
                # "who met …", "who promised …": the actors of the events or commitments only
                for other, other_pattern in _KIND_WORDS[1:]:
                    found = re.search(other_pattern, text, re.IGNORECASE)
                    if found is not None:
                        reading.actors_of = other
                        reading.kind_words += ", " + found.group(0)
                        break
            return

    @staticmethod
    def _read_status(text: str, reading: Reading) -> None:
        for status, pattern in _STATUS_WORDS:
            m = re.search(pattern, text, re.IGNORECASE)
            if m is not None:
                reading.status = status
                reading.status_words = m.group(0)
                return

    def _read_unknown_names(self, text: str, reading: Reading) -> list[str]:
        """Capitalised words that are not names: those close to a known name are returned (the
        question probably misspells it), the others noted as unread."""
        near: list[str] = []
        first = True
        for m in _CAPITALISED.finditer(text):
            word = m.group(0)
            sentence_start = first or bool(re.search(r"[.?!:]\s*$", text[: m.start()]))
            first = False
            if word.lower() in _PLAIN_WORDS or (sentence_start and _is_plain(word)):
                continue
            key = name_key(word)
            if difflib.get_close_matches(key, list(self.index.names), n=1, cutoff=0.8):
                near.append(word)
            else:
                reading.unread.append(word)
        return near

    def _suggestions(self, words: Sequence[str]) -> list[str]:
        suggestions: list[str] = []
        for word in words:
            for hit in self.index.suggest(name_key(word)):
                label = str(hit["label"])
                if label not in suggestions:
                    suggestions.append(label)
        return suggestions


EXAMPLES = (
    "What involves Frontex in Serbia?",
    "How much money goes to Morocco?",
    "Which events take place in April 2023?",
    "What is planned for Tunisia?",
    "Who visited the Western Balkans?",
)


def _as_written(name: Name) -> bool:
    """Acronyms, and names in other languages of fewer than five letters, match only as
    written: "Rat" (the Council in German) is not the word "rat"."""
    text = name.name
    if text.upper() == text and any(char.isalpha() for char in text):
        return True
    return name.language not in ("", "en") and len(name_key(text)) < 5


def _pattern(name: str, as_written: bool) -> str:
    escaped = re.escape(name).replace(r"\ ", r"\s+")
    return escaped if as_written else f"(?i:{escaped})"


def _is_modifier_eu(name: Name, question: str, start: int, end: int) -> bool:
    """'EU' as a modifier ('EU funds', 'the EU agencies') names no one, nor 'the EU' as the
    question's own subject ('what did the EU promise …': the letter is the EU's); 'the EU' as
    an object does ('what involves the EU', 'with the EU')."""
    if fold(name.name) != "EU":
        return False
    before = question[:start]
    if not re.search(r"\bthe\s+$", before, re.IGNORECASE):
        return True
    if re.search(r"\b(?:did|does|do|will|has|have|is|can|should|would)\s+the\s+$", before, re.I):
        return True
    return bool(_EU_MODIFIED.match(question[end:]))


def _is_plain(word: str) -> bool:
    return word.lower() in _PLAIN_WORDS or len(word) <= 3


def _spelled_date(m: re.Match[str]) -> str:
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return m.group(0)
    return f"{day.day} {day:%B} {day.year}"


__all__ = [
    "EXAMPLES",
    "KINDS",
    "MAX_QUESTION",
    "BadQuestionError",
    "Found",
    "QuestionReader",
    "Reading",
    "UnreadableError",
    "Window",
    "check_question",
]
