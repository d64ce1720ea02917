"""WCAG 2.2 AA checks in Chromium: axe-core inside the shadow root (English, Urdu, inline, closed, error state),
no horizontal scrolling at 320 px and at 200% zoom, visible focus outlines and reduced motion."""

from __future__ import annotations

import json
from typing import Any

import pytest
from widget_harness import (
    EHCP_QUESTION,
    SHADOW,
    URDU_EHCP_QUESTION,
    ask,
    deep_active,
    marked_unsure,
    open_with_keyboard,
)

from navigator.languages.locales import load_locales, widget_strings

pytestmark = pytest.mark.model

BLOCKING = {"serious", "critical"}


def run_axe(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's violations for the whole page; axe descends into open shadow roots by default."""
    page.add_script_tag(content=axe_source)
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                nodes: v.nodes.map(n => JSON.stringify(n.target))}));
        }"""
    )


def show_everything(page: Any) -> None:
    """Open the first quote and the feedback comment box, so that they are scanned too."""
    message = page.locator("[role=log] > .msg.bot").last
    message.locator("summary").first.click()
    message.locator(".feedback button").first.click()


def prepare_english(page: Any, base: str) -> None:
    open_with_keyboard(page, base + "/")
    ask(page, EHCP_QUESTION)
    show_everything(page)


def prepare_urdu(page: Any, base: str) -> None:
    open_with_keyboard(page, base + "/")
    page.locator("#sn-lang").select_option("ur")
    page.wait_for_function(f"() => {SHADOW}.querySelector('.root').getAttribute('dir') === 'rtl'")
    ask(page, URDU_EHCP_QUESTION)
    show_everything(page)


def prepare_unsure_urdu(page: Any, base: str) -> None:
    """An Urdu reply marked unsure: the people who can help, then the closest passages folded (opened to scan).

    Its first quote carries the note of a plan that has ended, so the note's colours are scanned too.
    """
    note = load_locales()["ur"].text("ended_plan", period="2017–2020")
    page.route("**/api/chat/stream", marked_unsure(True, note=note))
    prepare_urdu(page, base)


def prepare_inline(page: Any, base: str) -> None:
    page.goto(base + "/widget/inline.html")
    page.locator("#sn-input").wait_for()
    ask(page, EHCP_QUESTION)
    show_everything(page)


def prepare_closed(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.locator(".launcher").wait_for()


def prepare_error(page: Any, base: str) -> None:
    open_with_keyboard(page, base + "/")
    page.route("**/api/chat/stream", lambda route: route.abort("connectionrefused"))
    page.locator("#sn-input").fill(EHCP_QUESTION)
    page.locator("#sn-input").press("Enter")
    page.locator("[role=alert]").wait_for()


SCENARIOS = {
    "english-ltr": prepare_english,
    "urdu-rtl": prepare_urdu,
    "urdu-unsure": prepare_unsure_urdu,
    "inline": prepare_inline,
    "closed": prepare_closed,
    "offline-error": prepare_error,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_widget_axe_finds_no_serious_or_critical_violation(live_server, new_page, axe_source, scenario):
    page = new_page(bypass_csp=True)  # to inject axe into the page; the widget itself needs no exception
    SCENARIOS[scenario](page, live_server.base)

    violations = run_axe(page, axe_source)

    print(f"axe {scenario}: " + json.dumps([(v["id"], v["impact"], len(v["nodes"])) for v in violations]))
    assert [v for v in violations if v["impact"] in BLOCKING] == []


def test_widget_axe_really_scans_inside_the_shadow_root(live_server, new_page, axe_source):
    page = new_page(bypass_csp=True)
    prepare_english(page, live_server.base)
    page.evaluate(f"() => {SHADOW}.querySelector('.tools').append(document.createElement('button'))")

    violations = run_axe(page, axe_source)

    unnamed = [v for v in violations if v["id"] == "button-name"]
    assert unnamed and "send-navigator" in unnamed[0]["nodes"][0]  # found through the shadow root


def layout(page: Any) -> dict[str, Any]:
    return page.evaluate(
        f"""() => {{
            const root = {SHADOW};
            const panel = root.querySelector('#sn-panel').getBoundingClientRect();
            const scroller = root.querySelector('.scroller');
            const selector = '#sn-panel button:not([hidden]), #sn-panel select, #sn-panel textarea, #sn-panel a';
            const controls = [...root.querySelectorAll(selector)]
                .filter(el => el.getClientRects().length)
                .map(el => el.getBoundingClientRect())
                .filter(r => r.width > 0);
            return {{
                viewport: [innerWidth, innerHeight],
                pageScrollWidth: document.documentElement.scrollWidth,
                panel: [panel.left, panel.top, panel.width, panel.height],
                scrollerOverflowX: scroller.scrollWidth - scroller.clientWidth,
                outside: controls.filter(r => r.left < -0.5 || r.right > innerWidth + 0.5).length,
            }};
        }}"""
    )


@pytest.mark.parametrize(
    ("width", "height", "language"),
    [(320, 640, "en"), (320, 640, "ur"), (640, 400, "en"), (375, 740, "ur")],
    ids=["320px", "320px-urdu", "200pct-zoom-of-1280x800", "phone-urdu"],
)
def test_widget_fits_narrow_screens_and_200_percent_zoom(live_server, new_page, width, height, language):
    page = new_page(viewport={"width": width, "height": height})
    open_with_keyboard(page, live_server.base + "/")
    if language == "ur":
        page.locator("#sn-lang").select_option("ur")
        page.wait_for_function(f"() => {SHADOW}.querySelector('.root').getAttribute('dir') === 'rtl'")
    ask(page, URDU_EHCP_QUESTION if language == "ur" else EHCP_QUESTION)
    show_everything(page)

    measured = layout(page)

    assert measured["pageScrollWidth"] <= width  # no horizontal scrolling
    assert measured["panel"] == [0, 0, width, height]  # full screen on a narrow viewport
    assert measured["scrollerOverflowX"] <= 0
    assert measured["outside"] == 0
    assert page.locator(".send").is_visible() and page.locator("#sn-input").is_visible()


def test_widget_is_a_floating_panel_on_desktop_and_inline_fits_320px(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    measured = layout(page)
    left, top, width, _ = measured["panel"]
    assert 300 < width < 1280 / 2 and top > 0 and left + width <= 1280 - 15

    inline = new_page(viewport={"width": 320, "height": 640})
    inline.goto(live_server.base + "/widget/inline.html")
    inline.locator("#sn-input").wait_for()
    ask(inline, EHCP_QUESTION)
    assert inline.evaluate("document.documentElement.scrollWidth") <= 320
    assert inline.locator("#sn-panel").get_attribute("role") == "region"
    assert inline.locator(".launcher").count() == 0 and inline.locator(".close").count() == 0


def test_widget_full_screen_panel_keeps_keyboard_focus_inside(live_server, new_page):
    page = new_page(viewport={"width": 375, "height": 740})
    open_with_keyboard(page, live_server.base + "/")
    assert page.locator("#sn-panel").get_attribute("aria-modal") == "true"  # the page behind is covered

    page.locator(".send").focus()
    page.keyboard.press("Tab")  # past the last control: back to the first, not to the hidden page
    assert deep_active(page)["cls"] == "close"
    page.keyboard.press("Shift+Tab")
    assert deep_active(page)["cls"] == "send primary"
    page.keyboard.press("Escape")
    assert "launcher" in deep_active(page)["cls"]


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb.removeprefix("rgba(").removeprefix("rgb(").rstrip(")").split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def focus_style(page: Any) -> dict[str, str]:
    return page.evaluate(
        f"""() => {{
            const el = {SHADOW}.activeElement;
            const s = getComputedStyle(el);
            return {{width: s.outlineWidth, style: s.outlineStyle, colour: s.outlineColor}};
        }}"""
    )


def test_widget_focus_is_visible_with_enough_contrast(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    page.keyboard.press("Escape")
    assert "launcher" in deep_active(page)["cls"]
    launcher = focus_style(page)
    assert launcher["style"] == "solid" and float(launcher["width"].removesuffix("px")) >= 2
    assert contrast(launcher["colour"], "rgb(255, 255, 255)") >= 3  # against the page around the launcher

    page.keyboard.press("Enter")
    page.locator(".launcher").focus()
    panel_background = page.locator("#sn-panel").evaluate("p => getComputedStyle(p).backgroundColor")
    seen = set()
    for _ in range(9):  # every stop of the Tab order inside the panel shows a 2 px+ outline with 3:1 contrast
        # (the safety line's two phone links sit between the transcript and the message box)
        page.keyboard.press("Tab")
        active = deep_active(page)
        if not active.get("host"):
            continue
        style = focus_style(page)
        assert style["style"] == "solid" and float(style["width"].removesuffix("px")) >= 2, active
        background = "rgb(29, 79, 145)" if active["cls"] == "close" else panel_background
        assert contrast(style["colour"], background) >= 3, (active, style)
        seen.add(active["id"] or active["cls"])
    assert {"close", "sn-lang", "clear", "scroller", "sn-input", "send primary"} <= seen


def test_widget_respects_reduced_motion(live_server, new_page):
    animated = new_page()
    open_with_keyboard(animated, live_server.base + "/")
    assert animated.locator("#sn-panel").evaluate("p => getComputedStyle(p).animationName") == "sn-in"

    still = new_page(reduced_motion="reduce")
    open_with_keyboard(still, live_server.base + "/")
    assert still.locator("#sn-panel").evaluate("p => getComputedStyle(p).animationName") == "none"
    assert still.locator(".launcher").evaluate("b => getComputedStyle(b).transitionDuration") == "0s"
    assert still.locator(".dots i").first.evaluate("i => getComputedStyle(i).animationName") == "none"


def test_widget_errors_use_an_alert_and_the_status_is_polite(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    page.locator("#sn-input").press("Enter")  # nothing typed

    assert page.locator("[role=alert]").inner_text() == widget_strings("en")["error_empty"]
    assert page.locator("[role=status]").count() >= 1
    assert page.locator("[role=log]").get_attribute("aria-live") == "polite"
