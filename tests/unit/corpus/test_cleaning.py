from pathlib import Path

from navigator.corpus.cleaning import (
    clean_extracted_text,
    drop_page_furniture,
    drop_repeated_lines,
    drop_stray_characters,
    extract_contents_titles,
    join_broken_sentences,
    strip_emphasis,
    strip_html,
)
from navigator.corpus.tables import drop_contents_pages, normalise_table_rows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "extraction"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_strip_html_separates_paragraphs_and_list_items_without_gluing_words():
    row = 'Priority 1\t<p>More places</p><p>Better training</p>\t<ul style="x"><li>Brokerage</li>'
    row += "<li>Funding</li></ul>"
    assert strip_html(row) == "Priority 1\tMore places; Better training\tBrokerage; Funding"
    assert (
        strip_html("<p>Plans are checked.</p> <p>Staff are trained</p>")
        == "Plans are checked. Staff are trained"
    )
    assert (
        strip_html("<p>The approach to</p> <ol> 1. Identify need 2. Review")
        == "The approach to: 1. Identify need 2. Review"
    )


def test_strip_html_unescapes_entities_and_keeps_autolinks():
    assert strip_html("<i>Health &amp; care</i>") == "Health & care"
    assert strip_html("See <https://example.org/page/>") == "See <https://example.org/page/>"


def test_strip_html_handles_cells_of_markdown_rows():
    assert strip_html("| A | <p>one</p><p>two</p> |") == "| A | one; two |"


def test_strip_emphasis_drops_markup_but_keeps_footnote_stars():
    assert strip_emphasis("There are **27** special schools and *many* bases.") == (
        "There are 27 special schools and many bases."
    )
    assert (
        strip_emphasis("School for the Deaf*\t18\tVictoria School**")
        == "School for the Deaf*\t18\tVictoria School**"
    )
    assert strip_emphasis("- **Article 2 (Non-discrimination) *** Applies to all") == (
        "- Article 2 (Non-discrimination) * Applies to all"
    )
    assert (
        strip_emphasis("- 1. Data was poor:** Routes were late.") == "- 1. Data was poor: Routes were late."
    )


def test_drop_stray_characters_removes_logo_letters_and_rejoins_spaced_words():
    assert drop_stray_characters("S\n\nE\nReport\n7\nA G E N D A\n-") == "\nReport\nAGENDA"


def test_drop_page_furniture_removes_page_numbers_but_keeps_figures():
    text = "Page 17 of 132\nintro\n5 - 16\n@CouncilHandle\n240\n\nNumber of pupils excluded\n2023-2028"
    assert drop_page_furniture(text) == "intro\n240\n\nNumber of pupils excluded\n2023-2028"
    assert drop_page_furniture("text\n\n\n12\n\n\nmore") == "text\n\n\n\n\nmore"


def test_normalise_table_rows_keeps_rows_and_drops_separators_and_empty_cells():
    text = (
        "| Events | Attended | Purpose |\n|---|---|--|\n| Survey | 27 | |\n"
        "\tTotal\t34,531\t\n--\t----\nplain line"
    )
    assert (
        normalise_table_rows(text) == "Events | Attended | Purpose\nSurvey | 27\nTotal | 34,531\nplain line"
    )


def test_drop_contents_pages_removes_the_contents_block_only():
    text = "CONTENTS\n\nForeword | 3\nIntroduction | 4\nPlans\nGlossary | 20\n\nFOREWORD\n\nWelcome."
    assert drop_contents_pages(text) == "\n\nFOREWORD\n\nWelcome."
    table = "LA Nursery | 580\nPrimary | 18,780\nAll-through | 746\nSecondary | 96"
    assert drop_contents_pages(table) == table  # page numbers never fall


def test_drop_repeated_lines_removes_logos_but_keeps_repeated_subheadings():
    page = (
        "BE BOLD BE WIDGETSHIRE\n\nWIDGETSHIRE\nCHILDREN'S TRUST\n\n"
        "SECTION {n}\n\nAction\n\nRef | Want | Doing\n1 | More | Less"
    )
    text = "\n\n".join(page.format(n=n) for n in range(3))
    cleaned = drop_repeated_lines(text)
    assert "BE BOLD" not in cleaned
    assert "CHILDREN'S TRUST" not in cleaned  # stacked with the repeated logo
    assert cleaned.count("Action") == 3
    assert cleaned.count("Ref | Want | Doing") == 3
    assert "BE BOLD" in drop_repeated_lines(text, min_repeats=4)


def test_join_broken_sentences_across_page_breaks():
    text = "so that every child is\n\n\n\nsupported early.\n\nEnds here.\n\nNew paragraph"
    assert (
        join_broken_sentences(text)
        == "so that every child is supported early.\n\nEnds here.\n\nNew paragraph"
    )
    assert join_broken_sentences("the Co-\n\nproduction Award") == "the Co-production Award"
    assert join_broken_sentences("support from EY teams. Both the\n\nEarly Support Service helps.") == (
        "support from EY teams. Both the Early Support Service helps."
    )


def test_join_broken_sentences_moves_footnotes_and_leaves_lists_and_headings():
    text = "partners and\n\n¹ <https://example.org>\n\nreviewed yearly."
    assert join_broken_sentences(text) == "partners and reviewed yearly.\n\n¹ <https://example.org>\n"
    assert join_broken_sentences("Includes\n- item one\n- item two") == "Includes\n- item one\n- item two"
    assert (
        join_broken_sentences("1.2 WHO WE ARE\n\nWe are a partnership.")
        == "1.2 WHO WE ARE\n\nWe are a partnership."
    )


def test_extract_contents_titles_lists_the_contents_page():
    titles = extract_contents_titles(_fixture("report_with_debris.txt"))
    assert titles == [
        "Foreword",
        "Our Priorities",
        "Children get the right help at the right time",
        "Glossary of Terms",
    ]


def test_clean_extracted_text_removes_debris_and_keeps_content():
    cleaned = clean_extracted_text(_fixture("report_with_debris.txt"))
    lines = cleaned.split("\n")
    assert not [line for line in lines if len(line.strip()) == 1]
    assert "WIDGETSHIRE COUNCIL" not in cleaned
    assert "Page " not in cleaned
    assert "CONTENTS" not in cleaned and "Foreword | 3" not in cleaned
    assert "<" not in cleaned and "**" not in cleaned and "&amp;" not in cleaned
    assert (
        "The partnership will improve how quickly needs are identified, so that every child is supported "
        "before problems escalate." in cleaned
    )
    assert "Priority ref | Intention - What we want | Implementation - What we're doing about it" in lines
    assert (
        "Priority 1 | More families take up childcare. Settings feel confident | "
        "Brokerage role; Inclusion funding & training" in lines
    )
    assert "- SEND: Special Educational Needs and Disability." in lines
    assert "\n\n\n" not in cleaned


def test_clean_extracted_text_on_markdown_tables_and_footnotes():
    cleaned = clean_extracted_text(_fixture("strategy_with_tables.txt"))
    lines = cleaned.split("\n")
    assert "School | Places | Notes" in lines
    assert "Oakfield School* | 120 | Autism resource base; Opened 2021" in lines
    assert "Elm Park School | 85" in lines
    assert not any(line.startswith("|") or "--" in line for line in lines)
    assert "The strategy was co-produced with parents, schools and health partners." in lines
    assert "We are a partnership of the council, schools and the NHS." in cleaned  # footnote mark dropped
    assert "arranged by the partnership and reviewed every year by the board." in cleaned
    assert "<https://example.org/partnership>" in lines
