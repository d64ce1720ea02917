"""The language picker: 11 languages named in their own script, Urdu switches the widget to right-to-left with the
Urdu locale's strings and mirrored layout, and the chosen language is sent with the question."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from widget_harness import SHADOW, URDU_EHCP_QUESTION, ask, host_page, marked_unsure, open_with_keyboard

from navigator.languages.locales import LANGUAGES, load_locales, widget_strings

pytestmark = pytest.mark.model

RTL = {"ur", "ar", "ps", "ckb"}


def root_attrs(page) -> dict[str, str | None]:
    return page.evaluate(
        f"""() => {{
            const host = document.querySelector('send-navigator');
            const root = {SHADOW}.querySelector('.root');
            return {{lang: root.getAttribute('lang'), dir: root.getAttribute('dir'),
                     hostLang: host.getAttribute('lang'), hostDir: host.getAttribute('dir')}};
        }}"""
    )


def choose_language(page, code: str) -> None:
    picker = page.locator("#sn-lang")
    picker.focus()
    picker.select_option(code)
    page.wait_for_function(f"() => {SHADOW}.querySelector('.root').getAttribute('lang') === '{code}'")


def test_widget_picker_names_each_language_in_its_own_script(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    locales = load_locales()

    options = page.locator("#sn-lang option").evaluate_all(
        "os => os.map(o => ({code: o.value, name: o.textContent, lang: o.lang, dir: o.dir}))"
    )

    assert [o["code"] for o in options] == list(LANGUAGES)
    for option in options:
        locale = locales[option["code"]]
        assert option["name"] == locale.name and option["lang"] == locale.language
        assert option["dir"] == ("rtl" if option["code"] in RTL else "ltr")
    assert page.get_by_label(widget_strings("en")["language"]).get_attribute("id") == "sn-lang"


@pytest.mark.parametrize("code", ["ur", "ar", "ps", "ckb", "pa", "zh"])
def test_widget_switching_language_sets_lang_dir_and_strings(live_server, new_page, code):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    strings = widget_strings(code)

    choose_language(page, code)

    direction = "rtl" if code in RTL else "ltr"
    assert root_attrs(page) == {"lang": code, "dir": direction, "hostLang": code, "hostDir": direction}
    assert page.locator(".send").inner_text() == strings["send"]
    assert page.locator("label[for=sn-input]").inner_text() == strings["input_label"]
    assert page.locator(".launcher").inner_text() == strings["launcher"]
    assert page.locator("#sn-title").inner_text() == strings["title"]
    assert page.locator(".clear").inner_text() == strings["clear"]
    assert page.locator(".close").get_attribute("aria-label") == strings["close"]
    assert page.locator("#sn-input").get_attribute("placeholder") == strings["placeholder"]
    assert page.locator("#sn-privacy").inner_text() == strings["privacy"]
    arrow = page.locator(".send svg").evaluate("svg => getComputedStyle(svg).transform")
    assert arrow == ("matrix(-1, 0, 0, 1, 0, 0)" if direction == "rtl" else "none")  # the send arrow points forward
    assert deep_focus_kept(page)


def deep_focus_kept(page) -> bool:
    """Switching language keeps keyboard focus on the picker."""
    return bool(page.evaluate(f"{SHADOW}.activeElement && {SHADOW}.activeElement.id === 'sn-lang'"))


def test_widget_urdu_conversation_is_right_to_left_and_mirrored(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    choose_language(page, "ur")
    strings = widget_strings("ur")

    with page.expect_request(lambda r: r.url.endswith("/api/chat/stream")) as request:
        final = ask(page, URDU_EHCP_QUESTION)

    assert request.value.post_data_json["language"] == "ur"
    assert final["language"] == "ur" and final["direction"] == "rtl"
    answer = page.locator("[role=log] > .msg.bot .answer")
    assert answer.get_attribute("lang") == "ur" and answer.get_attribute("dir") == "rtl"
    first_line = answer.locator("p").first.evaluate("p => getComputedStyle(p).direction")
    assert first_line == "rtl"  # the Urdu framing reads right to left
    # Each quoted English sentence, and the source line under it, is laid out left to right and marked English.
    assert final["status"] == "answered" and final["quotes"], final["answer"]
    quotes, sources = answer.locator("p.quote"), answer.locator("p.quote-source")
    assert quotes.count() == len(final["quotes"]) == sources.count()
    for i, quote in enumerate(final["quotes"]):
        line = quotes.nth(i)
        assert (line.get_attribute("lang"), line.get_attribute("dir")) == ("en", "ltr")
        assert line.evaluate("p => getComputedStyle(p).direction") == "ltr"
        assert quote["text"] in line.inner_text()
        assert sources.nth(i).get_attribute("lang") == "en" and sources.nth(i).inner_text() == f"— {quote['source']}"
    assert page.locator("[role=log] .sources .label").inner_text() == strings["sources"]
    assert page.locator("[role=log] summary").first.inner_text() == strings["show_quote"]
    assert page.locator("[role=log] .msg.user .who").inner_text() == strings["you"]
    # Logical properties mirror the layout: the user's bubble is indented from the right in RTL, the left in LTR.
    user = page.locator("[role=log] .msg.user")
    margins = user.evaluate("m => [getComputedStyle(m).marginLeft, getComputedStyle(m).marginRight]")
    assert margins == ["0px", "32px"]
    send_box, input_box = page.locator(".send").bounding_box(), page.locator("#sn-input").bounding_box()
    assert send_box["x"] < input_box["x"]  # the send button sits at the end of the line: the left in RTL

    page.reload()  # the choice is kept for the tab
    page.locator("#sn-panel").wait_for(state="visible")
    assert root_attrs(page)["dir"] == "rtl" and page.locator(".send").inner_text() == strings["send"]

    choose_language(page, "en")
    assert root_attrs(page)["dir"] == "ltr"
    assert user.evaluate("m => [getComputedStyle(m).marginLeft, getComputedStyle(m).marginRight]") == ["32px", "0px"]


def test_widget_options_set_language_position_and_colour(live_server, council, new_page):
    extra = 'data-language="ar" data-position="bottom-left" data-primary="#0b0c0c" data-title="Ask the council"'
    page = new_page()
    page.goto(council.put("/arabic.html", host_page(live_server.base, live_server.base, extra)))
    page.locator(".launcher").wait_for()

    assert root_attrs(page)["lang"] == "ar" and root_attrs(page)["dir"] == "rtl"
    assert page.locator(".launcher").inner_text() == widget_strings("ar")["launcher"]
    assert page.locator("#sn-title").inner_text() == "Ask the council"
    box = page.locator(".launcher").bounding_box()
    assert box["x"] < 100  # bottom-left
    background = page.locator(".launcher").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(11, 12, 12)"  # the council's colour


def test_widget_urdu_safety_line_keeps_phone_numbers_left_to_right_and_tappable(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    choose_language(page, "ur")

    line = page.locator(".safety")
    assert line.evaluate("p => getComputedStyle(p).direction") == "rtl"
    links = line.locator("a[href^='tel:']")
    assert links.all_inner_texts() == ["999", "0121 303 1888"]
    assert links.nth(1).get_attribute("href") == "tel:01213031888" and links.nth(1).get_attribute("dir") == "ltr"
    # Drawn left to right: "0121" starts left of "1888" although the sentence runs right to left.
    box = links.nth(1).evaluate(
        """a => { const r = document.createRange(); const t = a.firstChild;
                  r.setStart(t, 0); r.setEnd(t, 4); const first = r.getBoundingClientRect().left;
                  r.setStart(t, t.length - 4); r.setEnd(t, t.length);
                  return [first, r.getBoundingClientRect().left]; }"""
    )
    assert box[0] < box[1]


def test_widget_folds_the_closest_passages_of_an_unsure_reply_above_the_people_who_can_help(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    choose_language(page, "ur")
    strings = widget_strings("ur")
    # The first quote as if from a plan that has ended: its note, in Urdu, folds with it.
    note = load_locales()["ur"].text("ended_plan", period="2017–2020")
    page.route("**/api/chat/stream", marked_unsure(True, note=note))

    final = ask(page, URDU_EHCP_QUESTION)

    assert final["unsure"] is True and final["quotes"] and final["handoff"], final
    answer = page.locator("[role=log] > .msg.bot").last.locator(".answer")
    assert answer.locator("p").first.get_attribute("class") is None  # the framing, in Urdu, comes first
    fold = answer.locator("details.closest")
    order = answer.evaluate(
        "a => [...a.children].map(c => c.matches('.handoff') ? 'handoff' : c.matches('details.closest') ? 'fold' : 'p')"
    )
    # The framing announces the closest passages: the fold follows it, then the people who can help.
    assert order.index("fold") == order.index("p") + 1 and order.index("handoff") == order.index("fold") + 1
    assert fold.evaluate("d => d.open") is False
    summary = fold.locator("summary")
    assert summary.inner_text() == strings["show_closest"]
    quotes = fold.locator("p.quote")
    assert quotes.count() == len(final["quotes"])
    assert not quotes.first.is_visible()
    summary.focus()
    page.keyboard.press("Enter")  # a native disclosure: the keyboard opens it
    # The disclosure's toggle event renames the summary once it has opened (asynchronously).
    expect(summary).to_have_text(strings["hide_closest"], timeout=5000)
    assert quotes.first.is_visible()
    first = quotes.first
    assert (first.get_attribute("lang"), first.get_attribute("dir")) == ("en", "ltr")
    assert final["quotes"][0]["text"] in first.inner_text()
    flagged = fold.locator("p.quote-note")
    assert flagged.count() == 1 and flagged.inner_text() == note and flagged.is_visible()
    assert (flagged.get_attribute("lang"), flagged.get_attribute("dir")) == (None, "rtl")  # Urdu, as the page
    assert answer.evaluate("a => [...a.children].filter(c => c.matches('p.quote-note')).length") == 0
    # A reply the navigator is sure of keeps its quotes in view and the people who can help after them.
    page.unroute("**/api/chat/stream")
    page.route("**/api/chat/stream", marked_unsure(False))
    sure = ask(page, URDU_EHCP_QUESTION + " ")
    last = page.locator("[role=log] > .msg.bot").last
    assert sure["unsure"] is False and last.locator("details.closest").count() == 0
    assert last.locator(".answer p.quote").first.is_visible()
    assert last.locator(".answer .handoff").count() == 0 and last.locator(":scope > .handoff").count() == 1
