import io
from pathlib import Path

import docx
import pytest
from fetched import fetched_page
from pypdf import PdfReader, PdfWriter
from tiny_pdf import pdf_from_streams

from navigator.errors import ParseError
from scrapers.base import FetchedPage
from scrapers.parsers.detect import parser_for
from scrapers.parsers.files import DocxParser, PdfParser, drop_running_lines, file_title

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scrape"
PDF_URL = "https://www.birmingham.gov.uk/downloads/file/123/send_and-inclusion-strategy.pdf"
DOCX_URL = "https://www.localofferbirmingham.co.uk/wp-content/uploads/2025/01/short-breaks-statement.docx"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _page(content: bytes, url: str = PDF_URL, content_type: str = "application/pdf") -> FetchedPage:
    return fetched_page(content, url, content_type=content_type)


def _lines(lines: list[str]) -> bytes:
    """A content stream with one Helvetica text line per entry ("" leaves a blank line)."""
    return ("BT /F1 11 Tf 14 TL 72 770 Td " + " ".join(f"({line}) Tj T*" for line in lines) + " ET").encode()


def _placed(texts: list[tuple[int, int, str]]) -> bytes:
    """A content stream with each text at its own (x, y) position, as tables are laid out."""
    return b"\n".join(b"BT /F1 10 Tf %d %d Td (%s) Tj ET" % (x, y, text.encode()) for x, y, text in texts)


def _pdf(pages: list[list[str]] | list[bytes]) -> bytes:
    """A minimal PDF whose pages are lists of text lines or ready-made content streams."""
    return pdf_from_streams([content if isinstance(content, bytes) else _lines(content) for content in pages])


def test_pdf_sections_follow_headings_and_carry_page_numbers():
    document = PdfParser().parse(_page((FIXTURES / "strategy.pdf").read_bytes()))
    assert document.kind == "strategy"
    assert document.title == "Birmingham SEND and Inclusion Strategy 2024-2027"  # from the PDF's /Title
    assert [(s.heading_path, s.metadata) for s in document.sections] == [
        (("1. Introduction",), {"page": "1"}),
        (("2. Our priorities",), {"pages": "1-2"}),
        (("3. Early help",), {"page": "2"}),
        (("4. Next steps",), {"page": "3"}),
    ]


def test_pdf_text_is_cleaned_of_running_headers_and_joined_over_page_breaks():
    sections = PdfParser().parse(_page((FIXTURES / "strategy.pdf").read_bytes())).sections
    text = "\n".join(s.text for s in sections)
    assert "Inclusion Strategy\n" not in text and "Page 1 of 3" not in text
    assert sections[1].text.startswith(
        "Every child should be able to go to a good local school that understands their needs and works with "
        "their family to plan the right support."
    )
    assert "review this strategy in 2027." in sections[3].text


def test_pdf_without_headings_gets_one_section_per_page():
    pdf = _pdf(
        [
            ["Short breaks help families to have time apart from caring.", "", "They include clubs and stays."],
            ["Ask the council for an assessment of your needs as a carer."],
        ]
    )
    document = PdfParser(kind="committee-papers").parse(_page(pdf, "https://example.org/files/carers_leaflet.pdf"))
    assert document.kind == "committee-papers"
    assert document.title == "carers leaflet"  # no metadata title and no heading: the file name
    assert [(s.heading_path, s.metadata) for s in document.sections] == [
        (("Page 1",), {"page": "1"}),
        (("Page 2",), {"page": "2"}),
    ]
    assert (
        document.sections[0].text
        == "Short breaks help families to have time apart from caring.\n\nThey include clubs and stays."
    )
    assert document.sections[1].text == "Ask the council for an assessment of your needs as a carer."


def test_pdf_table_laid_out_in_columns_becomes_rows():
    table = _placed(
        [
            (72, 760, "Timescales for an EHC needs assessment"),
            (72, 730, "Step"),
            (320, 730, "Deadline"),
            (72, 715, "Decide whether to assess"),
            (320, 715, "6 weeks"),
            (72, 700, "Issue the final plan"),
            (320, 700, "20 weeks"),
        ]
    )
    (section,) = PdfParser().parse(_page(_pdf([table]))).sections
    assert section.heading_path == ("Timescales for an EHC needs assessment",)
    assert section.text == "Step | Deadline\nDecide whether to assess | 6 weeks\nIssue the final plan | 20 weeks"
    assert section.metadata == {"page": "1"}


def test_pdf_corrupt_file_is_a_parse_error():
    with pytest.raises(ParseError, match="not a readable PDF"):
        PdfParser().parse(_page(b"%PDF-1.7\n1 0 obj << /Type /Catalog"))


def test_pdf_encrypted_with_a_password_is_a_parse_error_but_owner_only_locks_are_read():
    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "strategy.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(ParseError, match="encrypted"):
        PdfParser().parse(_page(locked.getvalue()))
    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "strategy.pdf"))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    restricted = io.BytesIO()
    writer.write(restricted)
    assert len(PdfParser().parse(_page(restricted.getvalue())).sections) == 4


def test_pdf_scanned_pages_without_text_are_a_parse_error():
    with pytest.raises(ParseError, match="no extractable text"):
        PdfParser().parse(_page(_pdf([[], []])))


def test_drop_running_lines_removes_repeated_page_edges_only():
    pages = ["SEND Strategy\nIntro text\nPage 1", "SEND Strategy\nMore text\nPage 2", "Last page text\nPage 3"]
    assert drop_running_lines(pages) == ["Intro text", "More text", "Last page text"]


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Short breaks services statement"
    document.add_paragraph("Short breaks services statement", style="Title")
    document.add_paragraph("This statement explains the short breaks available in Birmingham.")
    document.add_heading("Who can use short breaks", level=1)
    document.add_paragraph("Disabled children and young people aged 0 to 18.")
    document.add_heading("Types of short break", level=2)
    document.add_paragraph("Holiday clubs", style="List Bullet")
    document.add_paragraph("Overnight stays", style="List Bullet")
    document.add_paragraph("Specialist overnight care", style="List Bullet 2")
    document.add_heading("How to apply", level=1)
    rows = [("Route", "How"), ("Universal", "Book directly"), ("Targeted", "Ask the council")]
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_headings_become_heading_paths_and_tables_rows():
    document = DocxParser().parse(_page(_docx_bytes(), DOCX_URL, DOCX_TYPE))
    assert document.title == "Short breaks services statement"
    assert [(s.heading_path, s.text) for s in document.sections] == [
        (("Short breaks services statement",), "This statement explains the short breaks available in Birmingham."),
        (("Who can use short breaks",), "Disabled children and young people aged 0 to 18."),
        (
            ("Who can use short breaks", "Types of short break"),
            "- Holiday clubs\n- Overnight stays\n  - Specialist overnight care",
        ),
        (("How to apply",), "Route | How\nUniversal | Book directly\nTargeted | Ask the council"),
    ]


def test_docx_is_chosen_by_content_and_corrupt_docx_is_a_parse_error():
    page = _page(_docx_bytes(), "https://example.org/download?id=9", "application/octet-stream")
    assert isinstance(parser_for("auto", page), DocxParser)
    with pytest.raises(ParseError, match="not a readable DOCX"):
        DocxParser().parse(_page(b"PK\x03\x04 not really a zip", DOCX_URL, DOCX_TYPE))


def test_parser_for_gives_documents_found_in_an_oag_crawl_the_oag_kind():
    parser = parser_for("oag", _page((FIXTURES / "strategy.pdf").read_bytes()))
    assert isinstance(parser, PdfParser) and parser.kind == "oag"


def test_file_title_reads_the_url_file_name():
    assert file_title(PDF_URL) == "send and inclusion strategy"
    assert file_title("https://example.org/files/Local%20Offer%20guide.pdf") == "Local Offer guide"
