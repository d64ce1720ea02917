from evals.matching import contains_evidence, first_hit_rank
from evals.retrieval.evaluate import summarize


def test_evidence_matches_across_whitespace_case_and_table_breaks():
    passage = "The rolling (annual)  average was 55% in\nMarch 2024, above the national average."
    assert contains_evidence(passage, "the rolling (annual) average was 55% in March 2024")


def test_evidence_cut_by_a_chunk_boundary_matches_at_80_percent_in_order():
    evidence = "one two three four five six seven eight nine ten"
    assert contains_evidence("x one two three four five six seven eight", evidence)  # 8 of 10
    assert not contains_evidence("x one two three four five six seven", evidence)  # 7 of 10
    assert not contains_evidence("ten nine eight seven six five four three two one", evidence)  # wrong order


def test_hit_needs_the_right_document():
    results = [("other", "plans within 20 weeks"), ("sef", "plans within 20 weeks")]
    assert first_hit_rank(results, "sef.txt", "plans within 20 weeks") == 2
    assert first_hit_rank(results[:1], "sef.txt", "plans within 20 weeks") is None
    assert first_hit_rank(results, None, "plans within 20 weeks") is None


def test_summary_slices_and_mrr():
    rows = [
        {"lang": "en", "audience": "parent", "source": "a.txt", "rank": 1},
        {"lang": "en", "audience": "staff", "source": "a.txt", "rank": 4},
        {"lang": "ur", "audience": "parent", "source": "b.txt", "rank": None},
        {"lang": "pl", "audience": "parent", "source": "b.txt", "rank": 12},
    ]
    summary = summarize(rows)
    assert summary["overall"]["hit@1"] == 0.25 and summary["overall"]["hit@5"] == 0.5
    assert summary["overall"]["hit@10"] == 0.5
    assert summary["overall"]["mrr@10"] == round((1 + 0.25) / 4, 4)
    assert summary["english"]["n"] == 2 and summary["other_languages"]["hit@10"] == 0.0
    assert summary["by_audience"]["parent"]["n"] == 3 and summary["by_source"]["b.txt"]["hit@10"] == 0.0
