"""The LLM composer's checks: marker filtering and renumbering, URL removal, NOT_FOUND, and the streaming filter."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from navigator.answer.base import Citation, Composition, CompositionRequest, Passage
from navigator.answer.citation_check import CitationStreamFilter, postprocess_reply
from navigator.answer.generative import LANGUAGE_NAMES, LLMComposer, build_messages
from navigator.errors import ComposerUnavailableError
from navigator.languages.detection import SUPPORTED
from navigator.retrieval.base import Chunk

URL_A = "https://www.localofferbirmingham.co.uk/ehcp"
URL_B = "https://www.birmingham.gov.uk/sendiass"


def _passage(n: int, url: str | None) -> Passage:
    text = f"Passage {n} text."
    return Passage(n, Chunk(f"c{n}", f"doc{n}", f"Title {n}", url, (f"Title {n}", f"Section {n}"), text, (text,)), 1.0)


PASSAGES = (_passage(1, URL_A), _passage(2, URL_B), _passage(3, None))

TRICKY_REPLIES = (
    "An EHC plan is a legal document [1]. Ask the school [1, 9]. Invented [9]. Free advice [3][2].",
    "NOT_FOUND",
    "[ not a marker ] but this is [2]. See https://evil.example.com/x and " + URL_A + ".",
    "Full-width 【2】 and ［1］ markers; a range [1-3]; Arabic digits [٣].\n\n[9] at a line start.",
    "No citation at all, so nothing is shown.",
    "Trailing http",
)


def _markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def _feed(chunks: Iterable[str], passages: tuple[Passage, ...] = PASSAGES) -> tuple[list[str], Composition]:
    checker = CitationStreamFilter(passages)
    deltas = [checker.feed(chunk) for chunk in chunks]
    tail, composition = checker.finish()
    return [*deltas, tail], composition


def test_postprocess_reply_keeps_valid_markers_and_cites_them() -> None:
    composition = postprocess_reply("Ask for an assessment [1]. Get advice [2].", PASSAGES)

    assert composition.grounded
    assert composition.text == "Ask for an assessment [1]. Get advice [2]."
    assert composition.citations == (Citation.of(1, PASSAGES[0].chunk), Citation.of(2, PASSAGES[1].chunk))


def test_postprocess_reply_drops_invented_markers_whole_and_in_part() -> None:
    composition = postprocess_reply("Deadline is 20 weeks [9]. Ask [1, 9]. Also [2;7].", PASSAGES)

    assert composition.text == "Deadline is 20 weeks. Ask [1]. Also [2]."
    assert [c.doc_id for c in composition.citations] == ["doc1", "doc2"]


def test_postprocess_reply_renumbers_by_first_appearance() -> None:
    composition = postprocess_reply("Travel [3]. Advice [2][3]. Plans [1].", PASSAGES)

    assert composition.text == "Travel [1]. Advice [2][1]. Plans [3]."
    assert [c.doc_id for c in composition.citations] == ["doc3", "doc2", "doc1"]
    assert [c.n for c in composition.citations] == [1, 2, 3]


def test_postprocess_reply_markers_and_citations_agree() -> None:
    for reply in TRICKY_REPLIES:
        composition = postprocess_reply(reply, PASSAGES)
        assert sorted(set(_markers(composition.text))) == [c.n for c in composition.citations], reply


def test_postprocess_reply_reads_full_width_ranges_and_other_digits() -> None:
    composition = postprocess_reply("甲【2】。乙［1］。Range [1-3]. Urdu [٣]. Arabic [٢، 9].", PASSAGES)

    assert composition.text == "甲[1]。乙[2]。Range [2][1][3]. Urdu [3]. Arabic [1]."


@pytest.mark.parametrize("reply", ["NOT_FOUND", " NOT_FOUND.", "**NOT_FOUND**", "NOT_FOUND [1]"])
def test_postprocess_reply_not_found_is_ungrounded(reply: str) -> None:
    assert postprocess_reply(reply, PASSAGES) == Composition(text="", citations=(), grounded=False)


def test_postprocess_reply_without_a_valid_marker_is_ungrounded() -> None:
    assert not postprocess_reply("Call 0121 000 0000 today [7].", PASSAGES).grounded
    assert not postprocess_reply("No markers here.", PASSAGES).grounded


def test_postprocess_reply_removes_urls_not_in_the_passages() -> None:
    reply = f"Apply at https://evil.example.com/apply [1]. See {URL_A}. Or www.phish.example [2]. ({URL_B})"

    composition = postprocess_reply(reply, PASSAGES)

    assert composition.text == f"Apply at [1]. See {URL_A}. Or [2]. ({URL_B})"


def test_postprocess_reply_removes_a_url_that_only_extends_a_passage_url() -> None:
    composition = postprocess_reply(f"Read {URL_A}/../../evil [1].", PASSAGES)

    assert composition.text == "Read [1]."


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (["Ask ", "[", "1", "]", "."], "Ask [1]."),
        (["Ask [1]. Then ", "[9", "]", " done [2", "]."], "Ask [1]. Then done [2]."),
        (["Ask [1]. ", "[ not", " a marker]"], "Ask [1]. [ not a marker]"),
        (["Ask [3", ", 9", "]."], "Ask [1]."),
        (["See https://ev", "il.example.com now [1]."], "See now [1]."),
        (["See ", "ht", "tps://www.localofferbirmingham.co.uk/ehcp", " [1]."], f"See {URL_A} [1]."),
    ],
)
def test_stream_filter_handles_split_markers_and_urls(chunks: list[str], expected: str) -> None:
    deltas, composition = _feed(chunks)

    assert "".join(deltas) == composition.text == expected


def test_stream_filter_never_releases_an_invented_marker() -> None:
    deltas, _ = _feed(["Ask [1]. Then ", "[9", "]", " later."])

    assert all("9" not in delta for delta in deltas)


def test_stream_filter_holds_text_until_a_valid_marker() -> None:
    checker = CitationStreamFilter(PASSAGES)

    assert checker.feed("NOT_") == ""
    assert checker.feed("FOUND") == ""
    assert checker.finish() == ("", Composition(text="", citations=(), grounded=False))

    checker = CitationStreamFilter(PASSAGES)
    assert checker.feed("A long sentence without a marker ") == ""
    assert checker.feed("yet [2] and more") == "A long sentence without a marker yet [1] and more"


@pytest.mark.parametrize("reply", TRICKY_REPLIES)
def test_stream_filter_matches_postprocessing_for_every_split(reply: str) -> None:
    final = postprocess_reply(reply, PASSAGES)
    for i in range(len(reply) + 1):
        for j in range(i, len(reply) + 1, 3):
            deltas, composition = _feed([reply[:i], reply[i:j], reply[j:]])
            assert composition == final
            assert "".join(deltas) == final.text, (i, j)


def test_llm_composer_stream_with_char_deltas_matches_compose() -> None:
    reply = "Ask the school [3]. The deadline is 6 weeks [9]. Advice is free [2, 9]."
    composer = LLMComposer(FakeListChatModel(responses=[reply]))

    *deltas, final = composer.stream(CompositionRequest("How?", "en", PASSAGES))

    assert isinstance(final, Composition)
    assert final == composer.compose(CompositionRequest("How?", "en", PASSAGES))
    assert final.text == "Ask the school [1]. The deadline is 6 weeks. Advice is free [2]."
    assert "".join(str(delta) for delta in deltas) == final.text
    assert len(deltas) > 3


def test_llm_composer_wraps_model_failures() -> None:
    request = CompositionRequest("How?", "en", PASSAGES)
    broken_stream = LLMComposer(FakeListChatModel(responses=["Ask [1]."], error_on_chunk_number=2), "http://model")
    broken_invoke = LLMComposer(FakeListChatModel(responses=[]), "http://model")

    with pytest.raises(ComposerUnavailableError, match=r"language model at http://model did not answer"):
        list(broken_stream.stream(request))
    with pytest.raises(ComposerUnavailableError, match="extractive answer is used instead"):
        broken_invoke.compose(request)


def test_llm_composer_without_passages_does_not_call_the_model() -> None:
    composer = LLMComposer(FakeListChatModel(responses=[]))
    request = CompositionRequest("How?", "en", ())

    assert composer.compose(request) == Composition(text="", citations=(), grounded=False)
    assert list(composer.stream(request)) == [Composition(text="", citations=(), grounded=False)]


def test_build_messages_names_the_language_and_numbers_the_passages() -> None:
    system, human = build_messages(CompositionRequest("What is SENDIASS?", "ckb", PASSAGES))

    assert "Central Kurdish (Sorani, Arabic script)" in str(system.content)
    assert "NOT_FOUND" in str(system.content)
    assert f"[1] Title 1 > Title 1 > Section 1 ({URL_A})\nPassage 1 text." in str(human.content)
    assert "[3] Title 3 > Title 3 > Section 3\nPassage 3 text." in str(human.content)
    assert str(human.content).rstrip().endswith("What is SENDIASS?")
    assert set(LANGUAGE_NAMES) == set(SUPPORTED)
