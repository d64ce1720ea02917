"""The embeddable widget: its script and demo pages from ``widget/``, and its localised strings.

The files are read from the ``widget/`` folder of the source checkout, or, installed from a wheel, from the copy
the wheel puts under ``<prefix>/share/send-navigator/widget`` (``navigator.config.shipped_path``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel

from navigator.answer.contacts import Contacts, handoff_contacts, safeguarding_contacts
from navigator.api.schemas import ErrorResponse, Language
from navigator.config import shipped_path
from navigator.languages.locales import LANGUAGES, get_locale, load_locales, widget_strings

router = APIRouter()

WIDGET_DIR = shipped_path("widget")
"""Where the widget's files live."""

_CONTENT_TYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
_SERVED = frozenset({"navigator.js", "navigator.css", "demo.html", "demo.css", "inline.html"})
# The demo pages load only same-origin scripts, styles and API calls; the widget needs no inline script or style
# (its styles are a constructed stylesheet in its shadow root, which CSP does not govern).
_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
_STATIC_CACHE = "public, max-age=300"  # the script's URL never changes, so keep it short; the ETag saves the body


class LanguagePublic(BaseModel):
    """One language of the picker, named in its own script."""

    code: str
    name: str
    direction: Literal["ltr", "rtl"]


class WidgetStringsResponse(BaseModel):
    """``GET /api/widget/strings``: the widget's interface text in one language, and every language offered."""

    language: str
    direction: Literal["ltr", "rtl"]
    strings: dict[str, str]
    languages: list[LanguagePublic]
    max_message_chars: int


@dataclass(frozen=True)
class _StaticFile:
    body: bytes
    content_type: str
    etag: str


@lru_cache(maxsize=16)
def _read_static(path: Path, mtime_ns: int) -> _StaticFile:
    """The file's bytes, read once per modification time."""
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _StaticFile(body, _CONTENT_TYPES[path.suffix], etag)


def _static_response(name: str, request: Request, *, cache_control: str, page: bool = False) -> Response:
    """One of the widget folder's files, with caching and security headers."""
    path = WIDGET_DIR / name
    if name not in _SERVED or not path.is_file():
        raise HTTPException(
            404,
            f"No widget file {name!r} in {WIDGET_DIR}. The widget is served from a source checkout "
            "(`pip install -e .`).",
        )
    static = _read_static(path, path.stat().st_mtime_ns)
    headers = {**_COMMON_HEADERS, "Cache-Control": cache_control, "ETag": static.etag}
    if page:
        headers["Content-Security-Policy"] = _PAGE_CSP
    else:
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # council pages on other origins load it
    if request.headers.get("if-none-match") == static.etag:
        return Response(status_code=304, headers=headers)
    return Response(static.body, media_type=static.content_type, headers=headers)


@router.get("/", include_in_schema=False)
def demo_page(request: Request) -> Response:
    """A plain council-style page with the floating widget."""
    return _static_response("demo.html", request, cache_control="no-cache", page=True)


@router.get("/widget/{name}", include_in_schema=False)
def widget_file(name: str, request: Request) -> Response:
    """The widget script (``navigator.js``), the inline demo (``inline.html``) and their styles."""
    page = name.endswith(".html")
    return _static_response(name, request, cache_control="no-cache" if page else _STATIC_CACHE, page=page)


@router.get(
    "/api/widget/strings",
    response_model=WidgetStringsResponse,
    responses={422: {"model": ErrorResponse}},
)
def strings(
    request: Request,
    response: Response,
    lang: Annotated[Language, Query(description="Language code, one of the 11 the navigator speaks")] = "en",
) -> WidgetStringsResponse:
    """The widget's interface strings (``widget.*`` without the prefix, ``error.*`` as ``error_*``)."""
    locale = get_locale(lang)
    texts = widget_strings(lang)
    # Shown above the first message and under the form; not "widget." keys because the chat API writes them too.
    texts["welcome"] = locale.text("welcome")
    texts["disclaimer"] = locale.text("disclaimer")
    # Shown under the transcript all the time, with the numbers from the contacts file.
    texts["safety_line"] = Contacts(safeguarding_contacts(), handoff_contacts()).safety_line(locale)
    response.headers.update({**_COMMON_HEADERS, "Cache-Control": _STATIC_CACHE})
    locales = load_locales()
    return WidgetStringsResponse(
        language=locale.language,
        direction=locale.direction,
        strings=texts,
        languages=[
            LanguagePublic(code=code, name=locales[code].name, direction=locales[code].direction) for code in LANGUAGES
        ],
        max_message_chars=request.app.state.settings.max_query_chars,
    )
