"""Answer types: a question that asks for a phone number, money or a waiting time needs one in the quotes."""

from __future__ import annotations

import pytest

from navigator.answer.answer_types import AnswerTypeChecker, parse_answer_types
from navigator.errors import ConfigError


@pytest.fixture(scope="module")
def checker() -> AnswerTypeChecker:
    return AnswerTypeChecker()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What's the phone number for SENDIASS?", "contact"),
        ("SENDIASS کا فون نمبر کیا ہے؟", "contact"),
        ("Jaki jest numer telefonu do SENDIASS?", "contact"),
        ("伯明翰SENDIASS的电话号码是多少？", "contact"),
        ("Is there a direct line for the caseworkers? The switchboard just rings out", "contact"),
        ("Czy jest jakiś bezpośredni numer do zespołu?", "contact"),
        ("Is there an out of hours crisis line for the mental health service?", "contact"),
        ("How much money will we get with a personal budget?", "money"),
        ("How many months is the waiting list for an assessment?", "waiting_time"),
        ("ADHD اسیسمنٹ کے لیے کتنے مہینے انتظار کرنا پڑتا ہے؟", "waiting_time"),
    ],
)
def test_answer_types_read_the_asked_for_kind_in_any_language(
    checker: AnswerTypeChecker, question: str, kind: str
) -> None:
    assert kind in [t.name for t in checker.expected(question)]


def test_answer_types_ignore_ordinary_questions(checker: AnswerTypeChecker) -> None:
    assert checker.expected("Who decides whether my son gets an EHC plan?") == []
    assert checker.expected("Can my daughter's school phase transfer be delayed?") == []
    assert "contact" not in [t.name for t in checker.expected("Is there a direct line of support for carers?")]


def test_answer_types_missing_until_the_quote_holds_the_fact(checker: AnswerTypeChecker) -> None:
    question = "What is the SENDIASS telephone number?"
    assert checker.missing(question, ["SENDIASS gives parents free advice."]) == ["contact"]
    assert checker.missing(question, ["Call SENDIASS on 0121 303 5004."]) == []
    wait = "How many weeks does the assessment take?"
    assert checker.missing(wait, ["Plans should be issued within 20 weeks."]) == []
    assert checker.missing(wait, ["Plans should be issued within the 20-week time scale."]) == []
    assert checker.missing(wait, ["Assessments are carefully planned."]) == ["waiting_time", "figures"]


def test_answer_types_reject_unknown_evidence_kinds() -> None:
    with pytest.raises(ConfigError, match="known evidence"):
        parse_answer_types({"types": {"x": {"cues": {"en": ["cue"]}, "satisfied_by": ["telepathy"]}}})
