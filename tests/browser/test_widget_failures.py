"""When the API is down, slow or on an origin that is not allowed: a localised role="alert" message, a Retry button,
and the question kept in the message box."""

from __future__ import annotations

import pytest
from widget_harness import (
    EHCP_QUESTION,
    SHADOW,
    URDU_EHCP_QUESTION,
    ask,
    free_port,
    host_page,
    log_texts,
    open_with_keyboard,
    silent_server,
)

from navigator.languages.locales import widget_strings

pytestmark = pytest.mark.model

EN = widget_strings("en")
UR = widget_strings("ur")


def send(page, text: str) -> None:
    box = page.locator("#sn-input")
    box.fill(text)
    box.press("Enter")


def alert_text(page) -> str:
    return page.locator("[role=alert]").inner_text()


def test_widget_api_down_shows_the_offline_message_and_keeps_the_question(live_server, council, new_page):
    page = new_page()
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the API is down
    url = council.put("/down.html", host_page(live_server.base, closed, 'data-timeout="5000"'))
    open_with_keyboard(page, url)

    send(page, EHCP_QUESTION)

    alert = page.locator("[role=alert]")
    alert.wait_for()
    assert alert.inner_text() == EN["error_offline"]
    retry = page.get_by_role("button", name=EN["retry"])
    assert retry.is_visible()
    assert page.locator("#sn-input").input_value() == EHCP_QUESTION  # nothing lost
    assert log_texts(page) == []  # the unsent question is back in the box, not shown as sent

    retry.click()  # still down: the same message, the question still there
    page.wait_for_function(f"() => {SHADOW}.querySelector('[role=alert]').textContent !== ''")
    assert alert_text(page) == EN["error_offline"]
    assert page.locator("#sn-input").input_value() == EHCP_QUESTION


def test_widget_connection_lost_in_urdu_then_retry_succeeds(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    picker = page.locator("#sn-lang")
    picker.select_option("ur")
    page.wait_for_function(f"() => {SHADOW}.querySelector('.root').getAttribute('dir') === 'rtl'")
    page.route("**/api/chat/stream", lambda route: route.abort("connectionrefused"))

    send(page, URDU_EHCP_QUESTION)

    page.locator("[role=alert]").wait_for()
    assert alert_text(page) == UR["error_offline"]  # localised
    assert page.locator("#sn-input").input_value() == URDU_EHCP_QUESTION
    retry = page.get_by_role("button", name=UR["retry"])

    page.unroute("**/api/chat/stream")
    with page.expect_response(lambda r: r.url.endswith("/api/chat/stream")):
        retry.click()
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('[role=log] > .msg.bot').length === 1")

    assert alert_text(page) == ""
    assert retry.is_hidden()
    assert page.locator("#sn-input").input_value() == ""
    assert URDU_EHCP_QUESTION in log_texts(page)[0]


def test_widget_slow_api_times_out_with_a_retry(live_server, council, new_page):
    page = new_page()
    with silent_server() as port:
        url = council.put("/slow.html", host_page(live_server.base, f"http://127.0.0.1:{port}", 'data-timeout="1500"'))
        page.goto(url)
        page.locator(".launcher").click()  # shown in English once the strings request times out
        send(page, EHCP_QUESTION)

        page.locator("[role=alert]").wait_for(timeout=10_000)

        assert alert_text(page) == EN["error_slow"]
        assert page.get_by_role("button", name=EN["retry"]).is_visible()
        assert page.locator("#sn-input").input_value() == EHCP_QUESTION
        assert page.locator(".stream").is_hidden()


def test_widget_text_typed_while_waiting_is_kept_with_the_question(live_server, new_page):
    page = new_page()
    open_with_keyboard(page, live_server.base + "/")
    held = []
    page.route("**/api/chat/stream", lambda route: held.append(route))  # hangs until the test lets it fail

    send(page, EHCP_QUESTION)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    page.locator("#sn-input").fill("and for a child under five?")  # typed while waiting
    held[0].abort("connectionrefused")
    page.locator("[role=alert]").wait_for()

    assert page.locator("#sn-input").input_value() == EHCP_QUESTION + "\nand for a child under five?"
    page.unroute("**/api/chat/stream")
    final = ask(page, EHCP_QUESTION)
    assert final["status"] == "answered" and alert_text(page) == ""


def test_widget_works_from_an_allowed_origin_only(live_server, council, new_page):
    html = host_page(live_server.base, live_server.base)
    allowed = council.put("/council.html", html)  # its origin is in cors_origins
    refused = council.put("/council.html", html, host="localhost")  # same page, an origin that is not

    page = new_page()
    open_with_keyboard(page, allowed)
    with page.expect_response(lambda r: r.url.endswith("/api/chat/stream")) as response:
        send(page, EHCP_QUESTION)
    assert response.value.headers["access-control-allow-origin"] == council.origin
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('[role=log] > .msg.bot').length === 1")
    assert "within 20 weeks" in log_texts(page)[1]

    other = new_page()
    console: list[str] = []
    other.on("console", lambda message: console.append(message.text))
    open_with_keyboard(other, refused)
    send(other, EHCP_QUESTION)
    other.locator("[role=alert]").wait_for()
    assert alert_text(other) == EN["error_offline"]
    assert other.locator("#sn-input").input_value() == EHCP_QUESTION
    assert any("No 'Access-Control-Allow-Origin' header" in line for line in console), console  # refused by CORS
