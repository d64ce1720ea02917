"""Source labels: a short document name and the heading that says what the section is about."""

from __future__ import annotations

import pytest

from navigator.answer.source_labels import section_label, short_title, source_label
from navigator.retrieval.base import Chunk


@pytest.mark.parametrize(
    ("title", "short"),
    [
        ("Birmingham SEND & Alternative Provision Self Evaluation Framework (SEF), Spring 2024", "SEF, Spring 2024"),
        ("Birmingham Inclusion Strategy 2023-2028", "Inclusion Strategy 2023-2028"),
        (
            "Education and Children's Social Care Overview and Scrutiny Committee, 20 July 2022: agenda pack",
            "Scrutiny Committee, 20 July 2022",
        ),
        ("Short breaks", "Short breaks"),
    ],
)
def test_short_title(title, short):
    assert short_title(title) == short


def test_section_label_prefers_a_descriptive_heading_and_reads_capitals_as_sentence_case():
    assert section_label(("IMPACT FOR SEND FAMILIES", "Right help at the right time", "Positive signs")) == (
        "Right help at the right time"
    )
    assert section_label(("13. AUTHORITY TO CHAIR AND OFFICERS",)) == "13. authority to chair and officers"
    assert section_label(("THE SEND OFFER AND EHCP TIMES",)) == "The SEND offer and EHCP times"
    assert section_label(()) == ""


def test_source_label_joins_title_and_section():
    chunk = Chunk("c", "d", "Birmingham Inclusion Strategy 2023-2028", None, ("Our priorities for inclusion",), "", ())

    assert source_label(chunk) == "Inclusion Strategy 2023-2028 › Our priorities for inclusion"


def test_a_citation_carries_its_sections_readable_label_beside_the_heading_path():
    from navigator.answer.base import Citation

    path = ("POSITIVE IMPACT OF THE LOCAL AREA PARTNERSHIP'S SEND ARRANGEMENTS", "Right help at the right time", "Plan")
    chunk = Chunk("c", "d", "SEF", None, path, "Text.", ())
    citation = Citation.of(1, chunk)

    assert citation.section == chunk.section and citation.section_label == "Right help at the right time"
    assert Citation.of(1, Chunk("c", "d", "SEF", None, (), "Text.", ())).section_label == ""


def test_a_title_names_an_ended_period_only_once_its_last_year_is_over():
    from navigator.answer.source_labels import ended_period

    assert ended_period("Birmingham's Strategy for SEND and Inclusion 2017-2020", 2026) == "2017–2020"
    assert ended_period("Strategy 2017 – 2020", 2021) == "2017–2020"
    assert ended_period("Strategy 2017-2020", 2020) is None  # its last year is not over
    assert ended_period("Birmingham Inclusion Strategy 2023-2028", 2026) is None
    assert ended_period("SEF, Spring 2024", 2026) is None  # one date, not a period
