"""ChatService on a real FAISS + BM25 index of the tiny corpus with FakeEmbedder: statuses, citations, streaming,
follow-ups and the LLM fallbacks, with every component injected (no patches)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from navigator.answer.answerability import FEATURES, AnswerabilityJudge, AnswerabilityModel
from navigator.answer.base import Citation, Composition, CompositionRequest
from navigator.answer.chat import ChatInput, ChatService, ChatTurn
from navigator.answer.contacts import Contacts, handoff_contacts, risk_specific_contacts, safeguarding_contacts
from navigator.answer.extractive import ExtractiveComposer, ExtractiveOptions, StoredSentenceVectors
from navigator.answer.named_terms import NamedTermCheck
from navigator.answer.question_probes import QuestionProbe
from navigator.answer.redaction import redact_personal_data
from navigator.answer.safety import SafeguardingDetector, SafeguardingMatch
from navigator.answer.scope import GreetingDetector, ScopeClassifier, load_scope_data
from navigator.answer.source_labels import short_title
from navigator.errors import ComposerUnavailableError, QueryRejectedError
from navigator.languages.detection import LanguageDetector
from navigator.languages.glossary import load_glossary
from navigator.languages.locales import get_locale
from navigator.retrieval.expansion import GlossaryExpander
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import LoadedIndex, load_index
from navigator.retrieval.searcher import Searcher
from navigator.storage.conversations import ConversationStore
from navigator.testing import FAKE_INDEX, FakeEmbedder, make_document, tiny_corpus

SENDIASS_PHONE = "0121 303 5004"
# Scope scores are differences of two cosine means, so they lie in [-2, 2]: these margins make every message in
# scope, or every message that names no SEND term out of scope. FakeEmbedder vectors mean nothing for scope.
ALWAYS_IN_SCOPE = -2.0
NEVER_IN_SCOPE = 3.0
MARKER = re.compile(r"\[(\d+)\]")
QUOTE_LINE = re.compile(r"“(.+)” \[(\d+)\]")
# FakeEmbedder scores mean nothing to the fitted answerability model: this one answers unless the question asks
# for a kind of fact (a phone number, a sum) that no quote holds, so the judge's wiring is what is tested.
TYPED_FACTS_ONLY = AnswerabilityModel(
    FEATURES,
    mean=(0.0,) * len(FEATURES),
    scale=(1.0,) * len(FEATURES),
    weights=tuple(-6.0 if f == "type_unmet" else 0.0 for f in FEATURES),
    bias=3.0,
    threshold=0.5,
)

EHCP_QUESTION = "How long does the council have to issue an EHC plan?"
TRANSPORT_PHONE_QUESTION = "What is the phone number for home to school transport?"
LUNCHTIME_CRISIS = "I can't cope, the school keeps sending my son home at lunchtime. Is that allowed?"


def _corpus():
    """The tiny corpus plus a page that holds a phone number (so a phone question can be answered)."""
    sendiass = make_document(
        "sendiass",
        "Birmingham SENDIASS",
        [
            (
                ["Contact us"],
                "Birmingham SENDIASS gives free and impartial advice to parents. "
                f"You can call SENDIASS on {SENDIASS_PHONE} on weekdays.",
            )
        ],
        url="https://example.org/sendiass",
    )
    return [*tiny_corpus(), sendiass]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> LoadedIndex:
    index_dir = tmp_path_factory.mktemp("chat-service") / "index"
    build_index(_corpus(), FakeEmbedder(), index_dir, **FAKE_INDEX)
    return load_index(index_dir, **FAKE_INDEX)


@pytest.fixture(scope="module")
def searcher(index) -> Searcher:
    return Searcher(index, FakeEmbedder())


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    """One detector for the module: its language-id model loads on first use (as once per server)."""
    return LanguageDetector()


@pytest.fixture
def store(tmp_path) -> Iterator[ConversationStore]:
    conversations = ConversationStore(tmp_path / "chat.sqlite3", retention_days=30, redact=redact_personal_data)
    yield conversations
    conversations.close()


@pytest.fixture
def make_service(searcher, store, detector):
    """Build a ChatService from real components; keyword arguments replace the defaults."""
    glossary = load_glossary()

    def build(*, margin: float = ALWAYS_IN_SCOPE, on: Searcher | None = None, **overrides) -> ChatService:
        index = (on or searcher).index
        parts = {
            "glossary": glossary,
            "contacts": Contacts(safeguarding_contacts(), handoff_contacts(), (), risk_specific_contacts()),
            "safeguarding": SafeguardingDetector(),
            "greetings": GreetingDetector(load_scope_data().greetings),
            "scope": ScopeClassifier((on or searcher).queries.vector, load_scope_data(), margin=margin),
            "judge": AnswerabilityJudge(TYPED_FACTS_ONLY, named_terms=NamedTermCheck(glossary)),
            "detector": detector,
            "store": store,
            "redact": redact_personal_data,
        }
        parts.update(overrides)
        extractive = ExtractiveComposer(
            StoredSentenceVectors(index.chunks, index.sentence_chunk, index.sentence_vectors)
        )
        return ChatService(on or searcher, extractive, **parts)

    return build


class ScriptedLLM:
    """A Composer standing in for the language model: writes ``reply`` citing the passage that holds ``cite``.

    ``unavailable`` makes it fail before writing anything; ``fail_after`` makes it fail after that many deltas.
    """

    name = "llm"

    def __init__(
        self, reply: str, cite: str, *, unavailable: bool = False, fail_after: int | None = None, step: int = 6
    ) -> None:
        self.reply = reply
        self.cite = cite
        self.unavailable = unavailable
        self.fail_after = fail_after
        self.step = step
        self.requests: list[CompositionRequest] = []

    def _composition(self, request: CompositionRequest) -> Composition:
        passage = next(p for p in request.passages if self.cite in p.chunk.text)
        return Composition(text=self.reply, citations=(Citation.of(1, passage.chunk),))

    def compose(self, request: CompositionRequest) -> Composition:
        self.requests.append(request)
        if self.unavailable:
            raise ComposerUnavailableError("The scripted model is down; the extractive answer is used instead.")
        return self._composition(request)

    def stream(self, request: CompositionRequest) -> Iterator[str | Composition]:
        self.requests.append(request)
        if self.unavailable:
            raise ComposerUnavailableError("The scripted model is down; the extractive answer is used instead.")
        for sent, start in enumerate(range(0, len(self.reply), self.step)):
            if self.fail_after is not None and sent == self.fail_after:
                raise ComposerUnavailableError("The scripted model stopped mid-reply.")
            yield self.reply[start : start + self.step]
        yield self._composition(request)


def _events(service: ChatService, chat: ChatInput) -> tuple[list[str], ChatTurn]:
    """The stream's delta texts and its final turn, checking that exactly one final event comes last."""
    events = list(service.stream(chat))
    kinds = [kind for kind, _ in events]
    assert kinds.count("final") == 1 and kinds[-1] == "final", kinds
    assert set(kinds[:-1]) <= {"delta"}, kinds
    deltas = [value for _, value in events[:-1]]
    assert all(isinstance(d, str) for d in deltas)
    final = events[-1][1]
    assert isinstance(final, ChatTurn)
    return [str(d) for d in deltas], final


# ---- answering and citing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        EHCP_QUESTION,
        "Can a school use a part-time timetable to manage behaviour?",
        "Who can get free home to school transport?",
        "What is the phone number of SENDIASS?",
    ],
)
def test_chat_service_markers_and_citations_agree(make_service, message):
    turn = make_service().reply(ChatInput(message))

    answer = turn.answer
    assert answer.status == "answered", answer.notes
    used = {int(n) for n in MARKER.findall(answer.text)}
    numbers = [c.n for c in answer.citations]
    assert used == set(numbers) and numbers == list(range(1, len(numbers) + 1))
    # The framing comes first; then each quote ends with its marker, holds a sentence of that citation's passage,
    # and is followed by the line naming its source; the quotes are also listed as the reply's quotes.
    by_n = {c.n: c for c in answer.citations}
    lines = answer.text.splitlines()
    assert lines[0] == get_locale("en").text("framing_answered")
    quotes = [(i, QUOTE_LINE.fullmatch(line)) for i, line in enumerate(lines) if QUOTE_LINE.fullmatch(line)]
    assert quotes and [q.text for q in answer.quotes] == [m.group(1) for _, m in quotes]
    for i, found in quotes:
        assert found.group(1) in " ".join(by_n[int(found.group(2))].quote.split())
        chunk_title = by_n[int(found.group(2))].title
        assert lines[i + 1] == f"— {short_title(chunk_title)} › {by_n[int(found.group(2))].section.split(' > ')[-1]}"


def test_chat_service_cites_only_chunks_that_retrieval_returned(make_service, searcher):
    service = make_service()

    turn = service.reply(ChatInput("Can parents appeal to the SEND Tribunal after mediation?"))

    assert turn.answer.status == "answered"
    retrieved = {r.chunk.id: r.chunk for r in searcher.search(turn.retrieval_query, service.options.passages)}
    chunks = {(c.doc_id, c.text): c for c in retrieved.values()}
    assert turn.answer.citations
    for citation in turn.answer.citations:
        chunk = chunks[(citation.doc_id, citation.quote)]  # the full passage text, never a made-up quote
        assert (citation.title, citation.url, citation.section) == (chunk.doc_title, chunk.url, chunk.section)
    assert "ehcp-guide" in {c.doc_id for c in turn.answer.citations}
    assert any("SEND Tribunal" in c.quote for c in turn.answer.citations)


def test_chat_service_frames_an_english_answer(make_service):
    turn = make_service().reply(ChatInput(EHCP_QUESTION))

    answer = turn.answer
    assert answer.text.startswith(get_locale("en").text("framing_answered") + "\n")
    assert "within 20 weeks" in answer.text
    assert answer.citations[0].doc_id == "ehcp-guide"
    assert [c.id for c in answer.handoff] == ["sendiass", "local-offer"]
    assert "ehc-plan" in {note.term_id for note in answer.glossary}
    assert (answer.language, answer.detected_language, answer.direction) == ("en", "en", "ltr")


def test_chat_service_judges_every_quote_it_could_show_whatever_it_shows(make_service, searcher):
    # How many supporting quotes a reply shows is a matter of reading; it must not move what is declined.
    wide = make_service()
    narrow = make_service()
    wide.extractive = ExtractiveComposer(wide.extractive.vectors, ExtractiveOptions(max_support_gap=1.0))
    narrow.extractive = ExtractiveComposer(wide.extractive.vectors, ExtractiveOptions(max_support_gap=0.0))
    query = searcher.prepare(EHCP_QUESTION, "en")

    shown_by_wide = wide.assess(EHCP_QUESTION, query, "en")
    shown_by_narrow = narrow.assess(EHCP_QUESTION, query, "en")

    assert len(shown_by_narrow.chosen) == 1 < len(shown_by_wide.chosen)
    assert shown_by_narrow.chosen[0] == shown_by_wide.chosen[0]
    assert shown_by_narrow.verdict == shown_by_wide.verdict


class EveryQuestionIsAboutHealth(QuestionProbe):
    """Stands in for the fitted probe (FakeEmbedder vectors mean nothing to it)."""

    def __init__(self) -> None:
        super().__init__(np.zeros(1, dtype=np.float32), 0.0, 0.0, "fake")

    def flags(self, vector) -> bool:  # type: ignore[no-untyped-def]
        return True


def test_chat_service_names_nhs_111_first_for_a_health_question(make_service):
    usual = make_service().reply(ChatInput(TRANSPORT_PHONE_QUESTION)).answer
    health = make_service(health=EveryQuestionIsAboutHealth()).reply(ChatInput(TRANSPORT_PHONE_QUESTION)).answer

    assert usual.status == health.status == "not_found"
    assert [c.id for c in health.handoff] == ["nhs-111", *(c.id for c in usual.handoff)]
    assert health.text.index("111") < health.text.index("https://www.localofferbirmingham.co.uk/")
    answered = make_service(health=EveryQuestionIsAboutHealth()).reply(ChatInput(EHCP_QUESTION)).answer
    assert answered.status == "answered" and answered.handoff[0].id == "nhs-111"  # the quotes may not answer it
    plain = make_service().reply(ChatInput(EHCP_QUESTION)).answer
    assert [c.id for c in plain.handoff] == ["sendiass", "local-offer"]


def test_chat_service_decline_says_who_can_answer_a_question_of_a_known_kind(make_service):
    from navigator.answer.question_probes import QuestionKinds

    never = QuestionProbe(np.zeros(1, dtype=np.float32), 0.0, 1.0, "fake")
    kinds = QuestionKinds({"named_school": never, "other_council": EveryQuestionIsAboutHealth(), "own_case": never})
    usual = make_service().reply(ChatInput(TRANSPORT_PHONE_QUESTION)).answer
    pointed = make_service(kinds=kinds).reply(ChatInput(TRANSPORT_PHONE_QUESTION)).answer

    pointer = get_locale("en").text("decline_kind.other_council")
    assert usual.status == pointed.status == "not_found" and pointer not in usual.text
    # The services first, as in any decline; then, as a paragraph of its own, who answers this kind of question.
    assert pointed.text == f"{usual.text}\n\n{pointer}" and "pointer:other_council" in pointed.notes
    # Quotes it is not sure of are only the closest found: the pointer follows them; quotes it is sure of answer.
    timetable = ChatInput("Can a school use a part-time timetable to manage behaviour?")
    unsure = make_service(kinds=kinds, judge=OnlyTimetableQuestions()).reply(timetable).answer
    assert unsure.status == "answered" and "unsure" in unsure.notes and unsure.text.endswith(f"\n\n{pointer}")
    sure = make_service(kinds=kinds).reply(ChatInput(EHCP_QUESTION)).answer
    assert sure.status == "answered" and "unsure" not in sure.notes and "pointer:other_council" not in sure.notes


def test_chat_service_points_a_declined_money_question_to_the_dwp_and_contact(make_service):
    from navigator.answer.question_probes import QuestionKinds

    never = QuestionProbe(np.zeros(1, dtype=np.float32), 0.0, 1.0, "fake")
    money = EveryQuestionIsAboutHealth()
    kinds = QuestionKinds({"named_school": never, "other_council": never, "own_case": never, "benefits_money": money})
    answer = make_service(kinds=kinds).reply(ChatInput(TRANSPORT_PHONE_QUESTION)).answer

    assert answer.status == "not_found" and "pointer:benefits_money" in answer.notes
    assert "Department for Work and Pensions (DWP)" in answer.text and "Contact" in answer.text
    urdu = make_service(kinds=kinds).reply(ChatInput(TRANSPORT_PHONE_QUESTION, "ur")).answer
    assert get_locale("ur").text("decline_kind.benefits_money") in urdu.text


def test_chat_service_points_a_declined_health_question_to_a_gp_nhs_111_and_999(make_service):
    from navigator.answer.question_probes import QuestionKinds

    always = EveryQuestionIsAboutHealth()
    kinds = QuestionKinds({"named_school": always, "other_council": always, "own_case": always})
    answer = make_service(health=always, kinds=kinds).reply(ChatInput(TRANSPORT_PHONE_QUESTION)).answer

    # Health comes before any other kind, and before what was not found (it may be urgent); its numbers come from
    # the contacts file.
    pointer = get_locale("en").text("decline_kind.health", health="111", emergency="999")
    assert answer.status == "not_found" and answer.text.startswith(f"{pointer}\n\n{get_locale('en').text('not_found')}")
    assert "NHS 111" in pointer and "999" in pointer and "interpreter" in pointer
    assert "pointer:health" in answer.notes and not any(n in answer.notes for n in ("pointer:own_case",))
    urdu = make_service(health=always).reply(ChatInput("میرے بیٹے کی ٹرانسپورٹ ٹیم کا فون نمبر کیا ہے؟")).answer
    assert urdu.text.startswith(get_locale("ur").text("decline_kind.health", health="111", emergency="999"))


def test_chat_service_declines_when_the_quotes_lack_the_asked_for_fact(make_service):
    turn = make_service().reply(ChatInput(TRANSPORT_PHONE_QUESTION))

    answer = turn.answer
    assert answer.status == "not_found"
    assert answer.citations == () and not MARKER.search(answer.text)
    assert any(n.startswith("missing:") and "asked_fact_missing" in n for n in answer.notes), answer.notes
    assert answer.text.startswith(get_locale("en").text("not_found"))
    assert [c.id for c in answer.handoff] == [c.id for c in handoff_contacts()]
    assert "https://www.localofferbirmingham.co.uk/" in answer.text


def test_chat_service_answers_a_phone_question_when_a_quote_holds_the_number(make_service):
    turn = make_service().reply(ChatInput("What is the phone number of SENDIASS?"))

    assert turn.answer.status == "answered"
    assert SENDIASS_PHONE in turn.answer.text
    assert turn.answer.citations[0].doc_id == "sendiass"


def test_chat_service_frames_a_non_english_answer_in_the_question_language(make_service):
    turn = make_service().reply(ChatInput("SENDIASS کا فون نمبر کیا ہے؟"))

    answer = turn.answer
    ur = get_locale("ur")
    assert answer.status == "answered"
    # The note on English passages comes first: the framing ends with a colon that leads into the quote.
    assert answer.text.startswith(f"{ur.text('passages_in_english')} {ur.text('framing_answered')}\n“")
    assert ur.framing("framing_answered") == f"{ur.text('passages_in_english')} {ur.text('framing_answered')}"
    assert get_locale("en").framing("framing_answered") == get_locale("en").text("framing_answered")
    assert f"“You can call SENDIASS on {SENDIASS_PHONE} on weekdays.” [1]" in answer.text
    assert (answer.language, answer.detected_language, answer.direction) == ("ur", "ur", "rtl")


def test_chat_service_declines_in_the_question_language(make_service):
    turn = make_service().reply(ChatInput("اسکول ٹرانسپورٹ کے لیے کتنے پیسے ملیں گے؟"))  # how much money, for transport

    answer = turn.answer
    assert answer.status == "not_found"
    assert any(note.startswith("missing:") and "asked_fact_missing" in note for note in answer.notes)
    assert answer.text.startswith(get_locale("ur").text("not_found") + "\n")
    assert answer.citations == ()
    assert (answer.language, answer.direction) == ("ur", "rtl")


# ---- scope and greetings ------------------------------------------------------------------------------------


def test_chat_service_out_of_scope_below_the_margin(make_service):
    service = make_service(margin=NEVER_IN_SCOPE)

    turn = service.reply(ChatInput("What time does the swimming pool open on Sunday?"))

    answer = turn.answer
    assert answer.status == "out_of_scope"
    assert answer.text == get_locale("en").text("out_of_scope")
    assert answer.citations == ()
    assert [c.id for c in answer.handoff] == ["sendiass", "local-offer"]


def test_chat_service_message_naming_a_send_term_is_always_in_scope(make_service):
    turn = make_service(margin=NEVER_IN_SCOPE).reply(ChatInput(EHCP_QUESTION))

    assert turn.answer.status == "answered"
    assert turn.answer.citations[0].doc_id == "ehcp-guide"


@pytest.mark.parametrize(("message", "lang"), [("Hello", "en"), ("السلام علیکم", "ur"), ("Dzień dobry!", "pl")])
def test_chat_service_greeting_gets_the_welcome_text(make_service, message, lang):
    turn = make_service().reply(ChatInput(message, language=lang))

    answer = turn.answer
    assert answer.status == "out_of_scope"
    assert answer.text == get_locale(lang).text("welcome")
    assert answer.citations == () and answer.language == lang


# ---- safeguarding -------------------------------------------------------------------------------------------


def test_chat_service_safeguarding_comes_first_and_still_answers(make_service):
    turn = make_service().reply(ChatInput(LUNCHTIME_CRISIS))

    answer = turn.answer
    en = get_locale("en")
    assert answer.status == "safeguarding"
    # A parent at breaking point reads the opening written for that, not "if a child is in danger…".
    assert answer.text.startswith(en.text("safeguarding.parent_crisis", emergency="999") + "\n")
    warning, _, rest = answer.text.partition("\n\n")
    assert "999" in warning and "0121 303 1888" in warning  # Children's Trust (contacts.json)
    assert rest.startswith(en.text("framing_followup") + "\n")
    assert "“Sending a child home at lunchtime is an exclusion.” [1]" in rest
    assert [c.doc_id for c in answer.citations] == ["exclusions"]
    # Every service for any risk, without those for other kinds of risk only (domestic abuse, a missing child).
    general = [c.id for c in safeguarding_contacts() if c.id not in risk_specific_contacts()]
    assert [c.id for c in answer.handoff] == general
    assert "safeguarding:parent_crisis" in answer.notes


def test_chat_service_safeguarding_without_an_answer_adds_no_decline(make_service):
    turn = make_service().reply(ChatInput("I can't cope, " + TRANSPORT_PHONE_QUESTION))

    answer = turn.answer
    assert answer.status == "safeguarding"
    assert answer.citations == ()
    assert get_locale("en").text("not_found") not in answer.text
    assert answer.text.startswith(get_locale("en").text("safeguarding.parent_crisis", emergency="999"))
    assert "emergency" in {c.id for c in answer.handoff}


class FlagsByMeaning(SafeguardingDetector):
    """Flags every message by its meaning alone, as the vector check does a look-alike it is unsure of."""

    def detect(self, text, vector=None, clauses=None, parts=None):  # type: ignore[no-untyped-def]
        return SafeguardingMatch("missing", "en", "an example disclosure", "meaning", 1.0, False)


class RecordsTheParts(SafeguardingDetector):
    """Flags nothing; keeps the vectors of each message's parts judged alone."""

    def __init__(self, reads: bool) -> None:
        super().__init__()
        self.reads = reads
        self.seen: list[object] = []

    @property
    def reads_parts(self) -> bool:
        return self.reads

    def detect(self, text, vector=None, clauses=None, parts=None):  # type: ignore[no-untyped-def]
        self.seen.append(parts)


def test_chat_service_embeds_a_messages_parts_only_for_a_detector_that_reads_them(make_service):
    message = "Who do I ring at night? My son is in a bad way."
    reading = RecordsTheParts(reads=True)
    make_service(safeguarding=reading).reply(ChatInput(message))
    make_service(safeguarding=reading).reply(ChatInput("Who do I ring at night?"))
    assert reading.seen[0] is not None and reading.seen[0].shape[0] == 2 and reading.seen[1] is None  # 2 sentences
    quiet = RecordsTheParts(reads=False)
    make_service(safeguarding=quiet).reply(ChatInput(message))
    assert quiet.seen == [None]  # no model run for a detector that would not use it


def test_chat_service_joins_a_conversation_within_the_query_limit(make_service, searcher):
    service = make_service()
    long_question = "Can my child get free transport to school? " + "She has a wheelchair and we live far away. " * 20
    assert len(long_question) < searcher.max_query_chars < 2 * len(long_question)
    first = service.reply(ChatInput(long_question))
    second = service.reply(ChatInput(long_question, conversation_id=first.conversation_id))
    # Both earlier questions and the follow-up are too long together: the oldest is left out, nothing fails.
    followup = service.reply(ChatInput("and if she is under 5?", conversation_id=second.conversation_id))
    assert followup.retrieval_query == f"{' '.join(long_question.split())} and if she is under 5?"
    assert len(followup.retrieval_query) <= searcher.max_query_chars


def test_chat_service_meaning_flag_still_says_what_was_not_found(make_service):
    # "The bus never came for my son" is near disclosures of a missing child: the general signposting comes first,
    # then the reply the question would have had without it, here a decline naming the usual services.
    turn = make_service(safeguarding=FlagsByMeaning()).reply(ChatInput(TRANSPORT_PHONE_QUESTION))

    answer = turn.answer
    en = get_locale("en")
    assert answer.status == "safeguarding" and answer.citations == ()
    warning, _, rest = answer.text.partition("\n\n")
    assert "999" in warning and rest.startswith(en.text("not_found") + "\n")
    ids = [c.id for c in answer.handoff]
    assert "emergency" in ids and "sendiass" in ids and len(ids) == len(set(ids))
    assert "not_found" in answer.notes


def test_chat_service_pointer_follows_a_decline_after_a_meaning_flag_only(make_service):
    from navigator.answer.question_probes import QuestionKinds

    never = QuestionProbe(np.zeros(1, dtype=np.float32), 0.0, 1.0, "fake")
    kinds = QuestionKinds({"named_school": never, "other_council": EveryQuestionIsAboutHealth(), "own_case": never})
    pointer = get_locale("en").text("decline_kind.other_council")
    # The decline a meaning flag keeps ends as any decline does, with who answers this kind of question.
    flagged = make_service(safeguarding=FlagsByMeaning(), kinds=kinds).reply(ChatInput(TRANSPORT_PHONE_QUESTION))
    assert flagged.answer.status == "safeguarding" and flagged.answer.text.endswith(f"\n\n{pointer}")
    assert "pointer:other_council" in flagged.answer.notes
    # Words of harm make the signposting the whole reply: no decline, so no pointer, and no note of one.
    crisis = make_service(kinds=kinds).reply(ChatInput("I can't cope, " + TRANSPORT_PHONE_QUESTION)).answer
    assert crisis.status == "safeguarding" and pointer not in crisis.text
    assert not any(n.startswith("pointer:") for n in crisis.notes)


@pytest.mark.parametrize(
    ("message", "lang"),
    [("Mój syn się samookalecza, co robić?", "pl"), ("میری بیٹی خود کو نقصان پہنچا رہی ہے", "ur")],
)
def test_chat_service_safeguarding_is_localised(make_service, message, lang):
    answer = make_service().reply(ChatInput(message)).answer

    assert answer.status == "safeguarding" and answer.language == lang
    assert answer.text.startswith(get_locale(lang).text("safeguarding.thoughts", emergency="999"))  # self-harm
    assert "999" in answer.text and "0121 303 1888" in answer.text


# ---- streaming ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [EHCP_QUESTION, TRANSPORT_PHONE_QUESTION, LUNCHTIME_CRISIS, "Hello", "What time does the swimming pool open?"],
)
def test_chat_service_stream_deltas_join_to_the_final_answer(make_service, message):
    service = make_service()

    deltas, final = _events(service, ChatInput(message))

    assert deltas
    assert "".join(deltas) == final.answer.text
    assert service.reply(ChatInput(message)).answer.text == final.answer.text


def test_chat_service_stream_sends_the_lead_quote_with_the_first_delta(make_service):
    deltas, final = _events(make_service(), ChatInput(EHCP_QUESTION))

    lead = final.answer.quotes[0]
    first = deltas[0]
    assert first.startswith(get_locale("en").text("framing_answered"))
    assert f"“{lead.text}” [{lead.n}]" in first and f"— {lead.source}" in first
    if len(final.answer.quotes) > 1:  # the supporting quotes follow in a later delta
        assert final.answer.quotes[1].text not in first


# ---- conversations ------------------------------------------------------------------------------------------


def test_chat_service_followup_is_searched_with_the_previous_question(make_service):
    service = make_service()
    first = service.reply(ChatInput("Can my child get free transport to school?"))

    followup = service.reply(ChatInput("and if she is under 5?", conversation_id=first.conversation_id))
    fresh = service.reply(ChatInput("and if she is under 5?"))

    assert re.fullmatch(r"[0-9a-f]{32}", first.conversation_id)
    assert (first.message_index, followup.message_index, fresh.message_index) == (0, 1, 0)
    assert first.retrieval_query == "Can my child get free transport to school?"
    assert followup.retrieval_query == "Can my child get free transport to school? and if she is under 5?"
    assert fresh.retrieval_query == "and if she is under 5?"
    assert fresh.conversation_id != first.conversation_id


def test_chat_service_long_message_is_searched_on_its_own(make_service):
    service = make_service()
    first = service.reply(ChatInput("Can my child get free transport to school?"))
    long_message = (
        "My daughter is in Year 2 and the school says she can only come in the mornings from now on, is that allowed?"
    )

    turn = service.reply(ChatInput(long_message, conversation_id=first.conversation_id))

    assert turn.retrieval_query == long_message
    assert turn.message_index == 1


def test_chat_service_stores_and_searches_redacted_text(make_service, store):
    service = make_service()
    message = "Email jane.doe@example.com about transport for my son born 12/03/2015 at B15 2TT"

    turn = service.reply(ChatInput(message))

    assert turn.retrieval_query == "Email [email] about transport for my son born [date] at [postcode]"
    assert store.recent_questions(turn.conversation_id, 5) == [turn.retrieval_query]


def test_chat_service_without_a_store_has_no_message_index(make_service):
    turn = make_service(store=None).reply(ChatInput(EHCP_QUESTION))

    assert turn.message_index is None and turn.answer.status == "answered"


@pytest.mark.parametrize(
    ("message", "conversation_id"), [("   \n ", None), (EHCP_QUESTION, "../etc"), (EHCP_QUESTION, "ABC" * 11)]
)
def test_chat_service_rejects_bad_input_before_the_first_event(make_service, message, conversation_id):
    events = make_service().stream(ChatInput(message, conversation_id=conversation_id))

    with pytest.raises(QueryRejectedError):
        next(events)


# ---- the optional LLM composer ------------------------------------------------------------------------------


def test_chat_service_uses_a_grounded_llm_reply(make_service):
    llm = ScriptedLLM("The council must issue the plan within 20 weeks [1].", cite="20 weeks")
    service = make_service(llm=llm)

    deltas, turn = _events(service, ChatInput(EHCP_QUESTION))

    answer = turn.answer
    assert answer.text == "The council must issue the plan within 20 weeks [1]."
    assert "".join(deltas) == answer.text and len(deltas) > 1
    assert answer.composer == "llm" and answer.status == "answered"
    assert [c.doc_id for c in answer.citations] == ["ehcp-guide"]
    assert "within 20 weeks" in answer.citations[0].quote
    # The model was given the retrieved passages, numbered from 1.
    (request,) = llm.requests
    assert [p.n for p in request.passages] == list(range(1, len(request.passages) + 1))


def test_chat_service_unavailable_llm_falls_back_to_extractive(make_service):
    expected = make_service().reply(ChatInput(EHCP_QUESTION)).answer
    llm = ScriptedLLM("unused [1]", cite="20 weeks", unavailable=True)

    deltas, turn = _events(make_service(llm=llm), ChatInput(EHCP_QUESTION))

    answer = turn.answer
    assert len(llm.requests) == 1  # it was tried
    assert answer.composer == "extractive" and answer.status == "answered"
    assert answer.text == expected.text and answer.citations == expected.citations
    assert "".join(deltas) == answer.text


def test_chat_service_llm_failing_mid_stream_leaves_no_partial_text(make_service):
    expected = make_service().reply(ChatInput(EHCP_QUESTION)).answer
    reply = "PARTIAL-LLM-TEXT that never finishes [1]."
    llm = ScriptedLLM(reply, cite="20 weeks", fail_after=3, step=6)

    deltas, turn = _events(make_service(llm=llm), ChatInput(EHCP_QUESTION))

    answer = turn.answer
    assert "PARTI" in "".join(deltas)  # the reader saw the partial text while it streamed ...
    assert "PARTI" not in answer.text  # ... but the final reply is the extractive one alone
    assert answer.text == expected.text and answer.citations == expected.citations
    assert answer.composer == "extractive"


def test_chat_service_ungrounded_llm_reply_falls_back_to_extractive(make_service):
    expected = make_service().reply(ChatInput(EHCP_QUESTION)).answer

    class NotFoundLLM(ScriptedLLM):
        def _composition(self, request: CompositionRequest) -> Composition:
            return Composition(text="", citations=(), grounded=False)

    answer = make_service(llm=NotFoundLLM("", cite="")).reply(ChatInput(EHCP_QUESTION)).answer

    assert answer.text == expected.text and answer.composer == "extractive"


def test_chat_service_keeps_a_translated_llm_reply(make_service):
    reply = "Rada musi wydać plan EHC w ciągu 20 tygodni [1]."
    llm = ScriptedLLM(reply, cite="within 20 weeks")
    answers_all = AnswerabilityJudge(replace(TYPED_FACTS_ONLY, weights=(0.0,) * len(FEATURES)))

    service = make_service(llm=llm, judge=answers_all)
    answer = service.reply(ChatInput("Ile tygodni rada ma na wydanie planu EHC?", language="pl")).answer

    assert answer.composer == "llm", answer.notes
    assert answer.text == reply


def test_chat_service_reply_survives_a_database_it_cannot_write(make_service, tmp_path):
    # A store whose folder is a file: every read and write raises StorageError (a database that cannot be used).
    (tmp_path / "not-a-folder").write_text("")
    broken = ConversationStore(tmp_path / "not-a-folder" / "chat.sqlite3", retention_days=30, redact=lambda t: t)
    expected = make_service(store=None).reply(ChatInput(EHCP_QUESTION)).answer

    turn = make_service(store=broken).reply(ChatInput(EHCP_QUESTION))

    assert turn.message_index is None and turn.answer.text == expected.text
    assert "history_not_read" in turn.answer.notes and "history_not_stored" in turn.answer.notes


def test_chat_service_disclosure_naming_a_send_term_without_a_question_quotes_nothing(make_service):
    answer = make_service().reply(ChatInput("We were evicted and sleep in the car with my autistic son")).answer

    assert answer.status == "safeguarding"
    assert answer.citations == () and "[1]" not in answer.text
    assert "0121 303 1888" in answer.text and "0121 303 1888" in answer.safety_line


def test_chat_service_suicidal_thoughts_list_someone_to_talk_to_right_after_999(make_service):
    answer = make_service().reply(ChatInput("i dont want to be alive anymore")).answer

    assert answer.status == "safeguarding"
    assert [c.id for c in answer.handoff][:3] == ["emergency", "samaritans", "childline"]
    lines = answer.text.splitlines()
    assert "999" in lines[1] and "116 123" in lines[2] and "0800 1111" in lines[3]


@pytest.mark.parametrize(
    "message",
    [
        "My husband hits the children, what should I do?",
        "Mój mąż bije dzieci, co mam robić?",
    ],
)
def test_chat_service_disclosure_with_only_a_plea_for_help_gets_people_not_quotes(make_service, message):
    answer = make_service().reply(ChatInput(message)).answer

    assert answer.status == "safeguarding"
    assert answer.citations == () and "[1]" not in answer.text


class CountingExpander(GlossaryExpander):
    """The real glossary expansion, counting the texts it expands."""

    def __init__(self) -> None:
        super().__init__(load_glossary())
        self.expanded: list[str] = []
        self.translated: list[str] = []

    def expand(self, text: str, lang: str | None = None, english_words: str | None = None) -> str:
        self.expanded.append(text)
        return super().expand(text, lang, english_words)

    def english_words(self, text: str, lang: str | None) -> str:
        self.translated.append(text)
        return super().english_words(text, lang)


def test_chat_service_checks_and_expands_the_question_once_per_turn(index, detector, store) -> None:
    """The turn prepares the question once and hands it to search, scope and composing alike."""
    expander = CountingExpander()
    searcher = Searcher(index, FakeEmbedder(), expander=expander)
    glossary = load_glossary()
    service = ChatService(
        searcher,
        ExtractiveComposer(StoredSentenceVectors(index.chunks, index.sentence_chunk, index.sentence_vectors)),
        glossary=glossary,
        contacts=Contacts(safeguarding_contacts(), handoff_contacts(), (), risk_specific_contacts()),
        safeguarding=SafeguardingDetector(),
        greetings=GreetingDetector(load_scope_data().greetings),
        scope=ScopeClassifier(searcher.queries.vector, load_scope_data(), margin=ALWAYS_IN_SCOPE),
        detector=detector,
        store=store,
        redact=redact_personal_data,
    )
    turn = service.reply(ChatInput("How long does an EHC needs assessment take?", "en"))
    assert turn.answer.status in {"answered", "not_found"}
    assert expander.expanded == ["How long does an EHC needs assessment take?"]
    assert expander.translated == expander.expanded  # the word translations are looked up once, for both uses


# ---- partial answers ----------------------------------------------------------------------------------------


class OnlyTimetableQuestions(AnswerabilityJudge):
    """Answers a question that mentions timetables, declines any other (stands in for the fitted model)."""

    def __init__(self) -> None:
        super().__init__(TYPED_FACTS_ONLY)

    def features(self, question, *args, **kwargs):  # type: ignore[no-untyped-def]
        return {**super().features(question, *args, **kwargs), "asks_timetable": float("timetable" in question)}

    def judge(self, features):  # type: ignore[no-untyped-def]
        verdict = super().judge(features)
        return replace(verdict, answers=bool(features["asks_timetable"]), reasons=("weak_evidence",), sure=False)


def test_chat_service_answers_the_part_it_can_and_hands_off_the_rest(make_service):
    unanswered = "And will the council pay for a private tutor for him?"
    message = f"Can a school use a part-time timetable to manage behaviour? {unanswered}"

    answer = make_service(judge=OnlyTimetableQuestions()).reply(ChatInput(message)).answer

    en = get_locale("en")
    assert answer.status == "answered" and "partial:1" in answer.notes
    assert answer.text.startswith(en.text("framing_unsure"))  # this judge is never sure
    assert answer.quotes and "timetable" in answer.quotes[0].text.casefold()
    handoff = answer.text.split(en.text("partial_not_found"), 1)[1]
    assert f"“{unanswered}”" in handoff and "Can a school" not in handoff
    assert "sendiass" in {c.id for c in answer.handoff}


def test_a_reply_the_navigator_is_not_sure_of_is_marked_so_in_the_api(make_service):
    from navigator.api.schemas import ChatResponse

    message = "Can a school use a part-time timetable to manage behaviour?"
    unsure = make_service(judge=OnlyTimetableQuestions()).reply(ChatInput(message))
    declined = make_service(judge=OnlyTimetableQuestions()).reply(ChatInput("Will the council pay for a tutor?"))

    assert unsure.answer.status == "answered" and ChatResponse.from_turn(unsure).unsure is True
    assert declined.answer.status == "not_found" and ChatResponse.from_turn(declined).unsure is False


def test_chat_service_does_not_deny_a_part_whose_own_best_quote_it_shows(make_service):
    # Both questions find the same timetable sentence first; the judge passes only the one naming a timetable.
    message = (
        "Can a school use a part-time timetable? Can it be used to manage a child's behaviour in limited circumstances?"
    )

    answer = make_service(judge=OnlyTimetableQuestions()).reply(ChatInput(message)).answer

    assert answer.status == "answered" and answer.quotes
    assert not any(n.startswith("partial:") for n in answer.notes)
    assert get_locale("en").text("partial_not_found") not in answer.text


def test_chat_service_declines_a_message_whose_whole_is_not_answered_unless_sure_of_a_part(make_service):
    class DeclinesWholeMessages(OnlyTimetableQuestions):
        def features(self, question, *args, **kwargs):  # type: ignore[no-untyped-def]
            found = super().features(question, *args, **kwargs)
            return {**found, "asks_timetable": found["asks_timetable"] * float("tutor" not in question)}

    class SureOfParts(DeclinesWholeMessages):
        def judge(self, features):  # type: ignore[no-untyped-def]
            verdict = super().judge(features)
            return replace(verdict, sure=verdict.answers)

    message = "Can a school use a part-time timetable to manage behaviour? And will the council pay for a tutor?"

    unsure = make_service(judge=DeclinesWholeMessages()).reply(ChatInput(message)).answer
    sure = make_service(judge=SureOfParts()).reply(ChatInput(message)).answer

    assert unsure.status == "not_found" and unsure.quotes == ()
    assert sure.status == "answered" and "partial:1" in sure.notes and "timetable" in sure.quotes[0].text.casefold()
    assert "“And will the council pay for a tutor?”" in sure.text


def test_chat_service_answers_a_part_of_a_declined_message_only_if_it_names_what_it_asks_about(make_service):
    class SureOfHowLong(OnlyTimetableQuestions):
        def features(self, question, *args, **kwargs):  # type: ignore[no-untyped-def]
            found = super().features(question, *args, **kwargs)
            return {**found, "asks_timetable": float("how long" in question.casefold() and "tutor" not in question)}

        def judge(self, features):  # type: ignore[no-untyped-def]
            verdict = super().judge(features)
            return replace(verdict, sure=verdict.answers)

    leaning = "Will the council we are moving to pay for a tutor for him? How long does it take there?"
    named = "Will the council we are moving to pay for a tutor for him? How long can a part-time timetable last?"

    # "How long does it take there?" leans on the declined question before it: alone it matches any sentence
    # about time, so the whole message is declined.
    assert make_service(judge=SureOfHowLong()).reply(ChatInput(leaning)).answer.status == "not_found"
    answer = make_service(judge=SureOfHowLong()).reply(ChatInput(named)).answer
    assert answer.status == "answered" and "partial:1" in answer.notes


def test_chat_service_llm_reply_to_a_partly_answered_message_still_names_the_rest(make_service):
    unanswered = "And will the council pay for a private tutor for him?"
    message = f"Can a school use a part-time timetable to manage behaviour? {unanswered}"
    llm = ScriptedLLM("Only in very limited circumstances [1].", cite="part-time timetable")

    answer = make_service(llm=llm, judge=OnlyTimetableQuestions()).reply(ChatInput(message)).answer

    assert answer.composer == "llm" and "partial:1" in answer.notes
    assert f"“{unanswered}”" in answer.text.split(get_locale("en").text("partial_not_found"), 1)[1]


def test_a_quote_from_a_plan_whose_years_are_over_is_flagged(make_service, tmp_path):
    from navigator.answer.chat import ChatOptions

    old = make_document(
        "old-strategy",
        "Strategy for SEND and Inclusion 2017-2020",
        [(["Travel"], "Children with SEND may get free home to school transport when they live far from school.")],
    )
    build_index([old, *tiny_corpus()[:1]], FakeEmbedder(), tmp_path / "index", **FAKE_INDEX)
    searcher = Searcher(load_index(tmp_path / "index", **FAKE_INDEX), FakeEmbedder())
    question = "Can my child get free home to school transport?"

    later = make_service(on=searcher, options=ChatOptions(year=2026)).reply(ChatInput(question)).answer
    during = make_service(on=searcher, options=ChatOptions(year=2019)).reply(ChatInput(question)).answer

    note = get_locale("en").text("ended_plan", period="2017–2020")
    assert later.status == "answered" and "old-strategy" in {c.doc_id for c in later.citations}
    assert "ended_plan" in later.notes and note in later.text
    old_quote = next(q for q in later.quotes if q.n == next(c.n for c in later.citations if c.doc_id == "old-strategy"))
    assert old_quote.note == note and f"{old_quote.line()}" in later.text
    assert later.text.split(f"— {old_quote.source}\n", 1)[1].startswith(note)  # under its quote's source line
    assert during.status == "answered" and "ended_plan" not in during.notes and note not in during.text
