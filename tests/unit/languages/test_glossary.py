import json
import time
from pathlib import Path

import pytest

import navigator
from navigator.errors import ConfigError
from navigator.languages.glossary import Glossary, load_glossary
from navigator.languages.matching import normalize

GLOSSARY_PATH = Path(navigator.__file__).parent / "data" / "glossary.json"


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def ids(terms) -> list[str]:
    return [term.id for term in terms]


# --- the data file ---------------------------------------------------------------------------------------------


# --- loading -----------------------------------------------------------------------------------------------------


def test_default_glossary_is_cached(glossary):
    assert load_glossary() is glossary
    assert len(glossary) == len(glossary.terms) >= 45
    assert glossary.get("ehc-plan").english.term == "EHC plan"
    assert glossary.get("no-such-term") is None


def test_entry_falls_back_to_english(glossary):
    term = glossary.get("senco")
    assert term.entry("pl") is term.entries["pl"]
    assert term.entry("fr") is term.english


def test_load_from_path_and_reject_missing_language(tmp_path, raw):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"version": 1, "terms": raw["terms"][:2]}), encoding="utf-8")
    assert len(load_glossary(good)) == 2

    broken = json.loads(json.dumps(raw["terms"][0]))
    del broken["ps"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "terms": [broken]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="ps"):
        load_glossary(bad)


def test_rejects_empty_explanation(tmp_path, raw):
    broken = json.loads(json.dumps(raw["terms"][0]))
    broken["so"]["explanation"] = "  "
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": 1, "terms": [broken]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="explanation"):
        load_glossary(path)


# --- normalisation -----------------------------------------------------------------------------------------------


def test_normalize_folds_accents_punctuation_and_arabic_script_variants():
    assert normalize("Szkoła  specjalną, co-production!") == "Szkola specjalna co production"
    assert normalize("școală ş ț") == "scoala s t"
    assert normalize("التَّعْلِيـــم") == normalize("التعلیم")  # harakat, tatweel, Arabic yeh vs Persian yeh
    assert normalize("كونسل") == normalize("کونسل")  # Arabic kaf vs keheh
    assert normalize("قوتابخانە") == normalize("قوتابخانه") == normalize("قوتابخانہ")  # Kurdish ە, Urdu ہ
    assert normalize("খণ্ডকালীন ১৬") == normalize("খণ্ডকালীন 16")  # Bengali digits


# --- find() -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ur", "میرے بیٹے کا ای ایچ سی پی ہے لیکن سکول مدد نہیں کر رہا۔", {"ehc-plan", "education-setting"}),
        ("ur", "کیا تعلیم، صحت اور نگہداشت کا منصوبہ کے لیے اپیل ہو سکتی ہے؟", {"ehc-plan", "send-tribunal"}),
        ("pl", "Czy rada miasta może odmówić wydania planu EHC dla mojego syna?", {"local-authority", "ehc-plan"}),
        ("pl", "Mój syn ma autyzm i chodzi do szkoły specjalnej.", {"autism", "special-school"}),
        (
            "so",
            "Wiilkayga wuxuu leeyahay qorshaha EHC, sidee baan u helaa gaadiidka dugsiga?",
            {"ehc-plan", "home-to-school-transport"},
        ),
        ("zh", "我的孩子有自闭症，学校说要等EHC需求评估。", {"autism", "education-setting", "ehc-needs-assessment"}),
        ("ar", "ابني لديه خطة التعليم والصحة والرعاية ونحتاج إلى الوساطة.", {"ehc-plan", "mediation"}),
        (
            "bn",
            "আমার মেয়ের স্পিচ থেরাপি দরকার, কিন্তু ওয়েটিং লিস্ট অনেক লম্বা।",
            {"speech-and-language-therapy", "waiting-list"},
        ),
        ("pa", "ਮੇਰੇ ਪੁੱਤਰ ਨੂੰ ਸਕੂਲ ਤੋਂ ਕੱਢ ਦਿੱਤਾ ਗਿਆ ਹੈ, ਉਸ ਨੂੰ ADHD ਹੈ।", {"exclusion", "adhd"}),
        ("ps", "زما لور اوټیزم لري او د خبرو او ژبې درملنې ته اړتیا لري.", {"autism", "speech-and-language-therapy"}),
        ("ckb", "کوڕەکەم ئۆتیزمی هەیە، چۆن داوای پلانی EHC بکەم؟", {"autism", "ehc-plan"}),
        (
            "ro",
            "Copilul meu are nevoie de o scoala speciala si de transport scolar.",
            {"special-school", "home-to-school-transport"},
        ),
        (
            "en",
            "My son is on a reduced timetable and the SENCo says he may be excluded from school.",
            {"part-time-timetable", "senco", "exclusion"},
        ),
        # "excluded" alone also means left out by friends: a listed second meaning, not the exclusion term.
        ("en", "She feels excluded at playtime and has no friends.", set()),
    ],
)
def test_find_in_each_language(glossary, lang, text, expected):
    assert set(ids(glossary.find(text, lang))) == expected
    assert set(ids(glossary.find(text))) >= expected


def test_arabic_spelling_meets_urdu_spelling(glossary):
    # The Urdu entry is written with Persian yeh (ی) and keheh (ک); a keyboard may type Arabic ي and ك.
    arabic_letters = "هل يحصل طفلي على مساعدة لخصوصي تعليمي ضروريات في الكونسل؟"
    assert {"send", "local-authority"} <= set(ids(glossary.find(arabic_letters, "ur")))
    with_diacritics = "خِطَّةُ التَّعْلِيمِ وَالصِّحَّةِ وَالرِّعَايَةِ"
    assert ids(glossary.find(with_diacritics, "ar")) == ["ehc-plan"]


def test_find_reports_terms_in_order_of_first_mention(glossary):
    text = "After the annual review the council offered mediation before the SEND Tribunal."
    assert ids(glossary.find(text, "en")) == ["annual-review", "local-authority", "mediation", "send-tribunal"]


def test_lang_restricts_to_that_language_plus_english(glossary):
    urdu = "کونسل نے انکار کر دیا"
    assert ids(glossary.find(urdu)) == ["local-authority"]
    assert ids(glossary.find(urdu, "ur")) == ["local-authority"]
    assert glossary.find(urdu, "pl") == []
    assert ids(glossary.find("the council said no", "pl")) == ["local-authority"]  # English always counts
    assert ids(glossary.find(urdu, "xx")) == ["local-authority"]  # unknown code: every language


def test_longest_match_wins(glossary):
    assert ids(glossary.find("Is a special school right for her?", "en")) == ["special-school"]
    assert ids(glossary.find("اسپیشل اسکول", "ur")) == ["special-school"]
    assert ids(glossary.find("特殊学校", "zh")) == ["special-school"]
    assert ids(glossary.find("We asked for an EHC needs assessment", "en")) == ["ehc-needs-assessment"]
    assert ids(glossary.find("special educational needs coordinator", "en")) == ["senco"]
    # A longer match only hides matches inside it, not ones that run past its end.
    assert ids(glossary.find("a special school place", "en")) == ["special-school", "school-place"]


def test_short_acronyms_match_only_in_capitals(glossary):
    assert ids(glossary.find("Does he get SEN support or is he just SEN?", "en")) == ["sen-support", "send"]
    assert glossary.find("Mój sen był krótki.", "pl") == []  # Polish "sen" = sleep
    assert glossary.find("Merg la piață, cât costă?", "ro") == []  # "la" = at, "cât" folds to "cat"
    assert ids(glossary.find("she sees an OT and a GP", "en")) == ["occupational-therapy", "gp"]
    assert ids(glossary.find("our ehcp is late", "en")) == ["ehc-plan"]  # longer acronyms ignore case


def test_no_false_positive_inside_longer_latin_words(glossary):
    text = "I am sending a note about sensory toys; another step: catch the bus, not the laptop or salty snacks."
    assert glossary.find(text) == []


def test_no_false_positive_for_short_arabic_script_forms(glossary):
    assert glossary.find("جی پیسے کتنے ہیں؟ اخراجات بہت زیادہ ہیں۔", "ur") == []
    assert ids(glossary.find("کیا جی پی ریفر کر سکتا ہے؟", "ur")) == ["gp"]


def test_term_written_with_parentheses_matches_each_part(glossary):
    assert ids(glossary.find("ਪਾਰਟ-ਟਾਈਮ ਟਾਈਮਟੇਬਲ", "pa")) == ["part-time-timetable"]
    assert ids(glossary.find("SEMH", "en")) == ["semh"]


def test_empty_text(glossary):
    assert glossary.find("") == []
    assert glossary.find(" ,.;؟ ") == []
    assert glossary.english_expansion("") == ""


# --- english_expansion() ----------------------------------------------------------------------------------------


def test_english_expansion_adds_document_wording(glossary):
    expansion = glossary.english_expansion("Waxaan rabaa qorshaha EHC iyo gaadiidka dugsiga", "so")
    assert expansion.startswith("EHC plan EHCP")
    assert "education, health and care plan" in expansion
    assert "home to school transport" in expansion
    assert "school transport" in expansion


def test_english_expansion_has_no_repeats(glossary):
    expansion = glossary.english_expansion("EHCP, ای ایچ سی پی, qorshaha EHC, plan EHC, EHC计划")
    forms = [form.lower() for term in glossary.find("EHCP") for form in term.english.forms]
    assert expansion.lower().count("education, health and care plan ") == 1
    assert len(forms) == len(set(forms))
    assert expansion == glossary.english_expansion("EHCP")


def test_english_expansion_joins_terms_in_order(glossary):
    expansion = glossary.english_expansion("خصوصی تعلیمی ضروریات اور آٹزم", "ur")
    assert expansion.index("special educational needs and disabilities") < expansion.index("autism")


# --- speed ------------------------------------------------------------------------------------------------------


def test_matching_is_fast(glossary):
    text = (
        "My son has autism and an EHCP. ای ایچ سی پی اور اسکول ٹرانسپورٹ. 我的孩子有自闭症。"
        "Szkoła specjalna i plan EHC. "
    ) * 9
    text = text[:1000]
    glossary.find(text)  # compile
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        glossary.find(text)
    per_call = (time.perf_counter() - started) / runs
    assert per_call < 0.005  # ~0.3 ms on a laptop; generous for shared CI machines


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("What is SENDIASS?", ["What is SENDIASS?"]),
        (
            "My son is 9. Can he get an EHCP? And will the council pay for a private OT?",
            ["My son is 9. Can he get an EHCP?", "And will the council pay for a private OT?"],
        ),
        (
            "Is there a crisis line? Who runs it? he is in a bad way tonight",
            ["Is there a crisis line?", "Who runs it? he is in a bad way tonight"],
        ),
        ("ما هو SENDIASS؟ وهل خدماتهم مجانية؟", ["ما هو SENDIASS؟", "وهل خدماتهم مجانية؟"]),
        ("ما هو SENDIASS؟ وكم؟", ["ما هو SENDIASS؟ وكم؟"]),  # too short to be a question of its own
        ("什么是EHCP？学校能送他回家吗？", ["什么是EHCP？", "学校能送他回家吗？"]),
        ("Why? Because he is autistic", ["Why? Because he is autistic"]),
    ],
)
def test_question_parts_split_a_message_at_its_questions(text, parts):
    from navigator.languages.matching import question_parts

    assert question_parts(text) == parts


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ok thanks", 2),
        ("ok !!", 1),  # what holds no letter is not a word
        ("ok I'll ring them tomorrow", 5),
        ("谢谢", 1),  # Chinese: one word per two characters
        ("他今晚还没回家，电话也关机了", 7),
        ("SENCO是什么", 3),
        ("ਠੀਕ ਹੈ ਧੰਨਵਾਦ", 3),
        ("شكراً جزيلاً", 2),
        ("", 0),
    ],
)
def test_word_count_counts_words_in_any_script(text, words):
    from navigator.languages.matching import word_count

    assert word_count(text) == words
