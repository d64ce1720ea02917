from navigator.languages.glossary import load_glossary
from navigator.retrieval.base import Query
from navigator.retrieval.bm25 import BM25Retriever
from navigator.retrieval.chunking import split_documents
from navigator.retrieval.expansion import GlossaryExpander
from navigator.testing import tiny_corpus


def _expander():
    return GlossaryExpander(load_glossary())


def test_other_language_terms_bring_their_english_wording():
    expansion = _expander().expand("ای ایچ سی پی پلان کے لیے کتنا انتظار؟", "ur")
    assert "ehcp" in expansion.split() or "ehc" in expansion.split()


def test_english_questions_are_not_expanded():
    assert _expander().expand("How long does an EHCP take?", "en") == ""


def test_terms_already_named_in_english_are_not_added_again():
    expander = _expander()
    assert expander.expand("EHCP", None) == ""
    assert expander.expand("EHCP", "ur") == ""


def test_expansion_tokens_are_distinct():
    tokens = _expander().expand("Waxaan rabaa qorshaha EHC iyo gaadiidka dugsiga", "so").split()
    assert tokens and len(tokens) == len(set(tokens))


def test_bm25_matches_through_the_expansion():
    chunks = split_documents(tiny_corpus(), max_words=200)
    bm25 = BM25Retriever(chunks)
    question = "ਘਰ ਤੋਂ ਸਕੂਲ ਤੱਕ ਆਵਾਜਾਈ"  # Punjabi: home to school transport
    assert bm25.retrieve(Query(question, "pa"), 3) == []
    expansion = _expander().expand(question, "pa")
    assert "transport" in expansion.split()
    results = bm25.retrieve(Query(question, "pa", expansion), 3)
    assert results[0].chunk.doc_id == "transport"


def _with_families_words():
    from navigator.languages.family_phrases import load_family_phrases

    return GlossaryExpander(load_glossary(), load_family_phrases())


def test_families_words_bring_the_documents_term_in_english_too():
    expansion = _with_families_words().expand("They keep getting him sent home at lunch, is that legal?", "en")

    assert "part-time" in expansion.split() or "timetable" in expansion.split()
    assert _with_families_words().expand("How long does an EHCP take?", "en") == ""


def test_families_words_are_read_in_the_question_language():
    expansion = _with_families_words().expand("学校每天中午让他回家", "zh")  # "the school sends him home at noon"

    assert "timetable" in expansion.split()


def _with_word_translations():
    from navigator.languages.family_phrases import load_family_phrases
    from navigator.languages.word_translations import load_word_translations

    return GlossaryExpander(load_glossary(), load_family_phrases(), load_word_translations())


def test_everyday_words_of_another_language_bring_their_english_words():
    expander = _with_word_translations()
    question = "Jak długo trzeba czekać na wizytę u logopedy?"  # Polish: how long is the wait to see a speech therapist

    assert {"wait", "appointment", "speech"} <= set(expander.english_words(question, "pl").split())
    assert {"wait", "appointment"} <= set(expander.expand(question, "pl").split())
    # The glossary alone finds the therapy but not the wait.
    assert "wait" not in _with_families_words().expand(question, "pl").split()


def test_english_questions_get_no_word_translations():
    expander = _with_word_translations()

    assert expander.english_words("Is there school transport?", "en") == ""
    assert expander.expand("How long does an EHCP take?", "en") == ""
