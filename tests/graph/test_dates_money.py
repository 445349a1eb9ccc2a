"""Date phrases to intervals and sums of money to euro, as documented in graph/dates.py and
graph/money.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from graph.dates import find_dates, status_of
from graph.money import find_amounts

LETTER = date(2023, 3, 20)


@pytest.mark.parametrize(
    ("text", "phrase", "first", "last"),
    [
        ("on 14 March", "14 March", "2023-03-14", "2023-03-14"),
        ("on 26-28 March", "26-28 March", "2023-03-26", "2023-03-28"),
        ("on 22-24 February", "22-24 February", "2023-02-22", "2023-02-24"),
        ("closed in January 2023", "January 2023", "2023-01-01", "2023-01-31"),
        ("concluded by end March", "by end March", "2023-03-20", "2023-03-31"),
        ("a call in mid-2023", "mid-2023", "2023-06-01", "2023-07-31"),
        ("round table (Q2 2023)", "Q2 2023", "2023-04-01", "2023-06-30"),
        ("in the first half of 2023", "first half of 2023", "2023-01-01", "2023-06-30"),
        ("Autumn: proposal", "Autumn", "2023-09-01", "2023-11-30"),
        ("by the end of 2023", "by the end of 2023", "2023-03-20", "2023-12-31"),
        ("delivered in coming weeks", "in coming weeks", "2023-03-20", "2023-05-01"),
        ("a visit in November last year", "in November last year", "2022-11-01", "2022-11-30"),
        ("for 2023-2025", "2023-2025", "2023-01-01", "2025-12-31"),
        ("by the end of May", "by the end of May", "2023-03-20", "2023-05-31"),
        ("at its Management Board next week", "next week", "2023-03-21", "2023-03-27"),
    ],
)
def test_phrase_to_interval(text: str, phrase: str, first: str, last: str) -> None:
    (found,) = find_dates(text, LETTER)
    assert (found.phrase, str(found.first), str(found.last)) == (phrase, first, last)


def test_may_the_verb_is_not_a_month() -> None:
    assert find_dates("this may help", LETTER) == []


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Commission Recommendation adopted on 14 March.", "Completed"),
        ("Programming of projects in all six countries underway.", "Ongoing"),
        ("Status Agreement enters into force on 1 April.", "Planned"),
        ("Actions to be launched in April 2023.", "Planned"),
    ],
)
def test_status(text: str, status: str) -> None:
    assert status_of(text, find_dates(text, LETTER), LETTER) == status


@pytest.mark.parametrize(
    ("text", "amount", "phrase", "qualifier"),
    [
        ("the EUR 600 million being", "600000000", "EUR 600 million", None),
        ("signed €624 million package", "624000000", "€624 million", None),
        ("at least EUR €480 million", "480000000", "EUR €480 million", "at least"),
        ("more than half a billion euros", "500000000", "half a billion euros", "more than"),
        ("€80 reserved", "80", "€80", None),
    ],
)
def test_amounts(text: str, amount: str, phrase: str, qualifier: str | None) -> None:
    (found,) = find_amounts(text)
    assert (found.amount, found.phrase, found.qualifier) == (Decimal(amount), phrase, qualifier)
