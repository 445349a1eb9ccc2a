"""The letter's parser: the annex table rebuilt with no word lost, doubled or misplaced."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from pathlib import Path

import pytest

from graph.letter import LetterFormatError, read_letter

LETTER = Path(__file__).resolve().parents[2] / "sources" / "letter-2023-03-20.txt"
RAW = LETTER.read_text(encoding="utf-8")
L = read_letter(RAW)


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[\w€%'’-]*\w[\w€%'’-]*", text))


def test_no_word_lost_or_duplicated() -> None:
    source = re.sub(r"<[^>]+>", " ", RAW)
    source = unescape(source).replace("*", "")
    source = source.replace("President's letter/EUCO conclusions\tFollow-up", " ")
    source = re.sub(r"(?m)^(\./\.\.|Commission européenne/Europese Commissie.*|## )", " ", source)
    source = source.replace("•", " ").replace("\n- ", " ").replace(">- ", "> ")
    clean = L.text.replace("•", " ").replace("Follow-up:\n", " ").replace("\n- ", " ")
    missing = words(source) - words(clean)
    extra = words(clean) - words(source)
    assert not missing, missing
    assert not extra, extra


def test_letter_date_and_place() -> None:
    assert str(L.date) == "2023-03-20"
    assert L.place == "Brussels"


def test_fifteen_commitments_in_order() -> None:
    assert [c.number for c in L.commitments] == [str(n) for n in range(1, 16)]


@pytest.mark.parametrize(
    ("number", "title"),
    [
        ("1", "Strengthening key external borders through targeted Union measures"),
        ("2", "Reinforced border management in partner countries"),
        ("9", "implementation of the Voluntary Solidarity Mechanism"),
        ("10", "full implementation of the Dublin Roadmap"),
        ("14", "resettlement and complementary pathways"),
    ],
)
def test_commitment_titles_are_the_bold_words(number: str, title: str) -> None:
    commitment = L.commitments[int(number) - 1]
    assert L.at(commitment.title_spans[0]).strip(" :") == title


def test_commitment_text_split_across_pages_is_joined() -> None:
    seven = L.at(L.commitments[6].span)
    assert (
        "using existing options on safe third countries and safe countries of origin more" in seven
    )
    assert seven.endswith("increase the use of these principles.")
    fifteen = L.at(L.commitments[14].span)
    assert "and it will develop a new online platform to support employers" in fifteen


def test_bullet_cut_mid_sentence_is_resumed() -> None:
    items = [L.at(i.span) for i in L.commitments[10].followups]
    tunisia = next(i for i in items if i.startswith("Tunisia:"))
    assert "Senior Officials delegation on 21-22 March following FAC discussion" in tunisia
    assert tunisia.endswith("Talent Partnership round table (Q2 2023).")
    seven = [L.at(i.span) for i in L.commitments[6].followups]
    assert seven[1].endswith(
        "the guidance document by the EU Asylum Agency will also support these discussions."
    )


def test_continuation_row_stays_with_its_commitment() -> None:
    two = [L.at(i.span) for i in L.commitments[1].followups]
    assert two[-1].startswith("During the visit of Commissioner Johansson to Serbia on 16 March")
    assert L.commitments[1].followups[-1].parent == len(two) - 2  # elaborates the bullet before it
    three = [L.at(i.span) for i in L.commitments[2].followups]
    assert not any("Johansson" in t for t in three)


@pytest.mark.parametrize(
    ("number", "count"),
    [
        (1, 4),
        (2, 9),
        (3, 2),
        (4, 2),
        (5, 3),
        (6, 2),
        (7, 2),
        (8, 2),
        (9, 2),
        (10, 2),
        (11, 9),
        (12, 5),
        (13, 2),
        (14, 2),
        (15, 3),
    ],
)
def test_follow_up_items_per_commitment(number: int, count: int) -> None:
    assert len(L.commitments[number - 1].followups) == count


def test_outreach_bullets_are_grouped_under_their_heading() -> None:
    items = L.commitments[10].followups
    heading = next(i for i, item in enumerate(items) if item.kind == "heading")
    assert L.at(items[heading].span) == "OUTREACH"
    countries = [L.at(i.span).split(":")[0] for i in items if i.parent == heading]
    assert countries == ["Bangladesh", "Pakistan", "Morocco", "Tunisia", "Egypt", "Nigeria"]


def test_action_plans_block() -> None:
    (section,) = L.sections
    assert section.title == "EU Action Plans"
    assert [L.at(h.span) for h, _ in section.groups] == ["In force", "Under preparation"]
    assert all(len(items) == 2 for _, items in section.groups)


def test_body_paragraph_cut_by_page_break_is_joined() -> None:
    texts = [L.at(p.span) for p in L.paragraphs]
    assert any(
        "working with the Member States most concerned on the Action Plans for the Atlantic" in t
        for t in texts
    )
    assert not any(t.startswith("Action Plans for the Atlantic") for t in texts)


def test_areas_of_the_body() -> None:
    areas = list(dict.fromkeys(p.area for p in L.paragraphs if p.area))
    assert areas == [
        "Strengthening external borders",
        "Border procedures and expedited returns",
        "Secondary movements and effective solidarity",
        "Working with partners to improve migration and return management",
    ]


def test_markup_is_removed() -> None:
    assert "<" not in L.text and "*" not in L.text and "./.." not in L.text


def test_a_text_without_an_annex_is_refused() -> None:
    with pytest.raises(LetterFormatError, match="annex"):
        read_letter("Brussels, 1 May 2023\n\nDear colleagues,\n\nHello.\n\nYours sincerely,\n")
