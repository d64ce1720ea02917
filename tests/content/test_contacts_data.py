"""The shipped contacts: every number and address with the public page and date that confirmed it."""

from __future__ import annotations

from datetime import date

from navigator.answer.contacts import (
    ContactRecord,
    load_contacts,
)

SAFEGUARDING_IDS = (
    "emergency", "childrens-trust", "nhs-111", "samaritans", "childline", "domestic-abuse-helpline", "missing-people",
)  # fmt: skip
HANDOFF_IDS = ("sendiass", "local-offer", "ipsea", "contact")


def test_contacts_packaged_file_has_the_fixed_ids_in_order() -> None:
    contacts = load_contacts()
    assert tuple(contacts) == SAFEGUARDING_IDS + HANDOFF_IDS
    assert all(isinstance(record, ContactRecord) for record in contacts.values())


def test_contacts_every_phone_or_url_has_a_source_page_and_a_past_iso_date() -> None:
    for record in load_contacts().values():
        if record.phone is not None or record.url is not None:
            assert record.source is not None and record.source.startswith(("https://", "http://")), record.id
            assert record.confirmed is not None and record.confirmed <= date.today(), record.id


def test_contacts_emergency_and_national_lines_carry_their_confirmed_numbers() -> None:
    contacts = load_contacts()
    assert (contacts["emergency"].phone, contacts["emergency"].url) == ("999", None)
    assert (contacts["nhs-111"].phone, contacts["nhs-111"].url) == ("111", "https://111.nhs.uk/")
    assert contacts["samaritans"].phone == "116 123"
    assert contacts["childline"].phone == "0800 1111"
    assert contacts["childrens-trust"].phone == "0121 303 1888"
    assert "Children's Advice and Support Service" in contacts["childrens-trust"].name


def test_contacts_local_offer_is_a_website_without_a_phone() -> None:
    local_offer = load_contacts()["local-offer"]
    assert local_offer.url == "https://www.localofferbirmingham.co.uk/"
    assert local_offer.phone is None
