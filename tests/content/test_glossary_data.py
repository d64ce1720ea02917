"""The shipped glossary: every term in every language, unique ids and spellings, short explanations."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

import navigator
from navigator.languages.glossary import LANGUAGES, Glossary, load_glossary
from navigator.languages.matching import normalize

GLOSSARY_PATH = Path(navigator.__file__).parent / "data" / "glossary.json"

REQUIRED_IDS = {
    "ehc-plan",
    "ehc-needs-assessment",
    "sen-support",
    "senco",
    "graduated-approach",
    "ordinarily-available-guidance",
    "local-offer",
    "sendiass",
    "annual-review",
    "mediation",
    "send-tribunal",
    "short-breaks",
    "personal-budget",
    "alternative-provision",
    "resource-base",
    "special-school",
    "mainstream-school",
    "educational-psychologist",
    "speech-and-language-therapy",
    "occupational-therapy",
    "preparation-for-adulthood",
    "part-time-timetable",
    "suspension",
    "exclusion",
    "parent-carer-forum",
    "home-to-school-transport",
    "send",
    "autism",
    "adhd",
    "learning-disability",
    "semh",
    "camhs",
    "early-years",
    "waiting-list",
    "school-place",
    "attendance",
    "transition",
    "independent-travel-training",
    "social-care",
    "health-visitor",
    "gp",
    "disability-living-allowance",
    "co-production",
    "local-authority",
    "education-setting",
    "college",
    "supported-internship",
    "employment",
    "complaint",
}


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


# --- the data file ---------------------------------------------------------------------------------------------


def test_file_has_version_and_enough_terms(raw):
    assert raw["version"] == 1
    assert len(raw["terms"]) >= 45


def test_every_term_has_every_language_with_text(raw):
    problems = []
    for term in raw["terms"]:
        missing = [lang for lang in LANGUAGES if lang not in term]
        extra = sorted(set(term) - {"id", *LANGUAGES})
        if missing or extra:
            problems.append(f"{term.get('id')}: missing {missing}, unexpected {extra}")
            continue
        for lang in LANGUAGES:
            entry = term[lang]
            if not isinstance(entry.get("term"), str) or not entry["term"].strip():
                problems.append(f"{term['id']}/{lang}: empty term")
            if not isinstance(entry.get("explanation"), str) or not entry["explanation"].strip():
                problems.append(f"{term['id']}/{lang}: empty explanation")
            aliases = entry.get("aliases")
            if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
                problems.append(f"{term['id']}/{lang}: aliases must be a list of non-empty strings")
    assert not problems, "\n".join(problems)


def test_ids_are_unique_slugs(raw):
    term_ids = [term["id"] for term in raw["terms"]]
    assert len(term_ids) == len(set(term_ids))
    assert all(term_id == term_id.lower() and " " not in term_id for term_id in term_ids)


def test_required_send_terms_are_present(raw):
    assert {term["id"] for term in raw["terms"]} >= REQUIRED_IDS


def test_no_spelling_points_at_two_terms(glossary):
    owners = defaultdict(set)
    for term in glossary:
        for lang in LANGUAGES:
            for form in term.entries[lang].forms:
                owners[normalize(form).lower()].add(term.id)
    shared = {form: sorted(owner) for form, owner in owners.items() if len(owner) > 1}
    assert not shared


def test_english_explanations_are_one_or_two_sentences(glossary):
    for term in glossary:
        text = term.english.explanation
        assert text.count(". ") <= 2 and len(text) < 400, term.id
