"""Redaction: personal data becomes placeholders before logging; ordinary numbers stay."""

from __future__ import annotations

import pytest

from navigator.answer.redaction import contains_personal_data, redact_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Emails.
        ("email me at jane.doe@example.com", "email me at [email]"),
        ("Write to Jane.Doe+send@council.gov.uk today", "Write to [email] today"),
        ("بريدي ahmed_99@mail.co.uk شكرا", "بريدي [email] شكرا"),
        # Mobile, landline and international phone numbers, with spaces, dashes and brackets.
        ("call 07700 900123", "call [phone]"),
        ("call 07700900123", "call [phone]"),
        ("call 07700-900-123", "call [phone]"),
        ("ring 0121 303 1888 tomorrow", "ring [phone] tomorrow"),
        ("ring (0121) 303-1888", "ring [phone]"),
        ("ring 0121.303.1888", "ring [phone]"),
        ("ring 020 7946 0018", "ring [phone]"),
        ("mobile +44 7700 900123", "mobile [phone]"),
        ("mobile +447700900123", "mobile [phone]"),
        ("office +44 (0)121 303 1888", "office [phone]"),
        ("office 0044 121 303 1888", "office [phone]"),
        ("number 01213031888.", "number [phone]."),
        # Postcodes, any case, with or without the space.
        ("we live in B10 0AB", "we live in [postcode]"),
        ("we live in b100ab", "we live in [postcode]"),
        ("B1 1AA is the office", "[postcode] is the office"),
        ("near WS13 6QG.", "near [postcode]."),
        ("near ws13 6qg", "near [postcode]"),
        ("Postcode: b23 6th", "Postcode: [postcode]"),
        # NHS numbers and other ten-digit numbers.
        ("NHS number 943 476 5919", "NHS number [nhs-number]"),
        ("NHS number 943-476-5919", "NHS number [nhs-number]"),
        ("NHS number 9434765919", "NHS number [nhs-number]"),
        # Dates.
        ("born 12/03/2015", "born [date]"),
        ("born 12-03-15", "born [date]"),
        ("born 12.03.2015", "born [date]"),
        ("born 2015-03-12", "born [date]"),
        ("born 3/7/2015", "born [date]"),
        ("born 3rd March 2015", "born [date]"),
        ("born on the 3rd of March, 2015", "born on the [date]"),
        ("born March 3, 2015", "born [date]"),
        ("born March 3rd 2015", "born [date]"),
        ("born 3 Mar 2015", "born [date]"),
        ("born 03-Mar-15", "born [date]"),
        ("born 3 SEPT 2015", "born [date]"),
        ("urodzony 3 marca 2015 r.", "urodzony [date] r."),
        ("urodzona 15 września 2014", "urodzona [date]"),
        ("urodzona 15 wrzesnia 2014", "urodzona [date]"),
        ("născut pe 3 martie 2015", "născut pe [date]"),
        ("născută pe 12 decembrie 2013", "născută pe [date]"),
        ("出生日期2015年3月3日", "出生日期[date]"),
    ],
)
def test_redaction_replaces_each_kind_of_personal_data(text: str, expected: str) -> None:
    assert redact_personal_data(text) == expected
    assert contains_personal_data(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("فون ٠٧٧٠٠ ٩٠٠١٢٣", "فون [phone]"),  # Arabic-Indic digits
        ("فون ۰۷۷۰۰۹۰۰۱۲۳", "فون [phone]"),  # Extended Arabic-Indic (Urdu, Pashto, Kurdish)
        ("ফোন ০৭৭০০ ৯০০১২৩", "ফোন [phone]"),  # Bengali
        ("ਫ਼ੋਨ ੦੧੨੧ ੩੦੩ ੧੮੮੮", "ਫ਼ੋਨ [phone]"),  # Gurmukhi
        ("电话０７７００９００１２３", "电话[phone]"),  # full-width
        ("تاريخ الميلاد ١٢/٠٣/٢٠١٥", "تاريخ الميلاد [date]"),
        ("জন্ম ১২-০৩-২০১৫", "জন্ম [date]"),
        ("NHS نمبر ۹۴۳ ۴۷۶ ۵۹۱۹", "NHS نمبر [nhs-number]"),
        ("ਪੋਸਟਕੋਡ B10 ੦AB", "ਪੋਸਟਕੋਡ [postcode]"),
    ],
)
def test_redaction_handles_digits_of_other_scripts_and_keeps_the_rest(text: str, expected: str) -> None:
    assert redact_personal_data(text) == expected


def test_redaction_handles_several_kinds_together() -> None:
    text = (
        "My son Adam (DOB 01/02/2012, NHS 485 777 3456) lives at B23 6TH. "
        "Call 07911 123456 or +44 121 303 1888, or email adam.mum@gmail.com before 3rd March 2025."
    )
    assert redact_personal_data(text) == (
        "My son Adam (DOB [date], NHS [nhs-number]) lives at [postcode]. "
        "Call [phone] or [phone], or email [email] before [date]."
    )


def test_redaction_handles_several_kinds_in_mixed_scripts() -> None:
    text = "میرا نمبر ٠٧٧٠٠٩٠٠١٢٣ ہے، بیٹا ١٢/٠٣/٢٠١٥ کو پیدا ہوا، ای میل ali@example.pk، پوسٹ کوڈ B8 1AA"
    assert redact_personal_data(text) == (
        "میرا نمبر [phone] ہے، بیٹا [date] کو پیدا ہوا، ای میل [email]، پوسٹ کوڈ [postcode]"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Plans should be issued within 20 weeks.",
        "Year 4 at a school in Small Heath",
        "The rolling average was 55% in March 2024, above the 49% national average.",
        "SEND support covers age 0 to 25.",
        "What changed in 2024?",
        "It takes 6 weeks.",
        "annual reviews actioned within 4 weeks of the meeting by May 2023",
        "2021/22 and 2022/23 figures, 16-18 year olds, the 2017-2020 strategy",
        "1,626 appeals cost £10,092,435.70 over seven years",
        "14+ health checks, 12/13 areas of weakness",
        "pupils in KS4 2nd year and A4 3rd copies",
        "Call Samaritans on 116 123, Childline on 0800 1111, or 999 in an emergency.",
        "The years 2021 2022 2023 2024 were hard.",
        "SEN2 returns, EHCP, SENCO, ADHD",
        "ਮੇਰਾ ਮੁੰਡਾ ੧੫ ਸਾਲ ਦਾ ਹੈ",
        "بیٹا ۱۵ سال کا ہے اور ۲۰ ہفتے ہو گئے",
    ],
)
def test_redaction_leaves_ordinary_numbers_alone(text: str) -> None:
    assert redact_personal_data(text) == text
    assert not contains_personal_data(text)


@pytest.mark.parametrize("text", ["born 32/13/2015", "on 2015-13-45", "version 1.2.3"])
def test_redaction_ignores_impossible_dates(text: str) -> None:
    assert redact_personal_data(text) == text


def test_redaction_returns_empty_text_unchanged() -> None:
    assert redact_personal_data("") == ""
    assert not contains_personal_data("")


# Numbers written as families from each home country write them, international and local, in several scripts.
# They are made-up numbers of valid shape for each numbering plan.
WORLD_PHONES = [
    ("Pakistan, international", "call my husband on +92 300 1234567 after 5", "call my husband on [phone] after 5"),
    ("Pakistan, local, Urdu digits", "میرا نمبر ۰۳۰۰۱۲۳۴۵۶۷ ہے", "میرا نمبر [phone] ہے"),
    ("India, international", "ਮੇਰਾ ਨੰਬਰ +91 98765 43210 ਹੈ", "ਮੇਰਾ ਨੰਬਰ [phone] ਹੈ"),
    ("Bangladesh, 00 prefix", "ফোন 00880 1712 345678", "ফোন [phone]"),
    ("Bangladesh, Bengali digits", "আমার নম্বর ০১৭১২৩৪৫৬৭৮", "আমার নম্বর [phone]"),
    ("Somalia", "lambarkaygu waa +252 61 234 5678", "lambarkaygu waa [phone]"),
    ("Poland, international", "mój numer to +48 512 345 678", "mój numer to [phone]"),
    ("Poland, local", "proszę dzwonić 512 345 678 po 17", "proszę dzwonić [phone] po 17"),
    ("Romania", "numărul meu: +40 712 345 678", "numărul meu: [phone]"),
    ("Afghanistan, Arabic-Indic digits", "زما شمېره +٩٣ ٧٠ ١٢٣ ٤٥٦٧ ده", "زما شمېره [phone] ده"),
    ("China, local", "我的手机 138 0013 8000", "我的手机 [phone]"),
    ("China, international", "电话 +86 138-0013-8000", "电话 [phone]"),
    ("Iraq (Kurdistan)", "ژمارەکەم +964 750 123 4567", "ژمارەکەم [phone]"),
    ("Saudi Arabia", "رقمي +966 50 123 4567", "رقمي [phone]"),
]


@pytest.mark.parametrize(("case", "text", "expected"), WORLD_PHONES, ids=[c for c, _, _ in WORLD_PHONES])
def test_redaction_finds_phone_numbers_of_families_home_countries(case: str, text: str, expected: str) -> None:
    assert redact_personal_data(text) == expected
    assert contains_personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "Reference 12345678 on the letter",  # eight digits: too short for a local number
        "page 123456 of the report",
        "Call Childline on 0800 1111 or Samaritans on 116 123",
        "the EHCP was issued in 20 weeks in 2023-2024",
    ],
)
def test_redaction_leaves_references_and_service_numbers(text: str) -> None:
    assert redact_personal_data(text) == text
