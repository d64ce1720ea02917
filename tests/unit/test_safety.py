"""Safeguarding detection: specific phrases in 11 languages fire; ordinary SEND questions never do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from navigator.answer.safety import SafeguardingDetector, SafeguardingMatch
from navigator.errors import ConfigError

DEV_SET = Path(__file__).parents[3] / "shared/evals/dev.jsonl"


@pytest.fixture(scope="module")
def detector() -> SafeguardingDetector:
    return SafeguardingDetector()


# (message, expected category, expected phrase language)
POSITIVES = [
    # English: the brief's examples and common variants.
    ("I can't cope any more", "crisis", "en"),
    ("I want to hurt myself", "self_harm", "en"),
    ("My son said he wants to die", "suicide", "en"),
    ("He hits me when I take his tablet away", "abuse", "en"),
    ("Someone is hurting my daughter", "abuse", "en"),
    ("I'm scared for her safety", "danger", "en"),
    ("We are not safe at home", "danger", "en"),
    ("My daughter has been self-harming since Year 9", "self_harm", "en"),
    ("i cant cope with this anymore", "crisis", "en"),
    ("My 14 year old told me he is suicidal", "suicide", "en"),
    ("He says he doesnt want to live", "suicide", "en"),
    ("Her stepdad touched her inappropriately", "abuse", "en"),
    ("I think my son is being groomed online", "abuse", "en"),
    ("MY DAUGHTER IS CUTTING HERSELF", "self_harm", "en"),
    # Urdu, including romanised Urdu.
    ("میرا بیٹا کہتا ہے کہ وہ مرنا چاہتا ہے", "suicide", "ur"),
    ("میری بیٹی خودکشی کی باتیں کرتی ہے", "suicide", "ur"),
    ("میرا شوہر مجھے مارتا ہے", "abuse", "ur"),
    ("ہم گھر میں محفوظ نہیں ہیں", "danger", "ur"),
    ("میں اب برداشت نہیں کر سکتی", "crisis", "ur"),
    ("وہ خود کو نقصان پہنچاتی ہے", "self_harm", "ur"),
    ("meri beti khudkushi ki baat karti hai", "suicide", "ur"),
    ("Mera beta kehta hai woh marna chahta hai", "suicide", "ur"),
    # Polish, with inflected forms and free word order.
    ("Mój syn mówi, że chce umrzeć", "suicide", "pl"),
    ("Moja córka ma myśli samobójcze", "suicide", "pl"),
    ("Córka się samookalecza", "self_harm", "pl"),
    ("Mąż mnie bije", "abuse", "pl"),
    ("Nie jesteśmy bezpieczni w domu", "danger", "pl"),
    ("Już nie daję rady", "crisis", "pl"),
    ("Boje sie o jej bezpieczenstwo", "danger", "pl"),
    # One or more for every other language.
    ("ਮੇਰੀ ਧੀ ਕਹਿੰਦੀ ਹੈ ਕਿ ਉਹ ਮਰਨਾ ਚਾਹੁੰਦੀ ਹੈ", "suicide", "pa"),
    ("ਉਹ ਮੈਨੂੰ ਕੁੱਟਦਾ ਹੈ", "abuse", "pa"),
    ("আমার ছেলে বলে সে মরে যেতে চায়", "suicide", "bn"),
    ("আমরা বাড়িতে নিরাপদ নই", "danger", "bn"),
    ("ابني يقول إنه يريد أن يموت", "suicide", "ar"),
    ("ابنتي تؤذي نفسها", "self_harm", "ar"),
    ("زوجي يضربني", "abuse", "ar"),
    ("Wiilkaygu wuxuu yiri wuxuu rabaa inuu dhinto", "suicide", "so"),
    ("Gabadhaydu way is dhaawacaysaa", "self_harm", "so"),
    ("Fiul meu spune că vrea să moară", "suicide", "ro"),
    ("Sotul meu ma bate", "abuse", "ro"),
    ("Nu mai fac față", "crisis", "ro"),
    ("زما زوی وايي چې غواړي چې مړ شي", "suicide", "ps"),
    ("زما مېړه ما وهي", "abuse", "ps"),
    ("我儿子说他想死", "suicide", "zh"),
    ("我女儿在自残", "self_harm", "zh"),
    ("我们在家不安全", "danger", "zh"),
    ("کوڕەکەم دەڵێت دەیەوێت بمرێت", "suicide", "ckb"),
    ("مێردەکەم لێم دەدات", "abuse", "ckb"),
    # Mixed languages: the phrase is found whatever language surrounds it.
    ("My son keeps saying khudkushi kar lunga", "suicide", "ur"),
    ("我很担心 my daughter is self-harming", "self_harm", "en"),
    ("Mera beta school mein hai aur he says he wants to die", "suicide", "en"),
    ("Szkoła nic nie robi, a ja już nie daję rady. He hits me every day", "abuse", "en"),
    ("ابني في المدرسة الخاصة and he is cutting himself", "self_harm", "en"),
]

ORDINARY_SEND_QUESTIONS = [
    "Does the school have a self-harm policy?",
    "Is there any danger of losing the place if we move house?",
    "What is a risk assessment and does my son need one before the trip?",
    "Can the school exclude my son for his behaviour?",
    "How long can a fixed-term suspension last?",
    "What counts as harm under the SEND code of practice?",
    "My son can't cope with loud noises in the dining hall, what support is there?",
    "My daughter gets aggressive at home when she is overwhelmed. Is there parenting support?",
    "Is there suicide prevention training for SENCOs in Birmingham?",
    "He can't go on the school trip without a one-to-one, can they refuse?",
    "His EHCP paperwork has gone missing at the council, what do I do?",
    "The school threatened me with a fine for his attendance.",
    "Can my autistic son cut food with a knife at lunch, or will staff help?",
    "Are services at breaking point because of the funding cuts?",
    "Can we get help with personal grooming and dressing as part of his plan?",
    "کیا اسکول میرے بیٹے کو اس کے رویے کی وجہ سے خارج کر سکتا ہے؟",
    "Czy szkoła może zawiesić moje dziecko za zachowanie?",
    "Dacă ne mutăm, există pericolul să pierdem locul la școală?",
    "هل يمكن للمدرسة أن تفصل ابني بسبب سلوكه؟",
    "我儿子的学校可以因为他的行为把他停学吗？",
]


@pytest.mark.parametrize(("text", "category", "language"), POSITIVES)
def test_safety_detects_risk_in_every_language(
    detector: SafeguardingDetector, text: str, category: str, language: str
) -> None:
    match = detector.detect(text)
    assert match is not None, text
    assert (match.category, match.language) == (category, language)
    assert match.phrase  # the phrase as written in the data file, for logs


@pytest.mark.parametrize("text", ORDINARY_SEND_QUESTIONS)
def test_safety_ignores_ordinary_send_questions(detector: SafeguardingDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_safety_ignores_every_dev_set_question(detector: SafeguardingDetector) -> None:
    if not DEV_SET.exists():
        pytest.skip(f"{DEV_SET} not present")
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    flagged = [(row["question"], detector.detect(row["question"])) for row in rows]
    assert [pair for pair in flagged if pair[1] is not None] == []


def test_safety_reports_the_most_urgent_category(detector: SafeguardingDetector) -> None:
    match = detector.detect("I can't cope any more and now my daughter says she wants to die")
    assert match == SafeguardingMatch(category="suicide", language="en", phrase="wants to die")


def test_safety_exclusion_hides_only_the_phrase_inside_it(detector: SafeguardingDetector) -> None:
    assert detector.detect("What does the self-harm policy say about phones?") is None
    match = detector.detect("She has started to self-harm. What does the self-harm policy say?")
    assert match is not None and match.category == "self_harm"


def test_safety_ignores_empty_and_punctuation_only_text(detector: SafeguardingDetector) -> None:
    assert detector.detect("") is None
    assert detector.detect(" ?! ") is None


def test_safety_latin_phrases_match_whole_words_only(detector: SafeguardingDetector) -> None:
    assert detector.detect("The grape harvest was abusive") is not None  # "abusive" is a word of its own
    assert detector.detect("grapes and drapes") is None  # "rape" inside other words


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "safeguarding.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "categories": ["suicide", "crisis"],
        "phrases": {"en": {"suicide": ["end it all"], "crisis": ["overwhelm*"]}, "zh": {"crisis": ["撑不下去"]}},
        "exclusions": {"en": ["end it all sale"]},
    }
    data.update(overrides)
    return data


def test_safety_custom_file_supports_word_endings_and_exclusions(tmp_path: Path) -> None:
    detector = SafeguardingDetector(_write(tmp_path, _data()))
    assert detector.categories == ("suicide", "crisis")
    assert detector.detect("I feel so overwhelmed") == SafeguardingMatch("crisis", "en", "overwhelm*")
    assert detector.detect("我真的撑不下去了") == SafeguardingMatch("crisis", "zh", "撑不下去")
    assert detector.detect("the end it all sale is on") is None
    assert detector.detect("I want to end it all") == SafeguardingMatch("suicide", "en", "end it all")


def test_safety_constructor_reads_nothing_until_first_use(tmp_path: Path) -> None:
    detector = SafeguardingDetector(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError):
        detector.detect("hello")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"version": 2}, "version 1"),
        ({"categories": []}, "'categories'"),
        ({"categories": ["suicide", "suicide"]}, "'categories'"),
        ({"phrases": {"xx": {"suicide": ["end it all"]}}}, "unknown language"),
        ({"phrases": {"en": {"danger": ["end it all"]}}}, "not listed in 'categories'"),
        ({"phrases": {"en": {"suicide": "end it all"}}}, "must be a list"),
        ({"phrases": {"en": {"suicide": [""]}}}, "with letters"),
        ({"phrases": {"en": {"suicide": ["ab*"]}}}, "at least 4 letters"),
        ({"phrases": {"en": {"suicide": ["ov*erwhelm"]}}}, "not at the end"),
        ({"phrases": {"ar": {"suicide": ["انتحار*"]}}}, "only in Latin-script"),
        ({"phrases": {"zh": {"suicide": ["死"]}}}, "too short"),
        ({"exclusions": ["end it all sale"]}, "'exclusions'"),
    ],
)
def test_safety_rejects_a_malformed_file(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    detector = SafeguardingDetector(_write(tmp_path, _data(**overrides)))
    with pytest.raises(ConfigError, match=message):
        detector.detect("anything")


def test_safety_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "safeguarding.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        SafeguardingDetector(path).detect("anything")
