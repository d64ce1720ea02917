from pathlib import Path

import pytest
from fetched import fetched_page

from navigator.errors import ParseError
from scrapers.base import FetchedPage
from scrapers.parsers.detect import detect_kind, parser_for
from scrapers.parsers.html_page import LocalOfferParser, decode_html
from scrapers.parsers.oag import OagParser
from scrapers.parsers.page_dates import parse_date

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scrape"
WP_URL = "https://www.localofferbirmingham.co.uk/?page_id=412"


def _page(content: bytes | str, url: str = WP_URL, encoding: str | None = None) -> FetchedPage:
    return fetched_page(content, url, encoding=encoding)


def _fixture(name: str, url: str = WP_URL, encoding: str | None = None) -> FetchedPage:
    return _page((FIXTURES / name).read_bytes(), url, encoding)


def _all_text(document: object) -> str:
    sections = getattr(document, "sections", ())
    return "\n".join(" > ".join(s.heading_path) + "\n" + s.text for s in sections)


def test_local_offer_wordpress_page_keeps_main_content_only():
    document = LocalOfferParser().parse(_fixture("wordpress_page.html"))
    text = _all_text(document)
    assert "needs assessment is a detailed look" in text
    for furniture in (
        "We use cookies",
        "Accept cookies",
        "Education and learning",  # primary menu
        "Search the Local Offer",
        "SEND support »",  # breadcrumbs
        "Skip to content",
        "Share this page",
        "Facebook",
        "Related pages",  # sidebar
        "All rights reserved",  # site footer
        "Hidden promotional text",  # display:none
        "Edit",
    ):
        assert furniture not in text, furniture


def test_local_offer_headings_become_heading_paths_in_order():
    document = LocalOfferParser().parse(_fixture("wordpress_page.html"))
    assert document.title == "Requesting an EHC needs assessment"
    assert [s.heading_path for s in document.sections] == [
        ("Requesting an EHC needs assessment",),
        ("Who can ask for an assessment",),
        ("Who can ask for an assessment", "Parents and carers"),
        ("Who can ask for an assessment", "What evidence should I send?"),
        ("Timescales",),
        ("Documents",),
    ]
    # The collapsed accordion panel is hidden until its button is pressed, but it is content.
    assert "school reports or health letters" in document.sections[3].text


def test_local_offer_lists_tables_and_paragraphs_stay_readable():
    sections = {s.heading_path[-1]: s.text for s in LocalOfferParser().parse(_fixture("wordpress_page.html")).sections}
    assert sections["Who can ask for an assessment"] == (
        "You can ask Birmingham City Council for an assessment if you are:\n"
        "- a parent or carer of a child aged 0 to 16\n"
        "- a young person aged 16 to 25\n"
        "- a professional working with the child, such as:\n"
        "  - a headteacher or SENCo\n"
        "  - a health visitor or doctor"
    )
    assert sections["Timescales"].split("\n")[1:] == [
        "Step | Deadline",
        "Decide whether to assess | 6 weeks",
        "Send a draft plan | 16 weeks",
        "Issue the final plan | 20 weeks",
    ]
    assert "Include any reports or letters you have from professionals." in sections["Parents and carers"]


def test_local_offer_reads_canonical_url_date_language_and_links():
    document = LocalOfferParser().parse(_fixture("wordpress_page.html"))
    assert document.url == "https://www.localofferbirmingham.co.uk/send-support/ehc-needs-assessment/"
    assert document.kind == "local-offer"
    assert document.published == "2025-03-12"  # the visible "Last updated" wins over the meta modified time
    assert document.language == "en"
    assert document.links == (
        "https://www.localofferbirmingham.co.uk/professionals/",
        "https://www.localofferbirmingham.co.uk/wp-content/uploads/2025/02/ehc-request-guide.pdf",
    )


def test_local_offer_plain_page_without_main_uses_body_minus_furniture():
    document = LocalOfferParser().parse(_fixture("plain_page.html", "https://example.org/short-breaks/"))
    assert document.title == "Short breaks"
    assert document.url == "https://example.org/short-breaks/"
    assert document.published == "2024-11-05"
    assert [s.heading_path for s in document.sections] == [
        ("Short breaks",),
        ("Who can get a short break",),
        ("Key terms",),
    ]
    text = _all_text(document)
    assert "Contact us" not in text and "Council House" not in text and "Transport" not in text
    assert "- Holiday clubs\n- After-school activities\n- Overnight stays" in text
    assert "Universal services: Activities open to every child." in text
    assert "Targeted short breaks: Activities for children with additional needs. No referral is needed." in text


def test_local_offer_decodes_windows_1252_by_meta_charset():
    document = LocalOfferParser().parse(_fixture("cp1252_page.html", "https://example.org/travel/"))
    text = _all_text(document)
    assert "“school transport”" in text
    assert "council’s name" in text
    assert "£250" in text and "café" in text
    assert document.title == "Travel assistance"
    assert document.published is None


def test_decode_html_prefers_header_charset_and_treats_latin1_as_windows_1252():
    raw = (FIXTURES / "cp1252_page.html").read_bytes()
    assert "“school transport”" in decode_html(_page(raw, encoding="iso-8859-1"))
    undeclared = decode_html(_page("<p>£5</p>".encode("cp1252"), encoding=None))
    assert undeclared == "<p>\ufffd5</p>"  # no charset anywhere: UTF-8 with replacement, never an exception
    assert decode_html(_page("<p>caf\u00e9</p>")) == "<p>caf\u00e9</p>"


def test_local_offer_drops_an_unmarked_share_block_with_its_buttons():
    html = """<html><body><main><h1>Travel</h1><p>Body text about travel.</p>
    <div><h2><span>Share</span> this page</h2><ul><li><a href="https://facebook.com/x">Facebook</a></li></ul></div>
    <h2>Contact</h2><p>Call the travel team.</p></main></body></html>"""
    document = LocalOfferParser().parse(_page(html))
    assert [(s.heading_path, s.text) for s in document.sections] == [
        (("Travel",), "Body text about travel."),
        (("Contact",), "Call the travel team."),
    ]
    assert document.links == ()


def test_local_offer_language_comes_from_html_lang():
    html = '<html lang="pl-PL"><body><main><h1>Wsparcie</h1><p>Tekst strony.</p></main></body></html>'
    assert LocalOfferParser().parse(_page(html)).language == "pl"


def test_local_offer_page_with_only_furniture_is_a_parse_error():
    html = (
        "<html><body><nav><a href='/'>Home</a></nav><main><h1>Title</h1></main><footer>© Council</footer></body></html>"
    )
    with pytest.raises(ParseError, match="no main content"):
        LocalOfferParser().parse(_page(html))


def test_parse_date_reads_the_usual_written_forms():
    assert parse_date("3 March 2025") == "2025-03-03"
    assert parse_date("3rd Mar 2025") == "2025-03-03"
    assert parse_date("March 3, 2025") == "2025-03-03"
    assert parse_date("03/04/2025") == "2025-04-03"
    assert parse_date("2025-03-14T09:12:44+00:00") == "2025-03-14"
    assert parse_date("31 February 2025") is None
    assert parse_date("soon") is None


def test_detect_kind_tells_pages_and_documents_apart():
    assert detect_kind(_fixture("wordpress_page.html")) == "local-offer"
    oag_url = "https://www.localofferbirmingham.co.uk/online-ordinarily-available-guidance/strategies-and-resources/"
    assert detect_kind(_fixture("plain_page.html", oag_url)) == "oag"  # by path
    assert detect_kind(_fixture("oag_page.html", "https://example.org/page/")) == "oag"  # by structure
    pdf = (FIXTURES / "strategy.pdf").read_bytes()
    assert detect_kind(_page(pdf, "https://example.org/download?id=7")) == "document"


def test_parser_for_honours_the_kind_option():
    page = _fixture("wordpress_page.html")
    assert isinstance(parser_for("auto", page), LocalOfferParser)
    assert isinstance(parser_for("oag", page), OagParser)
    with pytest.raises(ParseError, match="not a PDF or DOCX"):
        parser_for("document", page)
    with pytest.raises(ParseError, match="oruk"):
        parser_for("oruk", page)
