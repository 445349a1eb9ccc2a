"""Date phrases of the letter mapped to intervals, and the status of a step read against the
letter's own date.

Every phrase gets a closed interval [start, end]. Exact days and day ranges map to themselves; a
month maps to the whole month; vague phrases map to the best interval we can defend, always
documented here and in the README:

| phrase | interval |
| --- | --- |
| "by end March", "by the end of May", "by July", "by the end of 2023" | letter date .. end of that month/year |
| "mid-2023" | 1 June .. 31 July ("by mid-2023": letter date .. 31 July); "mid-April": 11 .. 20 April |
| "first half of 2023", "first quarter of 2023", "Q2 2023" | the half-year / quarter |
| "Spring", "Summer", "Autumn", "Winter" (meteorological seasons) | Mar-May, Jun-Aug, Sep-Nov, Dec-Feb; with "by": letter date .. season end |
| "in coming weeks" | letter date .. six weeks later |
| "soon" | letter date .. thirty days later |
| "next week" | the seven days after the letter's date |
| "this month", "last month", "later in the year", "last year" | the calendar month / rest of the year / year |
| "at the end of February" | the last ten days of that month |
| "in February and March" | the first day of the one to the last day of the other |
| "in 2023", "2023-2025", "until 2025" | the year(s); "until": letter date .. end of that year |
| "before the end of this legislature" | letter date .. 15 July 2024, the last day of the 2019-2024 European Parliament |
| "our next meeting" (of the European Council, ahead of which the letter is sent) | the day after the letter .. thirty days later |

A happening the letter tells without any date ("Borrell, Várhelyi and Johansson visited the Western
Balkans"; "next mission being planned") is still an event, with no date phrase: told as done, it
lies in the period the letter reports on, from the first day of the month before it (the last
European Council) to its date; told as to come, from its date to the end of its year.

A day or month without a year is in the letter's year (the contract: 2023) — unless the words
just before it report it as done ("adopted on 21 November", "signed on …") and that would put it
after the letter: then it is the year before (the EU Action Plan for the Central Mediterranean was
adopted on 21 November 2022).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
_MONTH = r"(January|February|March|April|June|July|August|September|October|November|December|(?<=\d )May|(?<=in )May|(?<=by )May|(?<=of )May)"
_YEAR = r"(?:\s+(\d{4}))?"
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 2)}


@dataclass(frozen=True)
class DateMention:
    start: int  # offsets into the text searched
    end: int
    phrase: str
    first: date
    last: date
    precision: str  # "day" | "month" | "vague"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(group: str | None, letter: date) -> int:
    return int(group) if group else letter.year


Handler = Callable[[re.Match[str], date], tuple[date, date, str]]


def _day_range(m: re.Match[str], d: date) -> tuple[date, date, str]:
    month, year = MONTHS[m.group(3)], _year(m.group(4), d)
    return date(year, month, int(m.group(1))), date(year, month, int(m.group(2))), "day"


def _day(m: re.Match[str], d: date) -> tuple[date, date, str]:
    day = date(_year(m.group(3), d), MONTHS[m.group(2)], int(m.group(1)))
    return day, day, "day"


def _month(m: re.Match[str], d: date) -> tuple[date, date, str]:
    year, month = _year(m.group(3), d), MONTHS[m.group(2)]
    if m.group(1):  # "by July"
        return d, _month_end(year, month), "vague"
    return date(year, month, 1), _month_end(year, month), "month"


def _by_end_month(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, _month_end(_year(m.group(2), d), MONTHS[m.group(1)]), "vague"


def _by_end_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, date(int(m.group(1)), 12, 31), "vague"


def _mid_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    year = int(m.group(2))
    if m.group(1):  # "by mid-2023": a deadline, from the letter's date
        return d, date(year, 7, 31), "vague"
    return date(year, 6, 1), date(year, 7, 31), "vague"


def _mid_month(m: re.Match[str], d: date) -> tuple[date, date, str]:
    month = MONTHS[m.group(1)]
    return date(d.year, month, 11), date(d.year, month, 20), "vague"


def _part_of_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    year = int(m.group(2))
    if m.group(1) == "half":
        return date(year, 1, 1), date(year, 6, 30), "vague"
    return date(year, 1, 1), date(year, 3, 31), "vague"


def _quarter(m: re.Match[str], d: date) -> tuple[date, date, str]:
    quarter, year = int(m.group(1)), int(m.group(2))
    first = date(year, 3 * quarter - 2, 1)
    return first, _month_end(year, 3 * quarter), "vague"


def _season(m: re.Match[str], d: date) -> tuple[date, date, str]:
    first_month, last_month = SEASONS[m.group(2).lower()]
    year = _year(m.group(3), d)
    first = date(year, first_month, 1)
    last = _month_end(year + (1 if last_month < first_month else 0), last_month)
    if m.group(1):  # "by autumn"
        return d, last, "vague"
    return first, last, "vague"


def _coming_weeks(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, d + timedelta(weeks=6), "vague"


def _soon(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, d + timedelta(days=30), "vague"


def _next_week(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d + timedelta(days=1), d + timedelta(days=7), "vague"


def _this_month(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d.replace(day=1), _month_end(d.year, d.month), "month"


def _last_month(m: re.Match[str], d: date) -> tuple[date, date, str]:
    last = d.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last, "month"


def _later_this_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, date(d.year, 12, 31), "vague"


def _month_last_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    year, month = d.year - 1, MONTHS[m.group(1)]
    return date(year, month, 1), _month_end(year, month), "month"


def _end_of_month(m: re.Match[str], d: date) -> tuple[date, date, str]:
    last = _month_end(_year(m.group(2), d), MONTHS[m.group(1)])
    return last - timedelta(days=9), last, "vague"


def _year_range(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31), "vague"


def _until_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, date(int(m.group(1)), 12, 31), "vague"


def _two_months(m: re.Match[str], d: date) -> tuple[date, date, str]:
    year = _year(m.group(3), d)
    return date(year, MONTHS[m.group(1)], 1), _month_end(year, MONTHS[m.group(2)]), "month"


def _legislature(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d, date(2024, 7, 15), "vague"


def _next_meeting(m: re.Match[str], d: date) -> tuple[date, date, str]:
    return d + timedelta(days=1), d + timedelta(days=30), "vague"


def undated(told_as_done: bool, letter: date) -> tuple[date, date]:
    """The interval of a happening told without a date (see the table above)."""
    if told_as_done:
        return (letter.replace(day=1) - timedelta(days=1)).replace(day=1), letter
    return letter, date(letter.year, 12, 31)


def _in_year(m: re.Match[str], d: date) -> tuple[date, date, str]:
    year = int(m.group(1))
    return date(year, 1, 1), date(year, 12, 31), "vague"


PATTERNS: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(r"\b(\d{1,2})\s*[-–]\s*(\d{1,2}) " + _MONTH + _YEAR + r"\b"), _day_range),
    (re.compile(r"\b(\d{1,2}) " + _MONTH + _YEAR + r"\b"), _day),
    (re.compile(r"\bby (?:the )?end(?: of)? " + _MONTH + _YEAR + r"\b"), _by_end_month),
    (re.compile(r"\bby the end of (\d{4})\b"), _by_end_year),
    (re.compile(r"\b(by )?mid-(\d{4})\b"), _mid_year),
    (re.compile(r"\bmid-" + _MONTH), _mid_month),
    (re.compile(r"\bfirst (half|quarter) of (\d{4})\b"), _part_of_year),
    (re.compile(r"\bQ([1-4]) (\d{4})\b"), _quarter),
    (re.compile(r"\b(by )?(spring|summer|autumn|winter)" + _YEAR + r"\b", re.I), _season),
    (re.compile(r"\b(?:in )?coming weeks\b"), _coming_weeks),
    (re.compile(r"\bsoon\b"), _soon),
    (re.compile(r"\bnext week\b"), _next_week),
    (re.compile(r"\bthis month\b"), _this_month),
    (re.compile(r"\blast month\b"), _last_month),
    (re.compile(r"\blater in the year\b"), _later_this_year),
    (re.compile(r"\bin " + _MONTH + r" last year\b"), _month_last_year),
    (re.compile(r"\b(?:at )?the end of " + _MONTH + _YEAR + r"\b"), _end_of_month),
    (re.compile(r"\b(\d{4})\s*[-–]\s*(\d{4})\b"), _year_range),
    (re.compile(r"\buntil (\d{4})\b"), _until_year),
    (re.compile(r"\b" + _MONTH + " and " + _MONTH + _YEAR + r"\b"), _two_months),
    (re.compile(r"\b(by )?" + _MONTH + _YEAR + r"\b"), _month),
    (re.compile(r"\bin (\d{4})\b"), _in_year),
    (re.compile(r"\bbefore the end of this legislature\b"), _legislature),
    (re.compile(r"\bour next meeting\b"), _next_meeting),
]


def find_dates(text: str, letter_date: date) -> list[DateMention]:
    """Every date phrase in `text`, leftmost-longest, not overlapping, in text order."""
    found: list[DateMention] = []
    for pattern, handler in PATTERNS:
        for m in pattern.finditer(text):
            first, last, precision = handler(m, letter_date)
            found.append(DateMention(m.start(), m.end(), m.group(0), first, last, precision))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    chosen: list[DateMention] = []
    for mention in found:
        if chosen and mention.start < chosen[-1].end:
            continue
        chosen.append(_past_if_reported_done(text, mention, letter_date))
    return chosen


_DONE_BEFORE = re.compile(
    r"\b(adopted|signed|held|concluded|launched|endorsed|published|took place)\s+(on|in)\s*$"
)


def _past_if_reported_done(text: str, mention: DateMention, letter_date: date) -> DateMention:
    if re.search(r"\d{4}", mention.phrase) or mention.first <= letter_date:
        return mention
    before = text[: mention.start]
    if mention.precision == "vague" or not _DONE_BEFORE.search(before):
        return mention
    if re.search(r"\b(to be|will be|shall be|would be)\s+\w+\s+(on|in)\s*$", before):
        return mention
    return DateMention(
        mention.start,
        mention.end,
        mention.phrase,
        mention.first.replace(year=mention.first.year - 1),
        mention.last.replace(year=mention.last.year - 1),
        mention.precision,
    )


COMPLETED_CUES = re.compile(
    r"\b(adopted|concluded|signed|took place|took stock|closed|launched and|became|"
    r"has been reached|have now taken place|published|held|met|endorsed|confirmed|"
    r"contracted|presented|relaunched|was launched|made\)|agreed|visited|assisted|"
    r"has been|have been|resulted|discussed|gathered|underlined|"
    r"(?:has|have) (?:\w+ly )?(?:\w+ed|brought|taken|shown|made|become))\b",
    re.I,
)
# what a clause's words say of its status (graph.facts reads each clause with these)
PLANNED_CUES = re.compile(
    r"\b(to be|will|shall|planned|planning|next(?!\s+(?:\w+\s+)?(?:years|months))|soon|upcoming|stands ready|to launch|to travel|"
    r"need to|to take place|would)\b",
    re.I,
)
ONGOING_CUES = re.compile(
    r"\b(underway|ongoing|being|in preparation|continues?|continuing|consolidation phase|"
    r"is advancing|(is|are) (?:also |by |now )?\w+ing|(?:has|have) (?:also )?been \w+ing|(?:has|have) (?:started|begun) \w+ing|latest|currently|"
    r"operational(?=:)|"
    r"now(?!\s+(?:been|taken|\w+ed)\b))\b",
    re.I,
)


def status_of(text: str, dates: list[DateMention], letter_date: date) -> str:
    """'Completed', 'Ongoing' or 'Planned', read from tense cues and the dates, as of the letter.

    A step whose dates all lie after the letter is planned; one whose words say it is under way
    is ongoing; a step that says it will happen is planned; one told in the past tense, or whose
    dates are all past, is completed.
    """
    if dates and all(d.first > letter_date for d in dates):
        return "Planned"
    if ONGOING_CUES.search(text):
        return "Ongoing"
    if PLANNED_CUES.search(text) or any(d.last > letter_date for d in dates):
        return "Planned"
    if COMPLETED_CUES.search(text) or (dates and all(d.last <= letter_date for d in dates)):
        return "Completed"
    return "Ongoing"


def status_of_interval(first: date, last: date, letter_date: date) -> str:
    """The status of a dated happening: past, running at the letter's date, or to come."""
    if last < letter_date:
        return "Completed"
    if first > letter_date:
        return "Planned"
    return "Ongoing"
