"""Contacts file: every number and address the navigator writes, each with where and when it was confirmed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from navigator.answer.base import Contact
from navigator.answer.contacts import (
    handoff_contacts,
    load_contacts,
    parse_contacts,
    safeguarding_contacts,
)
from navigator.errors import ConfigError

SAFEGUARDING_IDS = (
    "emergency", "childrens-trust", "nhs-111", "samaritans", "childline", "domestic-abuse-helpline", "missing-people",
)  # fmt: skip
HANDOFF_IDS = ("sendiass", "local-offer", "ipsea", "contact")


def _write(tmp_path: Path, contacts: list[dict[str, Any]], version: int = 1) -> Path:
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps({"version": version, "contacts": contacts}), encoding="utf-8")
    return path


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "example",
        "name": "Example service",
        "url": "https://example.org/",
        "phone": "0121 000 0000",
        "source": "https://example.org/contact",
        "confirmed": "2024-05-01",
        "roles": ["handoff"],
    }
    entry.update(overrides)
    return entry


def test_contacts_safeguarding_contacts_are_public_contacts_in_file_order() -> None:
    contacts = safeguarding_contacts()
    assert tuple(contact.id for contact in contacts) == SAFEGUARDING_IDS
    assert all(type(contact) is Contact for contact in contacts)


def test_contacts_handoff_contacts_are_the_advice_services_in_file_order() -> None:
    assert tuple(contact.id for contact in handoff_contacts()) == HANDOFF_IDS


def test_contacts_public_drops_the_provenance_fields() -> None:
    record = load_contacts()["samaritans"]
    assert record.public() == Contact(id="samaritans", name=record.name, url=record.url, phone="116 123")


def test_contacts_load_returns_a_fresh_dict_each_call() -> None:
    first = load_contacts()
    first.pop("emergency")
    assert "emergency" in load_contacts()


def test_contacts_loads_a_custom_file_with_roles_in_canonical_order(tmp_path: Path) -> None:
    path = _write(tmp_path, [_entry(roles=["handoff", "safeguarding"])])
    record = load_contacts(path)["example"]
    assert record.confirmed == date(2024, 5, 1)
    assert record.roles == ("safeguarding", "handoff")


def test_contacts_allow_a_name_only_entry_without_provenance(tmp_path: Path) -> None:
    path = _write(tmp_path, [_entry(url=None, phone=None, source=None, confirmed=None)])
    record = load_contacts(path)["example"]
    assert (record.url, record.phone, record.source, record.confirmed) == (None, None, None, None)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_entry(), _entry()], "appears twice"),
        ([_entry(roles=["emergency"])], "unknown roles"),
        ([_entry(roles="handoff")], "'roles' must be a list"),
        ([_entry(source=None)], "needs 'source'"),
        ([_entry(confirmed=None)], "needs 'source'"),
        ([_entry(phone=None, source=None)], "needs 'source'"),
        ([_entry(confirmed="2024-13-01")], "YYYY-MM-DD"),
        ([_entry(confirmed="01/05/2024")], "YYYY-MM-DD"),
        ([_entry(confirmed="2024-5-1")], "YYYY-MM-DD"),
        ([_entry(confirmed=(date.today() + timedelta(days=2)).isoformat())], "in the future"),
        ([_entry(url="www.example.org")], "must start with https://"),
        ([_entry(source="a search result")], "must start with https://"),
        ([_entry(phone="call 0121 000 0000")], "only digits"),
        ([_entry(name="")], "'name'"),
        ([_entry(id="")], "non-empty string 'id'"),
    ],
)
def test_contacts_rejects_an_invalid_entry(tmp_path: Path, entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_contacts(_write(tmp_path, entries))


def test_contacts_rejects_a_wrong_version(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="version 1"):
        load_contacts(_write(tmp_path, [_entry()], version=2))


def test_contacts_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_contacts(path)


def test_contacts_risk_specific_services_come_after_999_only_for_their_risk() -> None:
    from navigator.answer.contacts import Contacts, risk_specific_contacts

    contacts = Contacts(safeguarding_contacts(), handoff_contacts(), (), risk_specific_contacts())
    abuse = [c.id for c in contacts.for_risk("domestic_abuse")]
    assert abuse[:2] == ["emergency", "domestic-abuse-helpline"] and "missing-people" not in abuse
    missing = [c.id for c in contacts.for_risk("missing")]
    assert missing[:2] == ["emergency", "missing-people"] and "domestic-abuse-helpline" not in missing
    suicide = [c.id for c in contacts.for_risk("suicide")]
    assert suicide[:3] == ["emergency", "samaritans", "childline"]
    assert not {"domestic-abuse-helpline", "missing-people"} & set(suicide)
    assert load_contacts()["domestic-abuse-helpline"].phone == "0808 2000 247"
    assert load_contacts()["missing-people"].phone == "116 000"


def test_contacts_reject_risks_that_are_not_a_list_of_names() -> None:
    data = {"version": 1, "contacts": [{"id": "x", "name": "X", "roles": ["safeguarding"], "risks": "missing"}]}
    with pytest.raises(ConfigError, match="'risks' must be a list"):
        parse_contacts(data)
