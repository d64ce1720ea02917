"""The browser tests' harness: a small corpus with hostile markup, the real server on loopback, page helpers."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn
from langchain_core.embeddings import Embeddings

from navigator import assembly
from navigator.config import Settings
from navigator.models.e5_small import E5_SMALL_NAME
from navigator.retrieval.index_build import build_index
from navigator.retrieval.searcher import Searcher
from navigator.testing import chat_corpus, make_document

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = "no /usr/bin/chromium: install Debian's chromium (`apt-get install -y chromium`; .ci/run does)"

# Hostile text in the corpus: if the widget ever parsed server text as HTML, these would run and set the flag.
PWNED_FLAG = "__snPwned"
HOSTILE_IMG = f'<img src=x onerror="window.{PWNED_FLAG}=1">'
HOSTILE_SCRIPT = f"<script>window.{PWNED_FLAG}=2</script>"
HOMEWORK_QUESTION = "Are there homework clubs after school for children with special educational needs?"
EHCP_QUESTION = "How long does the council have to issue an EHC plan?"
URDU_EHCP_QUESTION = "EHC پلان جاری کرنے میں کتنے ہفتے لگتے ہیں؟"


def _doc(doc_id: str, title: str, headings: list[str], text: str, url: str | None = None):
    return make_document(doc_id, title, [(headings, text)], url=url or f"https://example.org/{doc_id}")


DOCUMENTS = [
    *chat_corpus(),
    _doc(
        "homework-clubs",
        f"Homework clubs {HOSTILE_IMG}",
        ["After school", f"Clubs {HOSTILE_SCRIPT}"],
        "Homework clubs after school help children with special educational needs to finish their homework with "
        f"support from trained staff. One parent typed {HOSTILE_IMG} and {HOSTILE_SCRIPT} into the club's "
        "feedback form, which shows why pages must treat text as text. The homework clubs meet on Tuesdays and "
        "Thursdays in term time.",
        url=f"javascript:window.{PWNED_FLAG}=3",
    ),
]


@dataclass
class LiveServer:
    """The real API on loopback: its base URL, settings and the index it serves."""

    base: str
    port: int
    settings: Settings
    chunk_texts: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_searcher(settings: Settings, e5: Embeddings) -> tuple[Searcher, dict[str, str]]:
    chunking = {"max_words": settings.chunking.max_words, "overlap_sentences": settings.chunking.overlap_sentences}
    build_index(DOCUMENTS, e5, settings.index_dir, model_id=E5_SMALL_NAME, **chunking)
    searcher = assembly.build_searcher(settings, e5)
    return searcher, {c.doc_id: c.text for c in searcher.index.chunks}


class ThreadedServer:
    """uvicorn serving an app from a thread, on an already bound socket."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


# ---- helpers for the test modules ----------------------------------------------------------------------


def deep_active(page: Any) -> dict[str, Any]:
    """The focused element, looking inside the widget's shadow root: tag, id, class and text."""
    return page.evaluate(
        """() => {
            let el = document.activeElement;
            while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
            return el ? {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className || "",
                         text: (el.textContent || "").trim(), host: el.getRootNode() !== document} : {};
        }"""
    )


def host_page(script_origin: str, api: str, extra: str = "", body: str = "") -> str:
    """A minimal council page that embeds the widget with its script tag."""
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Council test page</title>'
        f'<script src="{script_origin}/widget/navigator.js" data-api="{api}" {extra} defer></script></head>'
        f"<body><main><h1>Council page</h1><p>Some council text.</p>{body}</main></body></html>"
    )


class CouncilPages:
    """A real HTTP server on loopback serving test pages: a council website on another origin than the API.

    Pages come from a real server rather than browser interception, so Chromium places them in the loopback
    address space, as it would a council page served from this machine.
    """

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                html = pages.get(self.path.split("?")[0])
                body = (html or "not found").encode("utf-8")
                self.send_response(200 if html is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> CouncilPages:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def put(self, path: str, html: str, *, host: str = "127.0.0.1") -> str:
        """Serve ``html`` at ``path``; returns its URL (``host="localhost"`` gives an origin not in the CORS list)."""
        self.pages[path] = html
        return f"http://{host}:{self.port}{path}"


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A loopback server that accepts connections and never answers (an API that is up but far too slow)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(sock.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        sock.close()


# ---- driving the widget ------------------------------------------------------------------------------------

SHADOW = "document.querySelector('send-navigator').shadowRoot"


def open_with_keyboard(page: Any, url: str) -> None:
    """Load the page, Tab to the launcher as a keyboard user would, and press Enter."""
    page.goto(url)
    page.locator(".launcher").wait_for()
    for _ in range(40):
        page.keyboard.press("Tab")
        if "launcher" in deep_active(page).get("cls", ""):
            break
    else:
        raise AssertionError("Tab never reached the launcher")
    page.keyboard.press("Enter")
    page.locator("#sn-panel").wait_for(state="visible")


def ask(page: Any, question: str) -> dict[str, Any]:
    """Type into the message box, press Enter, wait for the finished reply; returns the reply the widget received.

    The reply is read from the widget's session storage: Chromium cannot always hand a streamed fetch body to the
    test. Tests check it against the index and against ``POST /api/chat`` where it matters.
    """
    count = bot_count(page)
    box = page.locator("#sn-input")
    box.fill(question)
    with page.expect_response(lambda r: r.url.endswith("/api/chat/stream")) as response:
        box.press("Enter")
    assert response.value.status == 200
    assert response.value.headers["content-type"].startswith("text/event-stream")
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('[role=log] > .msg.bot').length > {count}")
    return stored_state(page)["messages"][-1]["reply"]


def stored_state(page: Any) -> dict[str, Any]:
    """The widget's conversation state in the tab's session storage."""
    raw = page.evaluate(
        "() => Object.keys(sessionStorage).filter(k => k.startsWith('send-navigator:')).map(k => sessionStorage[k])"
    )
    assert len(raw) == 1, raw
    return json.loads(raw[0])


def bot_count(page: Any) -> int:
    return int(page.evaluate(f"{SHADOW}.querySelectorAll('[role=log] > .msg.bot').length"))


def log_texts(page: Any) -> list[str]:
    return page.evaluate(f"[...{SHADOW}.querySelectorAll('[role=log] > .msg')].map(m => m.textContent)")


def rewritten_final(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], None]:
    """A route handler passing the real streamed reply through, its final event's reply changed by ``change``."""
    def handle(route: Any) -> None:
        response = route.fetch()
        events = response.text().split("\n\n")
        for i, event in enumerate(events):
            if event.startswith("event: final"):
                head, data = event.split("\ndata: ", 1)
                reply = json.loads(data)
                change(reply)
                events[i] = f"{head}\ndata: {json.dumps(reply, ensure_ascii=False)}"
        route.fulfill(response=response, body="\n\n".join(events))

    return handle


def marked_unsure(unsure: bool, note: str | None = None) -> Callable[[Any], None]:
    """The real reply marked sure or unsure; with ``note``, that note under its first quote's source line."""
    def change(reply: dict[str, Any]) -> None:
        reply["unsure"] = unsure
        if note is not None and reply["quotes"]:
            first = reply["quotes"][0]
            first["note"] = note
            source = f"— {first['source']}"
            lines = reply["answer"].split("\n")
            at = next(i for i, line in enumerate(lines) if line == source)
            reply["answer"] = "\n".join([*lines[: at + 1], note, *lines[at + 1 :]])

    return rewritten_final(change)
