"""One chat turn, start to finish: language, safety, scope, retrieval, composition, signposting, history.

Every reply is one of four statuses. ``safeguarding`` comes first whatever else the message asks; a
greeting or an unrelated message gets ``out_of_scope`` with a short localised text; a question is
``answered`` only when the quotes hold what it asks for, and ``not_found`` (with human services to turn
to) otherwise. Citations are built only from passages that retrieval returned.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from navigator.answer.answer_types import AnswerTypeChecker
from navigator.answer.answerability import AnswerabilityJudge, Verdict
from navigator.answer.base import (
    Answer,
    Composer,
    Composition,
    CompositionRequest,
    Contact,
    GlossaryNote,
    Passage,
)
from navigator.answer.contacts import Contacts, contact_block, risk_lead
from navigator.answer.extractive import ExtractiveComposer, ScoredUnit
from navigator.answer.named_terms import NamedTermCheck
from navigator.answer.question_probes import QuestionKinds, QuestionProbe
from navigator.answer.reply_parts import Event, ReplyParts
from navigator.answer.safety import SafeguardingDetector
from navigator.answer.scope import GreetingDetector, ScopeClassifier
from navigator.answer.source_labels import ended_period
from navigator.errors import ComposerUnavailableError, QueryRejectedError, StorageError
from navigator.languages.detection import LanguageDetector
from navigator.languages.glossary import Glossary
from navigator.languages.locales import Locale, get_locale
from navigator.languages.matching import clause_spans, question_parts, word_count
from navigator.retrieval.searcher import PreparedQuery, Searcher
from navigator.storage.conversations import ConversationStore

logger = logging.getLogger(__name__)

_CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class ChatInput:
    """One message from the user."""

    message: str
    language: str | None = None
    conversation_id: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class ChatTurn:
    """The reply, with where it was stored."""

    answer: Answer
    conversation_id: str
    message_index: int | None  # None when no conversation store is configured
    retrieval_query: str
    elapsed_ms: float


@dataclass(frozen=True)
class Assessment:
    """The passages offered, the quotes chosen from them, and whether those answer the message."""

    request: CompositionRequest
    chosen: list[ScoredUnit]  # the quotes the reply shows
    verdict: Verdict | None  # None: no passage held a quotable sentence
    considered: list[ScoredUnit]  # every quote the reply could carry, which the verdict weighed


@dataclass(frozen=True)
class ChatOptions:
    """Limits of a turn."""

    passages: int = 5  # passages offered to the composer (the extractive one quotes at most three)
    glossary_notes: int = 3
    history_turns: int = 2
    followup_max_words: int = 14  # a message this short in a conversation is read with the previous question
    year: int | None = None  # the year a plan's period is judged ended against (None: the current year)


class ChatService:
    """Answers chat messages from the index; components are injected so each can be swapped or faked."""

    def __init__(
        self,
        searcher: Searcher,
        extractive: ExtractiveComposer,
        *,
        glossary: Glossary,
        contacts: Contacts,
        safeguarding: SafeguardingDetector,
        greetings: GreetingDetector,
        scope: ScopeClassifier,
        answer_types: AnswerTypeChecker | None = None,
        judge: AnswerabilityJudge | None = None,
        detector: LanguageDetector | None = None,
        llm: Composer | None = None,
        store: ConversationStore | None = None,
        redact: Callable[[str], str] = lambda text: text,
        options: ChatOptions | None = None,
        health: QuestionProbe | None = None,
        kinds: QuestionKinds | None = None,
    ) -> None:
        self.searcher = searcher
        self.extractive = extractive
        self.llm = llm
        self.glossary = glossary
        self.contacts = contacts
        self.safeguarding = safeguarding
        self.greetings = greetings
        self.scope = scope
        self.answer_types = answer_types or AnswerTypeChecker()
        self.judge = judge or AnswerabilityJudge(answer_types=self.answer_types, named_terms=NamedTermCheck(glossary))
        # The judge's own check when it has one (the server builds it once); a judge without one gets its own.
        self.named_terms = self.judge.named_terms or NamedTermCheck(glossary)
        self.detector = detector or LanguageDetector()
        self.store = store
        self.redact = redact
        self.options = options or ChatOptions()
        self.health = health  # tells a health question, so that a decline names a health service first
        self.kinds = kinds  # tells a question one school, another council or the family's own caseworker can answer

    # ---- public ----------------------------------------------------------------------------------------

    def reply(self, chat: ChatInput) -> ChatTurn:
        """The complete reply to one message.

        Raises:
            QueryRejectedError: the message is empty or the conversation id is malformed.
            QueryTooLongError: the message is over the configured limit.

        """
        final: ChatTurn | None = None
        for kind, value in self.stream(chat):
            if kind == "final":
                assert isinstance(value, ChatTurn)
                final = value
        assert final is not None
        return final

    def stream(self, chat: ChatInput) -> Iterator[Event]:
        """Reply deltas as they are written, then the complete turn.

        Raises:
            QueryRejectedError: as in :meth:`reply`; raised before the first event.

        """
        started = time.perf_counter()
        message = self.searcher.check_query(chat.message)  # raises before the first event
        conversation_id = self._conversation_id(chat.conversation_id)
        detected = self.detector.detect(message).lang
        lang = self.detector.detect(message, chat.language).lang if chat.language else detected
        locale = get_locale(lang)
        parts = ReplyParts(lang, detected)
        history = self._history(conversation_id, parts)
        query_text = self._retrieval_text(message, history)
        said = self.searcher.prepare(message, lang)  # checked, expanded and embedded once for the whole turn
        query = said if query_text == message else self.searcher.prepare(query_text, lang)

        # A message that is nothing but a greeting tells of nothing (its vector is too short to compare). Otherwise
        # the message's own vector: the one retrieval uses too whenever the message is searched alone.
        greeting = self.greetings.is_greeting(message)
        danger = None
        if not greeting:
            danger = self.safeguarding.detect(message, said.vector, said.clauses, self._parts_alone(said))
        if danger is not None:
            parts.status = "safeguarding"
            parts.notes.append(f"safeguarding:{danger.category}")
            # The meaning check alone is less sure of the kind of risk (and of any risk) than words are: it gets the
            # general opening and services, and the question is still answered.
            category = danger.category if danger.signal != "meaning" else "general"
            lead = risk_lead(locale, category, self.contacts.emergency_number())
            contacts = self.contacts.for_risk(category)
            intro = contact_block(locale, lead, contacts)
            parts.handoff = list(contacts)
            yield from parts.emit(intro)

        if greeting:
            parts.status = "out_of_scope"
            parts.notes.append("greeting")
            yield from parts.emit(locale.text("welcome"))
        elif danger is None or danger.signal == "meaning" or self._asks_about_send(message):
            # After the signposting, documents are quoted only for a question asked alongside: a message that
            # only tells of harm in words gets the people to call, not loosely related passages.
            # The meaning check alone is the less sure signal: its message also gets the reply it would have had,
            # a decline included, so a look-alike ("the bus never came for my son") still hears what was not found.
            meaning = danger is not None and danger.signal == "meaning"
            yield from self._answer(message, query, locale, parts, followup=danger is not None, decline_too=meaning)

        answer = replace(
            parts.build(locale),
            safety_line=self.contacts.safety_line(locale),
            safety_sources=self.contacts.line_sources,
        )
        index = self._store_turn(conversation_id, message, answer, parts)
        answer = replace(answer, notes=tuple(parts.notes))  # with "history_not_stored" when storing failed
        elapsed = (time.perf_counter() - started) * 1000
        logger.info(
            "chat status=%s lang=%s citations=%d composer=%s %.0f ms",
            answer.status,
            lang,
            len(answer.citations),
            answer.composer,
            elapsed,
        )
        yield ("final", ChatTurn(answer, conversation_id, index, self.redact(query_text), elapsed))

    # ---- steps -----------------------------------------------------------------------------------------

    def _history(self, conversation_id: str, parts: ReplyParts) -> list[str]:
        """Earlier questions of the conversation; none when the database cannot be read (the reply goes on)."""
        if self.store is None:
            return []
        try:
            return self.store.recent_questions(conversation_id, self.options.history_turns)
        except StorageError as exc:
            logger.error("conversation history not read: %s", exc)  # the message names the file, not user text
            parts.notes.append("history_not_read")
            return []

    def _store_turn(self, conversation_id: str, message: str, answer: Answer, parts: ReplyParts) -> int | None:
        """Store the turn; the reply is sent even when this fails (without an index, so no feedback on it)."""
        if self.store is None:
            return None
        try:
            return self.store.add_turn(
                conversation_id,
                question=message,
                language=answer.language,
                status=answer.status,
                answer=answer.text,
                citations=[
                    {"n": c.n, "doc_id": c.doc_id, "title": c.title, "url": c.url, "section": c.section}
                    for c in answer.citations
                ],
            )
        except StorageError as exc:
            logger.error("chat turn not stored: %s", exc)
            parts.notes.append("history_not_stored")
            return None

    def assess(self, message: str, query: PreparedQuery, lang: str) -> Assessment:
        """Retrieve, choose the quotes, and judge whether they answer the message (no text is written)."""
        results = self.searcher.search(query, self.options.passages)
        expected = self.answer_types.expected(message)
        request = CompositionRequest(
            question=query.text,
            language=lang,
            passages=[Passage(i, r.chunk, r.score) for i, r in enumerate(results, 1)],
            query_vector=query.vector.tolist(),
            query_states=self.searcher.query_states(query),
            lexical_text=query.lexical_text,
            expected_evidence=tuple(k for t in expected for k in t.satisfied_by),
            figures_asked=any(t.name == "figures" for t in expected),
            experiences_asked=any(t.name == "experiences" for t in expected),
        )
        ranked = self.extractive.scored_units(request)
        # The judge weighs every quote a reply could carry; the reply shows those close to the lead. So how many
        # supporting quotes are shown does not move what is declined.
        considered = self.extractive.choose(ranked)
        if not considered:
            return Assessment(request, [], None, [])
        cited_chunks = list(dict.fromkeys(u.passage.chunk for u in considered))
        cited = [u.unit.text for u in considered] + [t for c in cited_chunks for t in (c.section, c.doc_title)]
        features = self.judge.features(
            self.redact(message),  # a postcode or a date is not a name the documents must share
            lang,
            ranked,
            considered,
            self.searcher.token_match(query, [p.chunk for p in request.passages]),
            cited,
            request.passages,
            expected,
            request.query_vector,
        )
        return Assessment(request, self.extractive.shown(considered), self.judge.judge(features), considered)

    def _answer(
        self,
        message: str,
        query: PreparedQuery,
        locale: Locale,
        parts: ReplyParts,
        *,
        followup: bool,
        decline_too: bool = False,
    ) -> Generator[Event, None, None]:
        """Retrieve and judge; quote when the quotes answer the message, otherwise decline and hand off."""
        lang = locale.language
        names_term = bool(self.glossary.find(message, None))
        kind = self._kind_of(query)  # read once: it orders the services and says who else can answer
        if not self.scope.in_scope(query.vector, names_term):
            if parts.status != "safeguarding":
                parts.status = "out_of_scope"
                parts.notes.append("out_of_scope")
                parts.handoff = list(self._handoff_for(kind, self.contacts.for_answers()))
                yield from parts.emit(locale.text("out_of_scope"))
            return
        assessment, unanswered = self._assess_parts(message, query, lang)
        verdict = assessment.verdict
        if verdict is None or not verdict.answers or not assessment.chosen:
            if verdict is not None:
                parts.evidence_score = verdict.probability
            reasons = ",".join(verdict.reasons) if verdict and not verdict.answers else "nothing_to_quote"
            parts.notes.append(f"missing:{reasons}" if verdict else "ungrounded")
            contacts = self._handoff_for(kind, self.contacts.handoff)
            yield from self._decline(locale, parts, contacts, decline_too, kind)
            return
        parts.evidence_score = verdict.probability
        # A health question the quotes may not answer still names a health service among the people to ask.
        handoff = self._handoff_for(kind, self.contacts.for_answers())
        if self.llm is not None:
            mark = parts.mark()
            streamed = yield from self._stream_llm(assessment.request, parts)
            if streamed is not None and streamed.grounded:
                self._finish(locale, parts, streamed, self.llm, handoff)
                yield from self._hand_off_parts(unanswered, locale, parts)
                return
            parts.rewind(mark)
        composition = self._with_ended_notes(self.extractive.compose_from(assessment.chosen), locale, parts)
        self._finish(locale, parts, composition, self.extractive, handoff)
        # Below the model's "sure" level the quotes are the closest found, and the reply says so.
        if not verdict.sure:
            parts.notes.append("unsure")
        framing = "framing_followup" if followup else "framing_answered" if verdict.sure else "framing_unsure"
        lead = locale.framing(framing)
        # The lead quote goes with the framing, so the first thing a family reads is the answer itself.
        first, *rest = composition.quotes
        yield from parts.emit("\n".join([lead, first.line()]))
        if rest:
            yield from parts.emit("\n".join([locale.text("more_from_documents"), *(q.line() for q in rest)]))
        # Quotes the navigator is not sure of are the closest found: a question of a known kind also hears who can
        # answer it, as a decline would say.
        if not verdict.sure and parts.status != "safeguarding":
            yield from self._pointer(kind, locale, parts)
        yield from self._hand_off_parts(unanswered, locale, parts)

    def _with_ended_notes(self, composition: Composition, locale: Locale, parts: ReplyParts) -> Composition:
        """The composition with a note, in the reader's language, under the first quote from each ended plan.

        A plan whose years are over may describe aims since met, dropped or replaced, and its years are named only
        in the English source line. The note sits with its quote, so it folds with it where a client folds quotes.
        """
        year = self.options.year or date.today().year
        titles = {c.n: c.title for c in composition.citations}
        quotes, flagged = [], set()
        for quote in composition.quotes:
            period = ended_period(titles[quote.n], year)
            if period is not None and period not in flagged:
                flagged.add(period)
                quote = replace(quote, note=locale.text("ended_plan", period=period))
            quotes.append(quote)
        if not flagged:
            return composition
        parts.notes.append("ended_plan")
        return replace(composition, text="\n".join(q.line() for q in quotes), quotes=tuple(quotes))

    def _assess_parts(self, message: str, query: PreparedQuery, lang: str) -> tuple[Assessment, list[str]]:
        """The assessment to answer from, and the questions of the message the documents do not answer.

        A message asking two things is also judged question by question: the reply then quotes for the questions
        answered and says which ones it cannot answer.
        """
        whole = self.assess(message, query, lang)
        questions = question_parts(message)
        if len(questions) < 2:
            return whole, []
        whole_answers = whole.verdict is not None and whole.verdict.answers
        judged = [(q, self.assess(q, self.searcher.prepare(q, lang), lang)) for q in questions]
        # A short question on its own passes by chance more often than the whole message: when the whole is
        # declined, a part is answered only if the model is sure of it and it names what it asks about. "How long
        # does it take there?" after a question about moving from another council leans on that question, and
        # alone it matches any sentence about time.
        answered = [
            a
            for q, a in judged
            if a.verdict is not None
            and a.verdict.answers
            and (whole_answers or (a.verdict.sure and self._names_its_subject(q, lang)))
        ]
        if not answered or len(answered) == len(judged):
            return whole, []
        chosen: list[ScoredUnit] = []
        for a in answered:  # the lead of each answered question first, then their supporting quotes
            chosen.extend(u for u in a.chosen[:1] if u.unit.text not in {c.unit.text for c in chosen})
        for a in answered:
            chosen.extend(u for u in a.chosen[1:] if u.unit.text not in {c.unit.text for c in chosen})
        verdicts = [a.verdict for a in answered if a.verdict is not None]
        verdict = whole.verdict if whole_answers else max(verdicts, key=lambda v: v.probability)
        shown = chosen[: self.extractive.options.max_quotes]
        # A question whose own best quote is shown anyway is not said to be unanswered: the reply would quote the
        # answer and then deny having found it ("how many in 2016? more than in 2015?" answered by one sentence).
        quoted = {u.unit.text for u in shown}
        unanswered = [
            q
            for q, a in judged
            if all(a is not kept for kept in answered) and not (a.chosen and a.chosen[0].unit.text in quoted)
        ]
        return Assessment(whole.request, shown, verdict, shown), unanswered

    def _names_its_subject(self, question: str, lang: str) -> bool:
        """Whether a question names what it asks about: a SEND term, a name, or a situation in families' words."""
        if self.named_terms.names(question, lang):
            return True
        expander = self.searcher.expander
        return expander is not None and bool(expander.expand(question, None))

    def _hand_off_parts(self, unanswered: Sequence[str], locale: Locale, parts: ReplyParts) -> Iterator[Event]:
        """Say which of the message's questions the documents do not answer, and who can help with them."""
        if not unanswered:
            return
        parts.notes.append(f"partial:{len(unanswered)}")
        asked = "\n".join(f"“{q}”" for q in unanswered)
        handoff = list(dict.fromkeys([*parts.handoff, *self.contacts.handoff]))
        parts.handoff = handoff
        lead = f"{locale.text('partial_not_found')}\n{asked}\n{locale.text('handoff_intro')}"
        yield from parts.emit(contact_block(locale, lead, self.contacts.handoff))

    def _stream_llm(self, request: CompositionRequest, parts: ReplyParts) -> Generator[Event, None, Composition | None]:
        """Stream the LLM's reply; on failure forget what was streamed and return None (extractive follows)."""
        assert self.llm is not None
        mark = parts.mark()
        try:
            for piece in self.llm.stream(request):
                if isinstance(piece, Composition):
                    if not piece.grounded:
                        parts.rewind(mark)
                    return piece
                yield from parts.append(piece, first=parts.mark() == mark)
        except ComposerUnavailableError as exc:
            logger.warning("%s", exc)
        parts.rewind(mark)
        return None

    def _finish(
        self,
        locale: Locale,
        parts: ReplyParts,
        composition: Composition,
        composer: Composer,
        handoff: Sequence[Contact],
    ) -> None:
        """Record a composition as the answer, with the services to ask if it does not answer."""
        if parts.status != "safeguarding":
            parts.status = "answered"
            parts.handoff = list(handoff)
        parts.composer = composer.name
        parts.citations = list(composition.citations)
        parts.quotes = list(composition.quotes)
        parts.glossary = self._glossary_notes(composition, locale.language)

    def _decline(
        self,
        locale: Locale,
        parts: ReplyParts,
        contacts: Sequence[Contact],
        after_safety: bool = False,
        kind: str | None = None,
    ) -> Iterator[Event]:
        """Say the documents do not answer this, and name people who can help.

        After safeguarding signposting this is said only when ``after_safety`` (the services already named are not
        named again); otherwise the signposting is the whole reply. Who can answer a question of ``kind`` follows
        the services as a paragraph of its own, or for a health question comes first.
        """
        if parts.status == "safeguarding":
            if not after_safety:
                return
            contacts = [c for c in contacts if c not in parts.handoff]
            parts.notes.append("not_found")
            parts.handoff = [*parts.handoff, *contacts]
        else:
            parts.status = "not_found"
            parts.handoff = list(contacts)
        if kind == "health":  # it may be urgent: where to get medical help comes before what was not found
            yield from self._pointer(kind, locale, parts)
        yield from parts.emit(contact_block(locale, locale.text("not_found"), contacts))
        if kind != "health":
            yield from self._pointer(kind, locale, parts)

    def _parts_alone(self, said: PreparedQuery) -> np.ndarray | None:
        """The message's sentences, and what it says after its opening, embedded alone, when safeguarding reads them."""
        return said.parts_alone() if self.safeguarding.reads_parts else None

    def _kind_of(self, query: PreparedQuery) -> str | None:
        """The kind of question that a decline points elsewhere for (``POINTER_KINDS``), or None.

        Health comes first, since it may be urgent; then one school's own arrangements, another council's area,
        the family's own case, or benefits and money.
        """
        if self.health is not None and self.health.flags(query.vector):
            return "health"
        return self.kinds.kind_of(query.vector) if self.kinds is not None else None

    def _pointer(self, kind: str | None, locale: Locale, parts: ReplyParts) -> Iterator[Event]:
        """Who can answer a question of ``kind``, as a paragraph of its own (nothing for no kind).

        Worded as a condition, since the kind is read from the question's meaning alone.
        """
        if kind is None:
            return
        parts.notes.append(f"pointer:{kind}")
        if kind == "health":  # its numbers come from the contacts file, as every number the navigator writes
            numbers = {"health": self.contacts.health_number(), "emergency": self.contacts.emergency_number()}
            yield from parts.emit(locale.text("decline_kind.health", **numbers))
        else:
            yield from parts.emit(locale.text(f"decline_kind.{kind}"))

    def _handoff_for(self, kind: str | None, usual: Sequence[Contact]) -> Sequence[Contact]:
        """The services to name: a health service first when the question asks for health or medical advice."""
        return self.contacts.for_health(usual) if kind == "health" else usual

    def _glossary_notes(self, composition: Composition, lang: str) -> list[GlossaryNote]:
        """Explain, in the reader's language, the SEND terms the quoted sentences use.

        Terms of the quoted sentences come first; terms found only elsewhere in the cited passages follow
        while there is room, since the reader may open the full passage.
        """
        quoted = self.glossary.find(composition.text, "en")
        passages = self.glossary.find("\n".join(c.quote for c in composition.citations), "en")
        terms = list(dict.fromkeys([*quoted, *passages]))[: self.options.glossary_notes]
        notes: list[GlossaryNote] = []
        for term in terms:
            entry = term.entry(lang)
            notes.append(GlossaryNote(term.id, entry.term, term.english.term, entry.explanation))
        return notes

    def _asks_about_send(self, message: str) -> bool:
        """Whether a message that tells of harm also asks a SEND question.

        A question counts when it, or the clause just before it, names a SEND term (school included) or describes
        one in families' words ("…the school keeps sending him home. Is that allowed?", "…what happens at an
        annual review?"). "What should I do?" after a disclosure is answered by the people to call, not by quotes
        from strategy documents, and so is "we are sleeping in the car with my autistic son" (no question).
        """
        spans = clause_spans(message)
        for i, (start, end) in enumerate(spans):
            if message[end : end + 1] not in ("?", "؟", "？"):
                continue
            asked = message[spans[i - 1][0] if i else start : end]
            # A SEND term named ("EHCP"), or described in families' words ("keeps sending him home").
            expander = self.searcher.expander
            if self.glossary.find(asked, None) or (expander is not None and expander.expand(asked, None)):
                return True
        return False

    def _retrieval_text(self, message: str, history: Sequence[str]) -> str:
        """A short follow-up ("and if she is under 5?") is searched together with the previous question."""
        if not history or word_count(message) > self.options.followup_max_words:
            return message
        return _conversation_text(history, message, self.options.history_turns, self.searcher.max_query_chars)

    def _conversation_id(self, given: str | None) -> str:
        if given is None:
            return ConversationStore.new_id()
        if not _CONVERSATION_ID.fullmatch(given):
            raise QueryRejectedError("conversation_id must be the id a previous reply returned (32 hex digits).")
        return given


def _conversation_text(history: Sequence[str], message: str, turns: int, limit: int) -> str:
    """The last ``turns`` questions of a conversation and this message, oldest first, in at most ``limit`` characters.

    The oldest questions are left out first when the whole would be longer (a query has a length limit).
    """
    kept = [message]
    size = len(message)
    for earlier in reversed(history[-turns:] if turns > 0 else []):
        size += len(earlier) + 1
        if size > limit:
            break
        kept.insert(0, earlier)
    return " ".join(kept)


