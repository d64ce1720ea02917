from pathlib import Path

from navigator.corpus.cleaning import clean_extracted_text, extract_contents_titles
from navigator.corpus.documents import Section
from navigator.corpus.sectioning import is_caps_heading, split_sections

FIXTURES = Path(__file__).parents[2] / "fixtures" / "extraction"


def _paths(sections: list[Section]) -> list[tuple[str, ...]]:
    return [section.heading_path for section in sections]


def test_split_sections_nests_title_case_headings_under_caps_headings():
    text = (
        "FOREWORD\n\nWelcome to the plan.\n\nOUR PRIORITIES\n\nWe have three priorities.\n\n"
        "Positive signs\n\nWaiting times fell.\n\nAreas of focus\n\nTake-up is low.\n\n"
        "GLOSSARY\n\n- SEND: needs."
    )
    sections = split_sections(text, "Plan")
    assert _paths(sections) == [
        ("FOREWORD",),
        ("OUR PRIORITIES",),
        ("OUR PRIORITIES", "Positive signs"),
        ("OUR PRIORITIES", "Areas of focus"),
        ("GLOSSARY",),
    ]
    assert sections[2].text == "Waiting times fell."


def test_split_sections_uses_numbering_depth():
    text = (
        "1. INTRODUCTION\n\nWhy we wrote this.\n\n1.1 Background\n\nThe history.\n\n"
        "1.1.1 Data Sources\n\nCensus.\n\n"
        "1.2 Purpose\n\nThe aims.\n\n2 Provision\n\nSchools."
    )
    assert _paths(split_sections(text)) == [
        ("1. INTRODUCTION",),
        ("1. INTRODUCTION", "1.1 Background"),
        ("1. INTRODUCTION", "1.1 Background", "1.1.1 Data Sources"),
        ("1. INTRODUCTION", "1.2 Purpose"),
        ("2 Provision",),
    ]


def test_split_sections_reads_markdown_headings():
    text = "# Guide\n\nIntro text.\n\n## Getting help\n\nCall us.\n\n## Complaints\n\nWrite to us."
    assert _paths(split_sections(text)) == [("Guide",), ("Guide", "Getting help"), ("Guide", "Complaints")]


def test_split_sections_gives_leading_text_the_document_title():
    sections = split_sections(
        "Report to Cabinet\n\n21 March 2023\n\nSUMMARY\n\nThe plan is agreed.", "The Plan"
    )
    assert sections[0] == Section(("The Plan",), "Report to Cabinet\n\n21 March 2023")
    assert sections[1] == Section(("SUMMARY",), "The plan is agreed.")


def test_split_sections_folds_empty_headings_into_the_next_path():
    text = (
        "AREAS OF FOCUS\n\nEarly years\n\nTake-up of childcare is low.\n\nKey Stage 1\n\nOutcomes improved."
    )
    assert _paths(split_sections(text)) == [
        ("AREAS OF FOCUS", "Early years"),
        ("AREAS OF FOCUS", "Key Stage 1"),
    ]
    numbered = "10 Appendices\n\n10.1 Appendix 1\n\n10.2 Appendix 2\n\nThe inquiry proposal."
    assert _paths(split_sections(numbered)) == [("10 Appendices", "10.2 Appendix 2")]


def test_split_sections_does_not_take_rows_lists_or_sentences_for_headings():
    text = (
        "OUTCOMES\n\nPriority 1 | Early Help | Done\nPriority 2 | SEND | Late\n\n"
        "- Improved Feedback\n- Shorter Waits\n\n"
        "We will know we have made a difference.\n\nThe partnership agreed the plan in March.\n\n"
        "Sue Harrison\n\nDirector of Children and Families\n\nCllr Jo Bloggs\n\nCabinet Member\n\n"
        "FAMILY HUBS\n\nHubs open in every district."
    )
    sections = split_sections(text)
    assert _paths(sections) == [("OUTCOMES",), ("FAMILY HUBS",)]
    body = sections[0].text
    assert body.startswith(
        "Priority 1 | Early Help | Done\nPriority 2 | SEND | Late\n\n- Improved Feedback\n"
    )
    assert "Sue Harrison\n\nDirector of Children and Families" in body


def test_split_sections_keeps_paragraphs_and_rows():
    sections = split_sections("NOTES\n\nFirst paragraph.\n\nSecond paragraph.\n\nA | 1\nB | 2")
    assert sections == [Section(("NOTES",), "First paragraph.\n\nSecond paragraph.\n\nA | 1\nB | 2")]


def test_split_sections_uses_contents_titles_for_sentence_like_headings():
    text = (
        "IMPACT ON CHILDREN\n\nChildren receive the right help at the right time.\n\nPositive signs\n\n"
        "Therapy waits fell.\n\nLeaders evaluate services.\n\nPositive signs\n\nAudits happen."
    )
    known = ["Children receive the right help at the right time", "Leaders evaluate services"]
    assert _paths(split_sections(text, known_headings=known)) == [
        ("IMPACT ON CHILDREN", "Children receive the right help at the right time", "Positive signs"),
        ("IMPACT ON CHILDREN", "Leaders evaluate services", "Positive signs"),
    ]
    without = split_sections(text)
    assert _paths(without) == [
        ("IMPACT ON CHILDREN",),
        ("IMPACT ON CHILDREN", "Positive signs"),
        ("IMPACT ON CHILDREN", "Positive signs"),
    ]
    assert without[0].text == "Children receive the right help at the right time."


def test_is_caps_heading():
    assert is_caps_heading("PERMANENT EXCLUSIONS / SUSPENSIONS (2020/21):")
    assert is_caps_heading("SEND AND INCLUSION")
    assert not is_caps_heading("RESOLVED:")
    assert not is_caps_heading("55% EHCP OR LEARNING DIFFICULTY")
    assert not is_caps_heading("AMBITION - Birmingham is a great place")


def test_split_sections_on_fixture_documents():
    raw = (FIXTURES / "report_with_debris.txt").read_text(encoding="utf-8")
    sections = split_sections(clean_extracted_text(raw), "Review", extract_contents_titles(raw))
    assert _paths(sections) == [
        ("THE WIDGETSHIRE LOCAL OFFER REVIEW 2024", "FOREWORD"),
        ("OUR PRIORITIES",),
        ("OUR PRIORITIES", "Children get the right help at the right time", "Positive signs"),
        ("OUR PRIORITIES", "Children get the right help at the right time", "Areas of focus", "Early Years"),
        ("OUR PRIORITIES", "Children get the right help at the right time", "Action"),
        ("GLOSSARY OF TERMS",),
    ]
    assert all(section.text for section in sections)

    raw = (FIXTURES / "strategy_with_tables.txt").read_text(encoding="utf-8")
    title = "Widgetshire Strategy for Inclusion 2025-2028"
    sections = split_sections(clean_extracted_text(raw), title, extract_contents_titles(raw))
    assert _paths(sections) == [
        (title,),
        ("1. INTRODUCTION", "1.1 BACKGROUND"),
        ("1. INTRODUCTION", "1.2 WHO WE ARE"),
        ("2. PROVISION",),
        ("2. PROVISION", "Getting help"),
    ]
    assert sections[3].text.startswith("School | Places | Notes\nOakfield School* | 120 |")
