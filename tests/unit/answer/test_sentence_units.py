"""Quotable units: headings and debris skipped, leaning sentences and table rows made whole."""

from __future__ import annotations

from navigator.answer.sentence_units import is_debris, leans_on_previous, quotable_units
from navigator.retrieval.base import Chunk


def _chunk(*sentences: str, headings: tuple[str, ...] = ("Impact", "Timescales")) -> Chunk:
    return Chunk("c1", "doc", "A Strategy", None, headings, "\n".join(sentences), tuple(sentences))


def test_quotable_units_skip_repeated_headings_and_labels() -> None:
    chunk = _chunk("Timescales", "Key facts", "Plans must be issued within 20 weeks of the request.")
    assert [u.text for u in quotable_units(chunk)] == ["Plans must be issued within 20 weeks of the request."]


def test_quotable_units_bring_the_previous_sentence_to_one_that_leans_on_it() -> None:
    chunk = _chunk(
        "The rolling average of plans issued on time was 55% in March 2024.", "This is above the national 49%."
    )
    units = quotable_units(chunk)
    assert units[1].indices == (0, 1)
    assert units[1].text.startswith("The rolling average") and units[1].text.endswith("national 49%.")


def test_quotable_units_give_a_table_row_its_header_row() -> None:
    chunk = _chunk(
        "Events held with partners are listed below.",
        "Event | How many attended | Purpose",
        "Partner engagement events | 75 | Meetings with parents and practitioners about inclusion.",
    )
    row = quotable_units(chunk)[-1]
    assert row.text.splitlines() == [
        "Event | How many attended | Purpose",
        "Partner engagement events | 75 | Meetings with parents and practitioners about inclusion.",
    ]


def test_is_debris_flags_number_fragments_only() -> None:
    assert is_debris("86% MALE | 14%")
    assert not is_debris("86% of the children were boys.")


def test_leans_on_previous_reads_pronouns_and_lower_case_openers() -> None:
    assert leans_on_previous("However, the number has fallen.")
    assert leans_on_previous("which means families wait longer.")
    assert not leans_on_previous("Birmingham has a SENDIASS service.")


def test_the_end_of_a_quotation_begun_in_an_earlier_sentence_is_a_testimonial() -> None:
    from navigator.answer.sentence_units import is_testimonial

    assert is_testimonial("We are at the start of our journey and I feel better prepared to help my son.”")
    assert is_testimonial('and she has settled in really well."')
    assert not is_testimonial("Parents said the service was “very helpful” at every stage of the plan.")
    assert not is_testimonial("The plan is issued within 20 weeks.")


def test_testimonials_are_told_from_statements() -> None:
    from navigator.answer.sentence_units import is_testimonial

    assert is_testimonial("It was so good to see him happy at school again!’ – a parent after an annual review")
    assert is_testimonial("“The course has given me a good overview of autism and lots to try with my son.")
    assert is_testimonial("‘If only there had been something like this when my son was at school.’")
    assert is_testimonial("Quote from a parent of a young adult with autism.")
    assert not is_testimonial("Parents said the new process was clearer, and 80% rated it good.")


def test_a_person_speaking_for_themselves_is_a_testimonial_but_the_partnership_s_we_is_not() -> None:
    from navigator.answer.sentence_units import is_testimonial

    assert is_testimonial("Coming to the group was daunting for me at first, but the staff were lovely.")
    assert is_testimonial("I am pleased to present this strategy to the city.")
    assert is_testimonial("She always answers my messages quickly.")
    assert not is_testimonial("We will publish waiting times for every health service each month.")
    assert not is_testimonial("Phase I of the programme ends in March.")  # a numeral, not a speaker
    assert not is_testimonial("i) advice not received on time from professionals.")


def test_figures_rows_are_told_from_rows_holding_prose() -> None:
    from navigator.answer.sentence_units import is_figures_row

    assert is_figures_row("Measure | 2022 | 2023\nPlans issued within 20 weeks | 41% | 55%")
    prose = "AP3 | Review the process for children out of school with EHCPs and propose improvements to it this year"
    assert not is_figures_row(prose)
    assert not is_figures_row("Plans are issued within 20 weeks.")


def test_quotable_units_skip_list_lead_ins_and_title_case_labels() -> None:
    text = (
        "The EHC process should be reviewed to ensure that:",
        "SEN in Schools – January 2017 School Census",
        "St Paul's School: SENCo.",
        "Families can ask for an assessment themselves.",
        "Read more at https://example.org/ehcp today.",  # short, but a sentence: a web address is no label
        "Further information can be found through the following link: https://example.org/data",
    )
    chunk = Chunk("c", "d", "Doc", None, ("Section",), " ".join(text), text)

    # The last is a lead-in to a link, which a quote would drop: nothing would be left but "…link:".
    assert [u.text for u in quotable_units(chunk)] == [text[3], text[4]]


def test_a_sentence_opening_with_a_conjunction_leans_on_the_one_before() -> None:
    assert leans_on_previous("OR; insufficient places in the area for the pupils who need them.")
    assert not leans_on_previous("Orchard Primary has a resource base.")


def test_a_list_item_is_quoted_after_its_lead_in_not_after_the_item_before_it() -> None:
    chunk = _chunk(
        "By 2020 the council will need to ensure that:",
        "- parents and young people are fully involved in writing plans (Children & Families Act Part 3 Section 19).",
        "- practitioners are trained to write these plans.",
        "- Officers meet schools every term.",
    )
    units = {u.main: u for u in quotable_units(chunk)}

    assert units[2].indices == (0, 2)
    lead_in = "By 2020 the council will need to ensure that:"
    assert units[2].text == f"{lead_in} practitioners are trained to write these plans."
    assert units[1].text.startswith("By 2020") and units[1].text.endswith("Section 19).")
    assert units[3].indices == (3,)  # a capitalised item stands alone, as it did


def test_a_list_item_whose_lead_in_is_not_in_the_chunk_is_quoted_alone() -> None:
    chunk = _chunk("Reviews are held every year.", "- families are invited to every review meeting.")

    assert [(u.indices, u.text) for u in quotable_units(chunk)][-1] == (
        (1,),
        "- families are invited to every review meeting.",
    )
