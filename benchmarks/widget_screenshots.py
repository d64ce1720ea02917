"""Screenshots of the widget with an answer, for the README: English and Urdu, desktop (1280×800) and phone (375×740).

Needs the model and the index (`make model`, `navigator index build`), Debian's Chromium (/usr/bin/chromium) and the
dev extras (Playwright). Urdu glyphs need a font with Arabic script (Debian: `apt-get install fonts-noto-core`).

    python benchmarks/widget_screenshots.py [--out docs/screenshots]

The real app (the configured index, a throwaway conversation database) is served on a free loopback port; the
same questions are asked each time, with reduced motion, so a re-run gives the same pictures unless the widget,
the corpus or the strings changed.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

from navigator.api.app import create_app
from navigator.config import get_settings

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"desktop": (1280, 800), "phone": (375, 740)}
QUESTIONS = {
    "en": "How long does the council have to issue an EHC plan?",
    "ur": "EHC پلان جاری کرنے میں کتنے ہفتے لگتے ہیں؟",
}
SHADOW = "document.querySelector('send-navigator').shadowRoot"


def serve(database: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The app with the configured index on 127.0.0.1:<free port>, started in a thread."""
    settings = get_settings().model_copy(update={"database_path": database})
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sys.exit("the server did not start: is the index built? (navigator index build)")
        time.sleep(0.1)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    httpx.post(base + "/api/chat", json={"message": "Hello"}, timeout=300).raise_for_status()  # build the chat service
    return server, thread, base


def shoot(page: Page, base: str, lang: str, out: Path) -> None:
    page.goto(base + "/")
    page.locator(".launcher").click()
    if lang != "en":
        page.locator("#sn-lang").select_option(lang)
        page.wait_for_function(f"() => {SHADOW}.querySelector('.root').getAttribute('lang') === '{lang}'")
    page.locator("#sn-input").fill(QUESTIONS[lang])
    page.locator("#sn-input").press("Enter")
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('[role=log] > .msg.bot').length === 1", timeout=60_000)
    # Start the view at the question, so the answer and its first sources are in the picture.
    page.evaluate(f"() => {SHADOW}.querySelector('[role=log] > .msg.user').scrollIntoView({{block: 'start'}})")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(out))
    print(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server, thread, base = serve(Path(tmp) / "screenshots.sqlite3")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for size, (width, height) in SIZES.items():
                    for lang in QUESTIONS:
                        context = browser.new_context(
                            viewport={"width": width, "height": height}, reduced_motion="reduce", locale="en-GB"
                        )
                        shoot(context.new_page(), base, lang, out / f"widget-{lang}-{size}.png")
                        context.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
