"""The answerability set: both halves valid against the corpus, balanced, apart from each other and the dev set."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.answerability.dataset import CALIBRATION, TEST, load_items, split
from evals.datasets import validate_dataset
from navigator.corpus.sources import build_corpus
from navigator.languages.glossary import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "evals" / "dev.jsonl"


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


@pytest.fixture(scope="module")
def shipped_documents(tmp_path_factory):
    """The corpus built from the shipped sources, as `navigator corpus build` makes it."""
    return build_corpus(ROOT / "corpus" / "sources", tmp_path_factory.mktemp("corpus") / "documents.jsonl")


@pytest.mark.parametrize("path", [CALIBRATION, TEST], ids=["calibration", "test"])
def test_answerability_half_is_valid_and_balanced(path, shipped_documents):
    items, problems = validate_dataset(path, shipped_documents)

    assert not problems, problems[:5]
    answerable = [i for i in items if i["answerable"]]
    assert len(answerable) >= 150 and len(items) - len(answerable) >= 150
    by_lang = Counter((i["lang"], i["answerable"]) for i in items)
    assert all(by_lang[(lang, flag)] >= 10 for lang in LANGUAGES for flag in (True, False)), by_lang
    assert all(i.get("kind") for i in items)
    assert all(i.get("why_not") for i in items if not i["answerable"])


def test_answerability_halves_do_not_share_items_and_follow_the_split():
    calibration, test = load_items(CALIBRATION), load_items(TEST)

    assert not {i["id"] for i in calibration} & {i["id"] for i in test}
    assert not {_normal(i["question"]) for i in calibration} & {_normal(i["question"]) for i in test}
    # The first set was split in two; later batches (ids not starting "ans-") went to the calibration half only.
    first = [i for i in calibration if i["id"].startswith("ans-")]
    again = split(first + test)
    assert [i["id"] for i in again[0]] == [i["id"] for i in first]
    assert all(i["id"].startswith("ans-") for i in test)


@pytest.mark.skipif(not DEV.is_file(), reason="the dev set is not next to this checkout")
def test_answerability_questions_copy_no_dev_question():
    dev = {_normal(json.loads(line)["question"]) for line in DEV.read_text(encoding="utf-8").splitlines() if line}

    copied = [i["id"] for i in load_items(CALIBRATION) + load_items(TEST) if _normal(i["question"]) in dev]

    assert not copied
