from navigator.retrieval.chunking import split_document
from navigator.retrieval.sentences import split_sentences
from navigator.testing import make_document


def _sentences(n: int, words: int = 10) -> str:
    return " ".join(f"Sentence {i} " + " ".join(["word"] * (words - 3)) + " end." for i in range(n))


def test_split_sentences_respects_abbreviations_and_lines():
    text = "Support e.g. speech therapy is offered. Plans take 20.5 weeks.\nRow a | 12 | 13\n- list item"
    assert split_sentences(text) == [
        "Support e.g. speech therapy is offered.",
        "Plans take 20.5 weeks.",
        "Row a | 12 | 13",
        "- list item",
    ]


def test_chunks_never_span_top_level_sections():
    doc = make_document("d", "Doc", [(["A"], _sentences(6)), (["B"], _sentences(6))])
    chunks = split_document(doc, max_words=40, overlap_sentences=1)
    assert {c.heading_path for c in chunks} == {("A",), ("B",)}
    for chunk in chunks:
        assert ("Sentence" in chunk.text) and chunk.doc_title == "Doc"


def test_chunks_overlap_by_one_sentence_and_respect_length():
    doc = make_document("d", "Doc", [(["A"], _sentences(12))])
    chunks = split_document(doc, max_words=40, overlap_sentences=1)
    assert len(chunks) > 2
    for first, second in zip(chunks, chunks[1:], strict=False):
        assert second.sentences[0] == first.sentences[-1]
    assert all(len(c.text.split()) <= 40 for c in chunks)
    # every sentence of the section is in some chunk
    covered = {s for c in chunks for s in c.sentences}
    assert covered == set(split_sentences(_sentences(12)))


def test_tiny_subsection_is_folded_into_the_next_with_its_heading():
    doc = make_document(
        "d",
        "Doc",
        [(["Impact", "Positive signs"], "Waiting times fell."), (["Impact", "Next steps"], _sentences(4))],
    )
    chunks = split_document(doc, max_words=200)
    assert len(chunks) == 1
    assert chunks[0].text.startswith("Positive signs:\nWaiting times fell.")
    assert chunks[0].heading_path == ("Impact", "Next steps")


def test_tiny_section_is_not_folded_across_top_level_sections():
    doc = make_document("d", "Doc", [(["A"], "Short one."), (["B"], _sentences(4))])
    chunks = split_document(doc, max_words=200)
    assert [c.heading_path for c in chunks] == [("A",), ("B",)]


def test_overlong_sentence_is_cut_into_windows():
    doc = make_document("d", "Doc", [(["A"], " ".join(f"w{i}" for i in range(100)))])
    chunks = split_document(doc, max_words=40, overlap_sentences=0)
    assert all(len(c.text.split()) <= 40 for c in chunks)
    assert "w99" in chunks[-1].text and "w0" in chunks[0].text


def test_chunk_embedding_text_carries_title_and_heading_path():
    doc = make_document("d", "SEF 2024", [(["Impact", "Right help"], _sentences(3))])
    chunk = split_document(doc)[0]
    assert chunk.embedding_text.startswith("SEF 2024. Impact > Right help.\n")
    assert chunk.section == "Impact > Right help"
