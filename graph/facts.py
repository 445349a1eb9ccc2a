"""Facts: what one clause reports — a happening, a sum, a count or a step — with its own
participants, places, date and status.

A unit of the letter (an annex bullet, a sentence of the body) is cut into clauses
(`graph.clauses`); each clause is read on its own:

- every date phrase that dates a happening gives an **event** (a date inside a sum's clause is the
  sum's period, unless a verb of its own dates it: "signed March 2023", "for adoption by July");
  several dates in one clause give several events, each with the words up to its date;
- every amount of money gives a **sum**; "including €X", "of which", "(first €X disbursement"
  make it part of the amount before it;
- the clause's tense gives its **status** (or none, for a noun phrase that says nothing of it).

Roles are read from the words, not from co-occurrence (FACTS.md, "Reading roles"): people,
bodies and countries named are participants, nationality adjectives name people ("Italian and
French Ministers" take part, Italy and France are not the place) unless they qualify a border
("Bulgarian-Turkish border" is a place); "EU" is an actor only as the subject or agent of a verb
("The EU will provide", "by the EU"), never as an adjective ("EU funds", "EU law"); countries and
regions named are places. A heading ("Pakistan:") gives its places to every clause that names
none of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from graph.clauses import clauses, heading, trim
from graph.dates import (
    COMPLETED_CUES,
    ONGOING_CUES,
    PLANNED_CUES,
    DateMention,
    find_dates,
    status_of_interval,
    undated,
)
from graph.gazetteer import Entity, Matcher, Mention
from graph.letter import Span
from graph.money import MoneyMention, find_amounts

EU_ACTOR_AFTER = re.compile(
    r"^\s+(will|should|shall|has|have|is|are|provides?|supports?|must|can|stands)\b"
)
BORDER_AFTER = re.compile(r"^(-\w+)*\s*(land |sea )?borders?\b|^-")
DEPENDENT = re.compile(
    r"^(following|with|offering|including|leading|identifying|supporting|made|as|while|"
    r"combined|building|stepping|to)\b"
)
RELATIVE = re.compile(r"\s(?:which|who|that)\s")
BESIDE_BEFORE = re.compile(r"\b(on top of|in addition to)\b[\w\s]*$", re.I)
PART_BEFORE = re.compile(r"(including|of which|first)\s*$|\(first\s*$", re.I)
# a clause that deals with a country as a counterpart: it takes part, not only where things are
COUNTERPART = re.compile(
    r"\b(agreements?|negotiat\w*|dialogue|round table|visit\w*|mission|met|meeting|talks|"
    r"returns?|return flight|readmission|partnership|confirmed|engagement|transfers?|"
    r"exchange of letters|joint statement)\b",
    re.I,
)
# names listed before the one read ("Germany, France, Croatia, Romania and ")
LISTED_BEFORE = re.compile(
    r"(?:(?:the\s+)?[A-Z][\w-]*(?:\s+(?:and\s+)?[A-Z][\w-]*)*(?:,\s*(?:and\s+)?|\s+and\s+))+$"
)
# a statement of purpose: who is named in it is what it is for
PURPOSE = re.compile(r"\bto (support|identify|ensure|help)\b[^;:]*$")
BORDER_OF = re.compile(r"\bborders? (of|with|between) [^;:.]{0,60}$")
# a visit or a mission the clause is about (not "underlined in Commission visits")
UNDATED_HAPPENING = re.compile(
    r"\b(visited|visiting|will visit|(?:next|a|the) (?:\w+ )?(?:visit|mission))\b"
)
COUNTED = re.compile(r"(?:two|three|four|five|six|seven|eight|nine|ten|\d+) \w", re.I)
INFINITIVE = re.compile(r"to be|need to|to launch|to travel|to take place", re.I)
# words that point back at countries named before ("in all six countries")
THOSE_COUNTRIES = re.compile(r"\b(?:all|these|those|the) (?:\w+ )?countries\b")
# words that point back at the items listed before ("these pilot projects")
THESE_ITEMS = re.compile(r"\b(?:these|those) (?:\w+ )?(?:projects|schemes|pilots|agreements)\b")
HAPPENING = re.compile(r"\b(signed|adopted|adoption|launched|contracted|disbursed|met|visit\w*)\b")


@dataclass
class Roles:
    involves: list[Entity] = field(default_factory=list)
    places: list[Entity] = field(default_factory=list)
    refers: list[Entity] = field(default_factory=list)

    def add(self, other: Roles) -> None:
        for mine, theirs in (
            (self.involves, other.involves),
            (self.places, other.places),
            (self.refers, other.refers),
        ):
            for entity in theirs:
                if entity not in mine:
                    mine.append(entity)


@dataclass
class Fact:
    kind: str  # "event" | "sum"
    span: Span  # its words: the clause, or the part of it up to its date
    clause: Span
    roles: Roles
    date: DateMention | None = None  # events: the date phrase that dates it
    dates: list[DateMention] = field(default_factory=list)  # sums: the period
    amount: MoneyMention | None = None
    part_of: MoneyMention | None = None  # sums: the amount it is part of
    beside: bool = False  # sums: a part, or the ground of another; no actors of its own
    gist: str | None = None  # events: its words, where its own are only a name ("and Tunisia")
    status: str | None = None


@dataclass
class Clause:
    span: Span
    roles: Roles
    status: str | None  # None: the clause does not say (a bare noun phrase)
    facts: list[Fact]
    dates: list[DateMention] = field(default_factory=list)  # every date phrase in it
    own_places: list[Entity] = field(default_factory=list)  # the places its own words name


@dataclass
class Unit:
    """A bullet or a sentence, read: its heading, its clauses and what they report."""

    span: Span
    heading: Span | None
    heading_roles: Roles
    clauses: list[Clause]
    heading_status: str | None = None  # "ASOPs in consolidation phase": what the heading says
    first_place: Roles | None = None  # the first place it names, for the sentence after it

    @property
    def facts(self) -> list[Fact]:
        return [f for c in self.clauses for f in c.facts]

    def roles(self) -> Roles:
        out = Roles()
        out.add(self.heading_roles)
        for clause in self.clauses:
            out.add(clause.roles)
        return out

    @property
    def place(self) -> str | None:
        """The first place its heading names ("Pakistan"), for labels."""
        return self.heading_roles.places[0].label if self.heading_roles.places else None

    def statuses(self) -> list[str]:
        """What its clauses and facts say of their status (a noun phrase says nothing)."""
        heading = [self.heading_status] if self.heading_status else []
        return (
            heading
            + [c.status for c in self.clauses if c.status]
            + [f.status for f in self.facts if f.status]
        )


def aggregate_status(said: list[str]) -> str | None:
    """Completed if all its facts are done, Planned if all are ahead, else Ongoing."""
    if not said:
        return None
    if all(s == "Completed" for s in said):
        return "Completed"
    if all(s == "Planned" for s in said):
        return "Planned"
    return "Ongoing"


def roles(text: str, mentions: list[Mention]) -> Roles:
    """Who takes part and where, from the mentions of one clause and the words around them."""
    out = Roles()
    counterpart = bool(COUNTERPART.search(text))
    for mention in mentions:
        entity = mention.entity
        if _aside(text, mention) and entity.type != "Policy":
            continue  # "(including Cyprus first reception)": an example, not who or where
        after = text[mention.end : mention.end + 40]
        before = text[max(0, mention.start - 10) : mention.start]
        if entity.type == "Policy":
            _add(out.refers, entity)
        elif entity.type == "Region":
            _add(out.places, entity)
        elif entity.key == "institution/european-union" and not (
            EU_ACTOR_AFTER.match(after) or before.endswith("by the ")
        ):
            continue  # "EU funds", "EU law": an adjective, not an actor
        elif entity.is_place:  # a country
            if mention.by_adjective:
                if BORDER_AFTER.match(after):
                    _add(out.places, entity)
                else:
                    _add(out.involves, entity)
            else:
                if not _only_where(text, mention, counterpart):
                    _add(out.involves, entity)
                _add(out.places, entity)
        elif not _beneficiary(text, mention):
            _add(out.involves, entity)
    return out


def _aside(text: str, mention: Mention) -> bool:
    """Named in a parenthesis or a dash-delimited aside ('– based on the improvements identified
    by the Commission –'): a gloss on the step, not one who takes part in it."""
    before = text[: mention.start]
    return before.count("(") > before.count(")") or before.count(" – ") % 2 == 1


def _governing(before: str) -> str:
    """The word that governs a name, past the names listed before it: 'to' in 'transfers took
    place to Germany, France, ...', 'with' in 'its borders with Hungary and '."""
    listed = LISTED_BEFORE.search(before)
    rest = before[: listed.start()] if listed else before
    words = re.findall(r"[\w'-]+", rest[-40:])
    return " ".join(words[-2:]).lower()


def _only_where(text: str, mention: Mention, counterpart: bool) -> bool:
    """A country that is only where something happens or what it is for: a border 'with Hungary
    and Bulgaria', support 'for Egypt', vessels 'to Libya', 'Tunisia's coastal surveillance',
    a purpose 'to support ... Serbia' — unless the clause deals with it as a counterpart (an
    agreement, a negotiation, a visit, a dialogue, returns to it)."""
    before = text[max(0, mention.start - 120) : mention.start]
    governing = _governing(before)
    if re.search(r"\bborders?\s+(with|between|of)$|\bborders?\s+of\s+[\w\s,]*$", governing):
        return True
    if BORDER_OF.search(before) or re.search(r"\b(out of|across|along)$", governing):
        return True
    if counterpart or governing.endswith("with"):
        return False
    return (
        text.startswith("'s", mention.end)
        or bool(re.search(r"\b(for|to|in|at|of|on)$", governing))
        or bool(PURPOSE.search(before))
    )


def _beneficiary(text: str, mention: Mention) -> bool:
    """A body that only receives: 'support Member States', 'assistance to Member States', 'in
    all Member States', 'needs of Member States', or one named in a statement of purpose ('to
    support the application of these concepts by the Member States')."""
    if mention.entity.key != "institution/member-states":
        return False
    before = text[max(0, mention.start - 120) : mention.start]
    governing = _governing(before)
    if re.match(r"\s[a-z]", text[mention.end : mention.end + 2]) and not text[
        mention.start : mention.end
    ].endswith("s"):
        return True  # "Member State experts": an adjective
    return bool(
        re.search(r"\b(to|in|of|a)(\s(all|specific|the|concerned))?$", governing)
        or re.search(r"\b(all|specific)$", governing)
        or PURPOSE.search(before)
    )


def _add(items: list[Entity], entity: Entity) -> None:
    if entity not in items:
        items.append(entity)


def clause_status(words: str, dates: list[DateMention], letter: date) -> str | None:
    """The status a clause states, by its tense first, then by its dates; None if it says
    nothing (a noun phrase without a verb or a date). A relative clause describes a thing, not
    the step: "confirmed its commitment to ... a new status agreement which will allow ..." is
    done."""
    words = RELATIVE.split(words, maxsplit=1)[0]
    if re.search(r"\bbeing planned\b", words):
        return "Planned"  # "next mission being planned": what is planned is ahead
    if ONGOING_CUES.search(words):
        return "Ongoing"
    planned = PLANNED_CUES.search(words)
    if planned:
        done = COMPLETED_CUES.search(words, planned.end() + 2)  # not "to be confirmed"
        if done and INFINITIVE.match(planned.group(0)):
            # "call for equipment to be put at the disposal of Frontex closed in January",
            # "Need to launch formal negotiations ... underlined in Commission visits": the
            # infinitive belongs to the thing named; the verb after it tells the step
            return "Completed"
        return "Planned"
    if COMPLETED_CUES.search(words):
        return "Completed"
    if dates:
        return status_of_interval(min(d.first for d in dates), max(d.last for d in dates), letter)
    return None


def event_status(words: str, mention: DateMention, letter: date) -> str:
    """A dated happening: done if its dates are past, ahead if they are to come; a date that
    spans the letter's is read by the tense."""
    if mention.last < letter:
        return "Completed"
    if mention.first > letter or mention.phrase.startswith(("by ", "before ")):
        return "Planned"  # to come, or a deadline ahead ("by end March")
    said = clause_status(words, [], letter)
    if said is None and COUNTED.match(words):
        return (
            "Completed"  # "Three joint return operations in February and March": counted, so held
        )
    return said or status_of_interval(mention.first, mention.last, letter)


def _shift_date(d: DateMention, offset: int) -> DateMention:
    return DateMention(d.start + offset, d.end + offset, d.phrase, d.first, d.last, d.precision)


def _shift_money(m: MoneyMention, offset: int) -> MoneyMention:
    return MoneyMention(m.start + offset, m.end + offset, m.phrase, m.amount, m.qualifier)


def read_unit(
    text: str,
    span: Span,
    letter: date,
    matcher: Matcher,
    with_heading: bool = True,
    context: Roles | None = None,
    carried: Roles | None = None,
) -> Unit:
    """A bullet or sentence, read clause by clause; `context` stands for a heading the span
    lies under (a further sentence of a bullet); `carried` for the place the sentence before
    it named (a paragraph of the body keeps to its country: "Reinforced cooperation with
    Bangladesh ... Further engagement, including a visit by Commissioner Johansson ...")."""
    head = heading(text, span) if with_heading else None
    head_roles = context or Roles()
    body = span
    if head is not None:
        head_text = text[head.start : head.end]
        head_roles = roles(head_text, matcher.find(head_text))
        rest = text[head.end : span.end]
        body = Span(head.end + len(rest) - len(rest.lstrip(": ")), span.end)
    read: list[Clause] = []
    spans = clauses(text, body, letter)
    # the first place the unit names, as it is named there, belongs to its clauses that name
    # none ("Following first delivery in February, two more boats to be delivered to Libya")
    first_place: Roles | None = None
    for c in spans:
        named = roles(text[c.start : c.end], matcher.find(text[c.start : c.end]))
        if named.places:
            first = named.places[0]
            first_place = Roles([first] if first in named.involves else [], [first], [])
            break
    for c in spans:
        clause = read_clause(text, c, letter, matcher, head_roles, first_place or carried)
        if read and not _actors(clause.roles) and dependent(text[c.start : c.end]):
            # "..., following discussions in its Management Board this month": a dependent
            # clause without actors of its own is done by the subject of the one before
            subject = Roles(_actors(read[-1].roles), [], [])
            clause.roles.add(subject)
            for fact in clause.facts:
                if not _actors(fact.roles) and not fact.beside:
                    fact.roles.add(subject)
        read.append(clause)
    head_status = clause_status(text[head.start : head.end], [], letter) if head else None
    return Unit(span, head, head_roles, read, head_status, first_place)


def dependent(words: str) -> bool:
    """A clause without a subject of its own: 'following ...', 'with ...', or one that opens
    with its verb ('signed €624 million package ...')."""
    first = words.split(" ", 1)[0]
    return bool(DEPENDENT.match(words)) or (first.endswith("ed") and first.islower())


def _actors(roles: Roles) -> list[Entity]:
    return [e for e in roles.involves if not e.is_place]


def read_clause(
    text: str,
    span: Span,
    letter: date,
    matcher: Matcher,
    context: Roles | None = None,
    carried: Roles | None = None,
) -> Clause:
    """One clause: its facts and roles. `context` (a heading's roles) belongs to every fact of
    the unit; `carried` (the place an earlier clause of the unit named) to a clause that names
    no place of its own ("...with the government of Bulgaria ...; exchange of letters ...
    published on 20 March")."""
    words = text[span.start : span.end]
    mentions = matcher.find(words)
    clause_roles = roles(words, mentions)
    own_places = list(clause_roles.places)
    if carried is not None and carried.involves and not COUNTERPART.search(words):
        # "..., deployment of Frontex Standing Corps mid-April": the country is where, not who
        carried = Roles([], list(carried.places), [])
    clause_roles = _in_context(clause_roles, context, carried)
    dates = [_shift_date(d, span.start) for d in find_dates(words, letter)]
    amounts = [_shift_money(a, span.start) for a in find_amounts(words)]
    facts: list[Fact] = []

    # in a clause with a sum, a date is the sum's period ("in 2023", "until 2025") unless the
    # clause reports a happening on it ("On 1 March, ... signed", "for adoption by July")
    happening = bool(HAPPENING.search(words))
    event_dates = [
        d
        for d in dates
        if not amounts
        or (happening and (d.precision in ("day", "month") or d.phrase.startswith("by ")))
    ]
    subject_end = event_dates[0].start if event_dates else span.end
    subject = [m for m in mentions if m.start + span.start < subject_end and not m.entity.is_place]
    for i, d in enumerate(event_dates):
        start = span.start if i == 0 else _close_paren(text, event_dates[i - 1].end, span.end)
        end = span.end if i == len(event_dates) - 1 else _close_paren(text, d.end, span.end)
        if len(event_dates) == 1:
            fact_roles = clause_roles
        else:
            own = [m for m in mentions if start <= m.start + span.start < end]
            has_actor = any(not m.entity.is_place and m.entity.type != "Policy" for m in own)
            fact_roles = roles(words, own if has_actor else _unique(subject + own))
            if not fact_roles.places:  # "Following first delivery in February, ... to Libya"
                fact_roles.places.extend(clause_roles.places)
            fact_roles = _in_context(fact_roles, context, None)
        segment = trim(text, Span(start, end), " ,;:(", " ,;:.")
        facts.append(
            Fact(
                "event",
                segment,
                span,
                fact_roles,
                date=d,
                status=event_status(text[segment.start : segment.end], d, letter),
                gist=_gist(text, span, event_dates, mentions, start, end) if i else None,
            )
        )

    if not event_dates and not amounts and UNDATED_HAPPENING.search(words):
        # "Borrell, Várhelyi and Johansson visited the Western Balkans", "next mission being
        # planned": a happening without a date is an event all the same
        said = clause_status(words, [], letter)
        if said in ("Completed", "Planned"):
            first, last = undated(said == "Completed", letter)
            when = DateMention(span.start, span.start, "", first, last, "undated")
            facts.append(Fact("event", span, span, clause_roles, date=when, status=said))

    sum_dates = [d for d in dates if d not in event_dates]
    previous: MoneyMention | None = None
    for amount in amounts:
        before = text[max(span.start, amount.start - 12) : amount.start]
        wider = text[max(span.start, amount.start - 40) : amount.start]
        part = bool(PART_BEFORE.search(before))
        part_of = previous if previous is not None and part else None
        # a part of a sum ("including €152 million ..."), or a sum told as the ground of
        # another ("on top of the already committed EUR 208 million"), is where its whole is;
        # who signed or gave the whole is told of the whole
        beside = part or bool(BESIDE_BEFORE.search(wider))
        sum_roles = Roles([], list(clause_roles.places), []) if beside else clause_roles
        facts.append(
            Fact(
                "sum",
                span,
                span,
                sum_roles,
                dates=sum_dates,
                amount=amount,
                part_of=part_of,
                beside=beside,
            )
        )
        previous = amount
    status = clause_status(words, dates, letter)
    return Clause(span, clause_roles, status, facts, dates, own_places)


def _in_context(own: Roles, context: Roles | None, carried: Roles | None) -> Roles:
    out = Roles()
    if context is not None:
        out.add(Roles(list(context.involves), list(context.places), list(context.refers)))
    located = any(e.located_in for e in own.refers)  # "the EU-Turkey Statement" is in Türkiye
    if carried is not None and not own.places and not located:
        out.add(carried)
    out.add(own)
    return out


def _gist(
    text: str, span: Span, dates: list[DateMention], mentions: list[Mention], start: int, end: int
) -> str | None:
    """What a later date of a clause dates, where its own words are only a name: in "ASOP
    partnerships to be launched with Egypt (March) and Tunisia (April)", 'and Tunisia' stands
    for 'ASOP partnerships to be launched with Tunisia'."""
    own = [m for m in mentions if start <= m.start + span.start < end and m.entity.is_place]
    words = text[start:end]
    for d in dates:
        if start <= d.start < end:
            words = words.replace(d.phrase, " ")
    for m in own:
        words = words.replace(text[span.start + m.start : span.start + m.end], " ")
    if not own or re.sub(r"\band\b|[^\w]", "", words):
        return None
    first = text[span.start : dates[0].start].rstrip(" (")
    named = [m for m in mentions if m.start + span.start < dates[0].start and m.entity.is_place]
    if not named:
        return None
    last = named[-1]
    name = text[span.start + own[0].start : span.start + own[0].end]
    at, until = last.start, last.end  # offsets within the clause's words
    return first[:at] + name + first[until:]


def _close_paren(text: str, at: int, limit: int) -> int:
    """Past a ')' that closes right after a date ('(27-28 February)')."""
    return at + 1 if at < limit and text[at] == ")" else at


def _unique(mentions: list[Mention]) -> list[Mention]:
    seen: set[tuple[int, int]] = set()
    out = []
    for m in mentions:
        if (m.start, m.end) not in seen:
            seen.add((m.start, m.end))
            out.append(m)
    return out
