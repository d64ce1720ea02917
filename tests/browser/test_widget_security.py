"""Server and corpus text is shown as text, never parsed as HTML; the demo page and the script are served with their
content types, caching and security headers, and the widget runs under the demo page's strict CSP."""

from __future__ import annotations

import re

import httpx
import pytest
from widget_harness import (
    EHCP_QUESTION,
    HOMEWORK_QUESTION,
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    PWNED_FLAG,
    ROOT,
    SHADOW,
    ask,
    open_with_keyboard,
)

from navigator.languages.locales import LANGUAGES, load_locales, widget_strings

pytestmark = pytest.mark.model

WIDGET_JS = ROOT / "widget" / "navigator.js"


def elements_made_from_text(page) -> dict[str, int]:
    return page.evaluate(
        f"""() => {{
            const root = {SHADOW};
            return {{
                img: root.querySelectorAll('img').length + document.querySelectorAll('img').length,
                script: root.querySelectorAll('script').length,
                javascriptLinks: root.querySelectorAll('a[href^="javascript:" i]').length,
                handlers: [...root.querySelectorAll('*')].filter(el => [...el.attributes]
                    .some(a => a.name.startsWith('on'))).length,
            }};
        }}"""
    )


def test_widget_shows_markup_from_the_corpus_as_text(live_server, new_page):
    page = new_page(bypass_csp=True)  # no CSP to catch a mistake: only the widget's own care prevents it
    open_with_keyboard(page, live_server.base + "/")

    final = ask(page, HOMEWORK_QUESTION)

    citation = next(c for c in final["citations"] if c["doc_id"] == "homework-clubs")
    assert HOSTILE_IMG in citation["quote"] and HOSTILE_IMG in citation["title"]  # the server did send markup
    source = page.locator(f"[role=log] li[data-n='{citation['n']}']")
    source.locator("summary").click()
    assert source.locator("blockquote").inner_text() == citation["quote"]
    assert HOSTILE_IMG in source.inner_text() and HOSTILE_SCRIPT in source.inner_text()  # title and section
    assert source.locator("a").count() == 0  # the javascript: URL did not become a link
    page.wait_for_timeout(500)  # give an onerror handler time to fire, were there one
    assert elements_made_from_text(page) == {"img": 0, "script": 0, "javascriptLinks": 0, "handlers": 0}
    assert page.evaluate(f"window.{PWNED_FLAG}") is None

    page.reload()  # the stored conversation is rendered the same way
    page.locator("[role=log] > .msg.bot").wait_for()
    page.locator(f"[role=log] li[data-n='{citation['n']}'] summary").click()
    page.wait_for_timeout(500)
    assert elements_made_from_text(page) == {"img": 0, "script": 0, "javascriptLinks": 0, "handlers": 0}
    assert page.evaluate(f"window.{PWNED_FLAG}") is None

    # Control: the same text parsed as HTML on this page does run, so the checks above could have failed.
    page.evaluate(
        "(html) => { const d = document.createElement('div'); d.innerHTML = html; document.body.append(d); }",
        HOSTILE_IMG,
    )
    page.wait_for_function(f"() => window.{PWNED_FLAG} === 1")


def test_widget_script_never_parses_strings_as_html():
    code = re.sub(r"^\s*(/\*|\*|//).*$", "", WIDGET_JS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code, sink
    assert not re.search(r"setAttribute\(\s*[\"']on", code)
    urls = set(re.findall(r"https?://[^\s\"'`]+", code))
    assert urls == {"http://www.w3.org/2000/svg"}  # a namespace name, not a download: no third-party URL


def test_widget_demo_page_runs_under_its_csp(live_server, new_page):
    page = new_page()
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI), true);"
    )
    open_with_keyboard(page, live_server.base + "/")
    ask(page, EHCP_QUESTION)
    page.goto(live_server.base + "/widget/inline.html")
    page.locator("send-navigator[inline] #sn-panel").wait_for()

    assert page.evaluate("window.__cspViolations") == []
    assert page.locator("send-navigator[inline] [role=log] > .msg.bot").count() == 1  # same tab, same conversation


def test_widget_files_are_served_with_types_caching_and_security_headers(live_server):
    with httpx.Client(base_url=live_server.base) as client:
        page = client.get("/")
        script = client.get("/widget/navigator.js")
        inline = client.get("/widget/inline.html")
        cached = client.get("/widget/navigator.js", headers={"If-None-Match": script.headers["etag"]})
        missing = client.get("/widget/secret.py")

    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/widget/navigator.js" data-api="/"' in page.text
    for response in (page, inline):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "connect-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "<script>" not in response.text and "style=" not in response.text  # nothing inline to allow
    assert script.status_code == 200
    assert script.headers["content-type"] == "application/javascript; charset=utf-8"
    assert script.content == (ROOT / "widget" / "navigator.js").read_bytes()
    assert "max-age=" in script.headers["cache-control"]
    assert cached.status_code == 304 and cached.content == b""
    for response in (page, script, inline):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_widget_strings_endpoint(live_server):
    locales = load_locales()
    with httpx.Client(base_url=live_server.base) as client:
        urdu = client.get("/api/widget/strings", params={"lang": "ur"})
        unknown = client.get("/api/widget/strings", params={"lang": "xx"})
        preflight = client.options(
            "/api/chat/stream",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )

    assert urdu.status_code == 200
    body = urdu.json()
    assert (body["language"], body["direction"]) == ("ur", "rtl")
    assert {k: v for k, v in body["strings"].items() if k in widget_strings("ur")} == widget_strings("ur")
    assert body["strings"]["welcome"] == locales["ur"].text("welcome")
    assert body["languages"] == [
        {"code": code, "name": locales[code].name, "direction": locales[code].direction} for code in LANGUAGES
    ]
    assert body["max_message_chars"] == live_server.settings.max_query_chars
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "invalid_request"
    assert "access-control-allow-origin" not in preflight.headers  # an origin not in cors_origins
