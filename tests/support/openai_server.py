"""A real OpenAI-compatible chat server on 127.0.0.1 for tests: scripted replies, delays, errors, recorded requests."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from loopback_server import LoopbackServer


@dataclass
class ScriptedBehaviour:
    """What the server does with the next requests; tests change it between calls."""

    reply: str = "An EHC plan sets out support [1]."
    delay_seconds: float = 0.0  # wait this long before answering (to trip the client's timeout)
    status: int = 200  # anything but 200 answers with an OpenAI-style error body
    malformed: bool = False  # answer 200 with a body that is not JSON
    delta_chars: int = 3  # characters per streamed delta


@dataclass
class RecordedRequest:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        """Every message's content, joined: what the model was asked."""
        return "\n".join(str(message.get("content", "")) for message in self.body.get("messages", []))


@dataclass
class OpenAICompatibleServer:
    """``POST /v1/chat/completions`` (streamed or not) served from a background thread."""

    behaviour: ScriptedBehaviour = field(default_factory=ScriptedBehaviour)
    requests: list[RecordedRequest] = field(default_factory=list)
    _server: LoopbackServer | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (``http://127.0.0.1:<port>/v1``)."""
        assert self._server is not None, "server not started"
        return f"{self._server.origin}/v1"

    def start(self) -> OpenAICompatibleServer:
        """Listen on a free loopback port."""
        server = self

        class Handler(_ChatHandler):
            owner = server

        self._server = LoopbackServer(Handler, "openai-test-server")
        return self

    def stop(self) -> None:
        """Release delayed handlers, stop serving and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.stop()


class _ChatHandler(BaseHTTPRequestHandler):
    owner: OpenAICompatibleServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        # The client may give up first (its timeout is shorter than the delay): that is the point of the test.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = json.loads(raw) if raw else {}
        owner = self.owner
        owner.requests.append(RecordedRequest(self.path, dict(self.headers.items()), body))
        behaviour = owner.behaviour
        if behaviour.delay_seconds and owner._stopping.wait(behaviour.delay_seconds):
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        elif behaviour.status != 200:
            self._send_json(behaviour.status, {"error": {"message": "scripted failure", "type": "server_error"}})
        elif behaviour.malformed:
            self._send_bytes(200, b"<html>this is not JSON", "application/json")
        elif body.get("stream"):
            self._send_stream(body, behaviour)
        else:
            self._send_json(200, _completion(body, behaviour.reply))

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, body: dict[str, Any], behaviour: ScriptedBehaviour) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
        text, step = behaviour.reply, max(1, behaviour.delta_chars)
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": text[i : i + step]} for i in range(0, len(text), step)]
        for delta in deltas:
            self._send_event(_chunk(body, delta, None))
        self._send_event(_chunk(body, {}, "stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _send_event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()


def _completion(body: dict[str, Any], reply: str) -> dict[str, Any]:
    words = len(reply.split())
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop", "logprobs": None}
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": words, "total_tokens": 100 + words},
    }


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
    }
