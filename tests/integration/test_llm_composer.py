"""The LLM composer against a real OpenAI-compatible server on loopback: citations, fallbacks and the prompt."""

from __future__ import annotations

import socket
import time

import pytest
from openai_server import OpenAICompatibleServer
from pydantic import ValidationError

from navigator.answer.base import Citation, Composition, CompositionRequest, Passage
from navigator.answer.generative import LLMComposer
from navigator.assembly import llm_composer
from navigator.config import LLMSettings, Settings
from navigator.errors import ComposerUnavailableError
from navigator.retrieval.base import Chunk

EHCP_URL = "https://www.localofferbirmingham.co.uk/ehcp"
SENDIASS_URL = "https://www.birmingham.gov.uk/sendiass"
TRANSPORT_URL = "https://www.birmingham.gov.uk/travel-assist"


def _chunk(doc_id: str, title: str, url: str, heading: str, text: str) -> Chunk:
    return Chunk(f"{doc_id}#0", doc_id, title, url, (title, heading), text, (text,))


PASSAGES = (
    Passage(
        1,
        _chunk(
            "ehcp", "EHC plans", EHCP_URL, "Asking for an assessment", "Parents can ask for an EHC needs assessment."
        ),
        0.9,
    ),
    Passage(
        2, _chunk("sendiass", "SENDIASS", SENDIASS_URL, "Free advice", "SENDIASS gives free, impartial advice."), 0.8
    ),
    Passage(
        3,
        _chunk(
            "travel",
            "Travel assistance",
            TRANSPORT_URL,
            "Who can get it",
            "Some children get help to travel to school.",
        ),
        0.7,
    ),
)


def _request(language: str = "en", question: str = "How do I ask for an EHC plan?") -> CompositionRequest:
    return CompositionRequest(question=question, language=language, passages=PASSAGES)


def _composer(server: OpenAICompatibleServer, timeout: float = 5.0) -> LLMComposer:
    settings = LLMSettings(provider="openai", base_url=server.base_url, model="test-model", timeout_seconds=timeout)
    composer = llm_composer(settings)
    assert composer is not None
    return composer


def _stream(composer: LLMComposer, request: CompositionRequest) -> tuple[list[str], Composition]:
    items = list(composer.stream(request))
    *deltas, final = items
    assert all(isinstance(delta, str) for delta in deltas)
    assert isinstance(final, Composition)
    return [str(delta) for delta in deltas], final


def test_llm_composer_cites_the_passages_the_reply_names(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "You can ask for an assessment [1]. SENDIASS can help for free [2]."

    composition = _composer(openai_server).compose(_request())

    assert composition.grounded
    assert composition.text == "You can ask for an assessment [1]. SENDIASS can help for free [2]."
    assert composition.citations == (Citation.of(1, PASSAGES[0].chunk), Citation.of(2, PASSAGES[1].chunk))


def test_llm_composer_drops_an_invented_marker(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "You can ask for an assessment [1]. The deadline is 6 weeks [9]."
    composer = _composer(openai_server)

    composition = composer.compose(_request())
    deltas, final = _stream(composer, _request())

    assert composition.text == "You can ask for an assessment [1]. The deadline is 6 weeks."
    assert [citation.n for citation in composition.citations] == [1]
    assert "[9]" not in "".join(deltas)
    assert len(deltas) > 1  # really streamed, not one block
    assert "".join(deltas) == final.text == composition.text
    assert final.citations == composition.citations


def test_llm_composer_stream_survives_markers_split_across_deltas(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "Ask the school first [9]. Then ask the council [3][1, 9]."
    openai_server.behaviour.delta_chars = 1

    deltas, final = _stream(_composer(openai_server), _request())

    assert "".join(deltas) == final.text == "Ask the school first. Then ask the council [1][2]."
    assert "9" not in "".join(deltas)


def test_llm_composer_renumbers_by_first_appearance(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "Help with travel exists [3]. Advice is free [2][3]."

    composition = _composer(openai_server).compose(_request())

    assert composition.text == "Help with travel exists [1]. Advice is free [2][1]."
    assert composition.citations == (Citation.of(1, PASSAGES[2].chunk), Citation.of(2, PASSAGES[1].chunk))


def test_llm_composer_not_found_is_ungrounded(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "NOT_FOUND"
    composer = _composer(openai_server)

    deltas, final = _stream(composer, _request())

    assert composer.compose(_request()) == Composition(text="", citations=(), grounded=False)
    assert deltas == []
    assert not final.grounded


def test_llm_composer_removes_urls_not_in_the_passages(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = f"Apply online at https://evil.example.com/apply [1]. Details: {EHCP_URL}."
    composer = _composer(openai_server)

    composition = composer.compose(_request())
    deltas, final = _stream(composer, _request())

    assert "evil" not in composition.text
    assert composition.text == f"Apply online at [1]. Details: {EHCP_URL}."
    assert "".join(deltas) == final.text == composition.text


def test_llm_composer_times_out_quickly(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.delay_seconds = 10
    composer = _composer(openai_server, timeout=1.0)

    started = time.monotonic()
    with pytest.raises(ComposerUnavailableError, match="did not answer") as caught:
        composer.compose(_request())
    with pytest.raises(ComposerUnavailableError):
        list(composer.stream(_request()))

    assert time.monotonic() - started < 6  # two tries of ~1 s each, no retries
    assert openai_server.base_url in str(caught.value)
    assert "extractive answer is used instead" in str(caught.value)


@pytest.mark.parametrize("failure", ["status", "malformed"])
def test_llm_composer_server_errors_become_unavailable(openai_server: OpenAICompatibleServer, failure: str) -> None:
    if failure == "status":
        openai_server.behaviour.status = 500
    else:
        openai_server.behaviour.malformed = True
    composer = _composer(openai_server)

    with pytest.raises(ComposerUnavailableError):
        composer.compose(_request())
    with pytest.raises(ComposerUnavailableError):
        list(composer.stream(_request()))
    assert len(openai_server.requests) == 2  # max_retries=0: one request per call


def test_llm_composer_connection_refused_becomes_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and now has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = LLMSettings(provider="openai", base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout_seconds=2)
    composer = llm_composer(settings)
    assert composer is not None

    with pytest.raises(ComposerUnavailableError, match=f"127.0.0.1:{port}"):
        composer.compose(_request())
    with pytest.raises(ComposerUnavailableError):
        list(composer.stream(_request()))


def test_llm_composer_prompt_has_the_passages_question_and_language(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "آپ تشخیص کی درخواست کر سکتے ہیں [1]۔"

    composition = _composer(openai_server).compose(_request(language="ur", question="EHC پلان کیسے ملتا ہے؟"))

    assert composition.grounded
    (received,) = openai_server.requests
    assert received.body["model"] == "test-model"
    assert received.body.get("stream") in (None, False)
    prompt = received.prompt
    assert "Urdu" in prompt
    assert "EHC پلان کیسے ملتا ہے؟" in prompt
    assert f"[1] EHC plans > EHC plans > Asking for an assessment ({EHCP_URL})" in prompt
    assert "[3] Travel assistance" in prompt
    for passage in PASSAGES:
        assert passage.chunk.text in prompt
    assert "NOT_FOUND" in prompt


def test_llm_composer_stream_sends_a_streaming_request(openai_server: OpenAICompatibleServer) -> None:
    openai_server.behaviour.reply = "Advice is free [2]."

    deltas, final = _stream(_composer(openai_server), _request(language="pl"))

    assert "".join(deltas) == final.text == "Advice is free [1]."
    (received,) = openai_server.requests
    assert received.body["stream"] is True
    assert "Polish" in received.prompt


def test_llm_composer_follows_the_provider() -> None:
    assert llm_composer(LLMSettings()) is None
    openai = llm_composer(LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1", model="m"))
    ollama = llm_composer(LLMSettings(provider="ollama", base_url="http://127.0.0.1:11434", model="m"))
    assert openai is not None and openai.name == "llm"
    assert ollama is not None and ollama.name == "llm"


def test_llm_settings_need_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_LLM__PROVIDER", "openai")
    monkeypatch.setenv("NAVIGATOR_LLM__MODEL", "qwen2.5")
    monkeypatch.delenv("NAVIGATOR_LLM__BASE_URL", raising=False)

    with pytest.raises(ValidationError, match="NAVIGATOR_LLM__BASE_URL"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="NAVIGATOR_LLM__MODEL"):
        LLMSettings(provider="ollama", base_url="http://127.0.0.1:11434")
    monkeypatch.setenv("NAVIGATOR_LLM__BASE_URL", "http://127.0.0.1:8080/v1")
    assert Settings(_env_file=None).llm.provider == "openai"  # type: ignore[call-arg]
