from pathlib import Path

from fetched import fetched_page

from scrapers.base import FetchedPage
from scrapers.parsers.oag import OagParser, is_oag_page, match_area, match_phase

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scrape"
OAG_URL = (
    "https://www.localofferbirmingham.co.uk/online-ordinarily-available-guidance/strategies-and-resources/"
    "cognition-and-learning/"
)


def _page(content: bytes | str, url: str = OAG_URL) -> FetchedPage:
    return fetched_page(content, url, encoding="utf-8")


def _parse_fixture():
    return OagParser().parse(_page((FIXTURES / "oag_page.html").read_bytes()))


def test_oag_one_section_per_topic_with_area_phase_and_topic():
    document = _parse_fixture()
    assert document.kind == "oag"
    assert document.title == "Cognition and Learning"
    topics = [s for s in document.sections if s.metadata]
    assert [s.heading_path for s in topics] == [
        ("Cognition and learning", "Early years", "Remembering routines and instructions"),
        ("Cognition and learning", "School age", "Working memory"),
    ]
    assert [s.metadata for s in topics] == [
        {
            "area_of_need": "cognition and learning",
            "phase": "early years",
            "topic": "Remembering routines and instructions",
        },
        {"area_of_need": "cognition and learning", "phase": "school age", "topic": "Working memory"},
    ]


def test_oag_topic_text_holds_what_you_might_see_then_what_you_can_try():
    topics = [s for s in _parse_fixture().sections if s.metadata]
    see, tried = topics[1].text.split("\n\n")
    assert see.split("\n") == [
        "What you might see:",
        "- The pupil loses track of multi-step tasks and asks what to do next.",
        "- The pupil cannot hold a sentence in mind long enough to write it down.",
        "- Work is left unfinished even when the pupil understood the lesson.",
    ]
    assert tried.startswith("What you can try:\n- Break tasks into numbered steps on a checklist")
    # Heading labels ("What you might see" as an h4) work as well as bold paragraph labels.
    assert topics[0].text.startswith("What you might see:\n- The child forgets the order of familiar routines")
    assert "What you can try:\n- Give one short instruction at a time" in topics[0].text


def test_oag_other_content_becomes_ordinary_sections_in_page_order():
    document = _parse_fixture()
    assert [(s.heading_path, bool(s.metadata)) for s in document.sections] == [
        (("Cognition and Learning",), False),
        (("Cognition and learning", "Early years", "Remembering routines and instructions"), True),
        (("Cognition and learning", "School age", "Working memory"), True),
        (("Further support",), False),
    ]
    assert "staff working directly with children" in document.sections[0].text
    assert "Skip to content" not in "".join(s.text for s in document.sections)


def test_oag_single_pair_takes_the_page_title_as_topic_and_area_from_the_path():
    html = """<html><head><title>Sensory needs – Local Offer Birmingham</title></head><body><main>
    <h1>Noise and busy spaces</h1>
    <p><strong>What might you see:</strong> covering ears in assembly</p>
    <ul><li>Leaving the dinner hall quickly</li></ul>
    <h3>What can you try?</h3>
    <ul><li>Offer ear defenders and a quiet space to eat</li></ul>
    </main></body></html>"""
    url = "https://www.localofferbirmingham.co.uk/online-ordinarily-available-guidance/sensory-and-or-physical/"
    (section,) = OagParser().parse(_page(html, url)).sections
    assert section.heading_path == ("Sensory and/or physical", "Noise and busy spaces")
    assert section.metadata == {"area_of_need": "sensory and/or physical", "topic": "Noise and busy spaces"}
    assert section.text == (
        "What you might see:\ncovering ears in assembly\n- Leaving the dinner hall quickly\n\n"
        "What you can try:\n- Offer ear defenders and a quiet space to eat"
    )


def test_match_area_and_phase_tolerate_abbreviations_and_slugs():
    assert match_area("SEMH") == "social, emotional and mental health"
    assert match_area("Social, Emotional & Mental Health") == "social, emotional and mental health"
    assert match_area("C&L strategies") == "cognition and learning"
    assert match_area("/communication-and-interaction/") == "communication and interaction"
    assert match_area("Sensory and/or Physical") == "sensory and/or physical"
    assert match_area("Short breaks") is None
    assert match_phase("EYFS") == "early years"
    assert match_phase("early-years") == "early years"
    assert match_phase("Primary and secondary") == "school age"
    assert match_phase("Key Stage 2") == "school age"
    assert match_phase("Transport") is None


def test_is_oag_page_by_path_or_by_structure():
    assert is_oag_page(OAG_URL, "<p>anything</p>")
    assert is_oag_page("https://example.org/x/ordinarily-available-provision/", "")
    both = "<h3>What might you see?</h3><ul><li>x</li></ul><h3>What you can <em>try</em></h3>"
    assert is_oag_page("https://example.org/guide/", both)
    assert not is_oag_page("https://example.org/guide/", "<h3>What you might see</h3><p>only one part</p>")
    assert not is_oag_page("https://example.org/short-breaks/", "<h1>Short breaks</h1>")
