"""The widget in Debian's Chromium against the real server: keyboard use, a streamed answer announced once, working
source links, feedback stored, a conversation that survives a reload and can be cleared."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from widget_harness import EHCP_QUESTION, SHADOW, ask, deep_active, log_texts, open_with_keyboard

from navigator.answer.redaction import redact_personal_data
from navigator.languages.locales import widget_strings
from navigator.storage.conversations import ConversationStore

pytestmark = pytest.mark.model

EN = widget_strings("en")


def watch_log(page: Any) -> None:
    """Record what is added to the live region and what the streaming bubble shows, from now on."""
    page.evaluate(
        f"""() => {{
            const root = {SHADOW};
            const log = root.querySelector('[role=log]');
            const stream = root.querySelector('.stream');
            const seen = window.__snSeen = {{added: [], streamed: [], streamHidden: [], streamInLog: false}};
            new MutationObserver((records) => {{
                for (const r of records) for (const n of r.addedNodes)
                    seen.added.push({{cls: n.className, text: n.textContent}});
            }}).observe(log, {{childList: true, subtree: true}});
            new MutationObserver(() => {{
                seen.streamed.push(stream.querySelector('.text').textContent);
                seen.streamHidden.push(stream.getAttribute('aria-hidden'));
                seen.streamInLog = seen.streamInLog || Boolean(stream.closest('[role=log]'));
            }}).observe(stream, {{subtree: true, childList: true, characterData: true, attributes: true}});
        }}"""
    )


def test_widget_opens_with_the_keyboard_and_escape_returns_focus(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")

    launcher = page.locator(".launcher")
    assert launcher.get_attribute("aria-expanded") == "true"
    assert launcher.get_attribute("aria-controls") == "sn-panel"
    assert launcher.inner_text() == EN["launcher"]
    panel = page.locator("#sn-panel")
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "false"
    assert page.locator("#sn-title").inner_text() == EN["title"]  # aria-labelledby names the dialog
    assert deep_active(page)["id"] == "sn-input"
    assert page.get_by_label(EN["input_label"]).get_attribute("id") == "sn-input"  # a visible, linked label

    page.keyboard.press("Escape")

    assert panel.is_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert "launcher" in deep_active(page)["cls"]

    page.keyboard.press(" ")  # Space opens it too
    panel.wait_for(state="visible")
    assert deep_active(page)["id"] == "sn-input"
    page.keyboard.press("Shift+Tab")  # backwards from the message box stays in the panel
    assert deep_active(page)["host"]


def test_widget_streams_the_answer_and_announces_it_once(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    watch_log(page)

    final = ask(page, EHCP_QUESTION)

    whole = httpx.post(live_server.base + "/api/chat", json={"message": EHCP_QUESTION}).json()
    assert (final["status"], final["answer"], final["citations"]) == (
        whole["status"],
        whole["answer"],
        whole["citations"],
    )  # the widget parsed the stream's final event into the server's reply
    seen = page.evaluate("window.__snSeen")
    top_level = [a for a in seen["added"] if a["cls"].startswith("msg")]
    assert [a["cls"] for a in top_level] == ["msg user", "msg bot"]  # one addition per message, nothing more
    assert len(seen["added"]) == 2
    assert EHCP_QUESTION in top_level[0]["text"]
    assert "within 20 weeks" in top_level[1]["text"]  # the reply entered the live region complete
    streamed = [text for text in seen["streamed"] if text and text != EN["thinking"]]
    assert streamed, "no delta was shown while streaming"
    assert all(final["answer"].startswith(text) for text in streamed)  # the bubble grew with the deltas
    assert set(seen["streamHidden"]) == {"true"} and seen["streamInLog"] is False
    assert page.locator(".stream").is_hidden()

    answer = page.locator("[role=log] > .msg.bot .answer")
    assert re.sub(r"\s+", " ", answer.inner_text()).strip() == re.sub(r"\s+", " ", final["answer"]).strip()
    assert page.locator("[role=log]").get_attribute("aria-live") == "polite"
    assert deep_active(page)["id"] == "sn-input"  # focus stays in the message box


def test_widget_source_links_quotes_glossary_and_contacts(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    final = ask(page, EHCP_QUESTION)
    citation = next(c for c in final["citations"] if c["doc_id"] == "ehcp-timescales")

    marker = page.locator(f"a.cite[aria-label='{EN['citation_link'].format(n=citation['n'])}']").first
    assert marker.inner_text() == f"[{citation['n']}]"
    marker.focus()
    page.keyboard.press("Enter")

    active = deep_active(page)
    assert active["tag"] == "li" and active["id"].endswith(f"-s{citation['n']}")
    source = page.locator(f"li#{active['id']}")
    # The section's readable heading, as quotes' source lines name it, not the path of headings.
    assert " > " in citation["section"] and citation["section_label"] == "Education, health and care plans"
    assert citation["title"] in source.inner_text() and citation["section"] not in source.inner_text()
    assert EN["source_section"].format(section=citation["section_label"]) in source.inner_text()
    link = source.locator("a.source-link")
    assert link.get_attribute("href") == citation["url"] == "https://example.org/ehcp-timescales"
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert source.is_visible()

    quote = source.locator("blockquote")
    assert quote.is_hidden()
    summary = source.locator("summary")
    assert summary.inner_text() == EN["show_quote"]
    summary.focus()
    page.keyboard.press("Enter")
    assert quote.is_visible() and quote.inner_text() == citation["quote"] == live_server.chunk_texts["ehcp-timescales"]
    # <details> fires its toggle event as a queued task, so the label changes a moment after the quote opens.
    expect(summary).to_have_text(EN["hide_quote"], timeout=5000)
    assert summary.inner_text() == EN["hide_quote"]

    glossary = page.locator("[role=log] .glossary")
    assert final["glossary"]
    for note in final["glossary"]:
        assert note["explanation"] in glossary.inner_text() and note["term"] in glossary.inner_text()
    handoff = page.locator("[role=log] .handoff a")
    hrefs = handoff.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert [h["url"] for h in final["handoff"] if h["url"]] == [h for h in hrefs if h.startswith("http")]


def test_widget_contacts_are_tappable_phone_links(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")

    final = ask(page, "My daughter has been self-harming and I'm scared")

    assert final["status"] == "safeguarding"
    phones = [h for h in final["handoff"] if h["phone"]]
    assert phones and all(h["line"] in final["answer"].split("\n") for h in final["handoff"])
    reply = page.locator("[role=log] > .msg.bot").last
    # Each service is one item of the reply, in its own words, its number a link; no second list repeats them.
    items = reply.locator(".answer ul.contacts li")
    assert items.all_inner_texts() == [h["line"] for h in final["handoff"]]
    assert reply.locator(".handoff").count() == 0
    for contact in phones:
        digits = re.sub(r"[^\d+]", "", contact["phone"])
        link = reply.locator(f".answer ul.contacts a[href='tel:{digits}']")
        assert link.inner_text() == contact["phone"] and link.get_attribute("dir") == "ltr"


def test_widget_shows_the_safety_line_under_the_transcript_whatever_the_reply(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    line = page.locator(".safety")
    served = httpx.get(live_server.base + "/api/widget/strings?lang=en").json()["strings"]["safety_line"]
    assert line.is_visible() and line.inner_text() == served
    assert "999" in served and "0121 303 1888" in served

    final = ask(page, "What's the weather tomorrow?")  # not a SEND question: the line stays all the same
    assert final["status"] == "out_of_scope"
    assert line.is_visible() and line.inner_text() == served
    # It sits below the transcript and above the message box.
    box = {name: page.locator(sel).bounding_box() for name, sel in (("log", ".scroller"), ("form", "form"))}
    position = line.bounding_box()
    assert box["log"] and box["form"] and position
    assert box["log"]["y"] < position["y"] < box["form"]["y"]


def test_widget_feedback_is_posted_and_stored(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    final = ask(page, EHCP_QUESTION)
    message = page.locator("[role=log] > .msg.bot").last
    useful = message.get_by_role("button", name=EN["useful"], exact=True)
    not_useful = message.get_by_role("button", name=EN["not_useful"], exact=True)
    assert useful.get_attribute("aria-pressed") == not_useful.get_attribute("aria-pressed") == "false"

    not_useful.click()
    assert not_useful.get_attribute("aria-pressed") == "true" and useful.get_attribute("aria-pressed") == "false"
    message.get_by_label(EN["feedback_comment"]).fill("The deadline was what I needed")
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as posted:
        message.get_by_role("button", name=EN["feedback_send"]).click()

    assert posted.value.status == 201
    thanks = message.get_by_role("status")
    thanks.wait_for()
    assert thanks.inner_text() == EN["feedback_thanks"]
    assert message.get_by_role("button", name=EN["useful"], exact=True).count() == 0
    store = ConversationStore(live_server.settings.database_path, retention_days=30, redact=redact_personal_data)
    try:
        rows = [
            row
            for row in store.export_feedback()
            if row["conversation_id"] == final["conversation_id"] and row["message_index"] == final["message_index"]
        ]
    finally:
        store.close()
    assert len(rows) == 1
    assert rows[0]["useful"] is False and rows[0]["comment"] == "The deadline was what I needed"
    assert rows[0]["answer"] == final["answer"]

    page.reload()  # the thank-you, not the buttons again, after a reload
    page.locator("[role=log] > .msg.bot .thanks").wait_for()


def test_widget_conversation_survives_a_reload_and_can_be_cleared(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    first = ask(page, EHCP_QUESTION)
    before = log_texts(page)

    page.reload()
    page.locator("#sn-panel").wait_for(state="visible")  # it was open, so it opens again

    assert log_texts(page) == before and len(before) == 2
    assert page.locator(".launcher").get_attribute("aria-expanded") == "true"
    page.locator("a.cite").first.click()
    assert deep_active(page)["tag"] == "li"
    with page.expect_request(lambda r: r.url.endswith("/api/chat/stream")) as request:
        followup = ask(page, "And how long do parents have to comment on the draft?")
    assert request.value.post_data_json["conversation_id"] == first["conversation_id"]
    assert followup["conversation_id"] == first["conversation_id"] and followup["message_index"] == 1

    page.get_by_role("button", name=EN["clear"]).click()

    assert log_texts(page) == []
    assert page.locator("[role=status]").first.inner_text() == EN["cleared"]
    assert deep_active(page)["id"] == "sn-input"
    page.reload()
    page.locator("#sn-panel").wait_for(state="visible")
    assert log_texts(page) == []
    with page.expect_request(lambda r: r.url.endswith("/api/chat/stream")) as request:
        ask(page, EHCP_QUESTION)
    assert request.value.post_data_json["conversation_id"] is None  # cleared: a new conversation


STREAM_CASES = [
    # (chunks as they arrive, frames the widget must see)
    (['event: delta\ndata: {"text":"Hel"}\n\nevent: del', 'ta\ndata: {"text":"lo"}\n\n'],
     [["delta", '{"text":"Hel"}'], ["delta", '{"text":"lo"}']]),
    (["event: final\r\ndata: {\"a\":\r", "\ndata: 1}\r\n\r\n"], [["final", '{"a":\n1}']]),
    ([": keep-alive comment\n\nevent: delta\n\n", 'data:{"text":"x"}'], [["message", '{"text":"x"}']]),
]


@pytest.mark.parametrize(("chunks", "expected"), STREAM_CASES)
def test_widget_stream_parser_frames_chunks_however_they_are_cut(live_server, new_page, chunks, expected):
    """The widget's pure event-stream parser, run in Chromium as the widget runs it: chunk by chunk, then the end."""
    page = new_page()
    page.goto(live_server.base + "/")
    page.wait_for_function("Boolean(customElements.get('send-navigator'))")
    frames = page.evaluate(
        """(chunks) => {
            const parse = customElements.get("send-navigator").parseFrames;
            const seen = [];
            let rest = "";
            for (const chunk of chunks) {
                const out = parse(rest + chunk);
                out.frames.forEach((f) => seen.push([f.event, f.data]));
                rest = out.rest;
            }
            parse(rest, true).frames.forEach((f) => seen.push([f.event, f.data]));
            return seen;
        }""",
        chunks,
    )
    assert frames == expected
