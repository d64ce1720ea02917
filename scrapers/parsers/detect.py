"""Tell Local Offer pages, OAG pages and documents (PDF, DOCX) apart, and pick the parser for each."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlparse

from navigator.errors import ParseError
from scrapers.base import FetchedPage, Parser
from scrapers.parsers.files import DocxParser, PdfParser
from scrapers.parsers.html_page import LocalOfferParser, decode_html
from scrapers.parsers.oag import OagParser, is_oag_page

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_KINDS = ("auto", "local-offer", "oag", "document")


def is_pdf(page: FetchedPage) -> bool:
    """A PDF by content type, by the ``%PDF-`` signature near the start, or by a ``.pdf`` path."""
    return (
        page.content_type == "application/pdf"
        or b"%PDF-" in page.content[:1024]
        or urlparse(page.url).path.lower().endswith(".pdf")
    )


def is_docx(page: FetchedPage) -> bool:
    """A Word document by content type, by a ``.docx`` path, or by being a zip that holds ``word/document.xml``."""
    if page.content_type == DOCX_TYPE or urlparse(page.url).path.lower().endswith(".docx"):
        return True
    if not page.content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(page.content)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def detect_kind(page: FetchedPage) -> str:
    """``"document"`` for a PDF or DOCX, ``"oag"`` for an OAG page (by path or structure), else ``"local-offer"``."""
    if is_pdf(page) or is_docx(page):
        return "document"
    return "oag" if is_oag_page(page.url, decode_html(page)) else "local-offer"


def parser_for(kind: str, page: FetchedPage) -> Parser:
    """The parser for ``page`` under the ``--kind`` option (auto, local-offer, oag or document).

    A PDF or DOCX always gets a document parser, whatever the kind: a crawl of the OAG section follows links to
    its PDFs too. Under ``--kind oag`` those documents are kind ``oag``, otherwise ``strategy``.

    Raises:
        ParseError: the kind is not a page kind, or ``document`` was asked for a page that is neither PDF nor DOCX.

    """
    if kind not in PAGE_KINDS:
        raise ParseError(f"No page parser for kind {kind!r}; use one of {', '.join(PAGE_KINDS)} (oruk is an API).")
    document_kind = "oag" if kind == "oag" else "strategy"
    if is_pdf(page):
        return PdfParser(kind=document_kind)
    if is_docx(page):
        return DocxParser(kind=document_kind)
    if kind == "document":
        raise ParseError(
            f"{page.url} is {page.content_type or 'not a known type'}, not a PDF or DOCX; try --kind auto."
        )
    if kind == "auto":
        kind = detect_kind(page)
    return OagParser() if kind == "oag" else LocalOfferParser()
