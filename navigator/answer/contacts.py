"""The human services a reply may point to, and which of them a reply names for a risk or a question it cannot answer.

Numbers and addresses come only from ``data/contacts.json``, each with the public page and date that confirmed it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from navigator.answer.base import Contact
from navigator.errors import ConfigError
from navigator.languages.locales import Locale

Role = Literal["safeguarding", "handoff"]
ROLES: tuple[Role, ...] = ("safeguarding", "handoff")
"""``safeguarding``: shown when a message suggests a child or adult at risk; ``handoff``: where to get human advice."""

_DATA_PACKAGE = "navigator"
_DATA_FILE = ("data", "contacts.json")
_SCHEMA_VERSION = 1
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE = re.compile(r"\+?\d[\d ]*\d")
_FIX_HINT = "Fix navigator/data/contacts.json (see navigator/data/contacts.md)."


@dataclass(frozen=True)
class ContactRecord:
    """One entry of ``contacts.json``: the contact details plus where and when they were confirmed.

    Attributes:
        id: Stable identifier such as ``"samaritans"``; code refers to contacts by id.
        name: The service's name as a parent would recognise it.
        url: Its website, or ``None``.
        phone: Its phone number as written on its own pages, or ``None``.
        source: The public page where the phone number and URL were confirmed (``None`` only without either).
        confirmed: The day they were last confirmed there (``None`` only without a phone or URL).
        roles: What the navigator uses the contact for, from :data:`ROLES`.
        risks: For a safeguarding contact shown only for some kinds of risk (a domestic abuse helpline), those
            categories of ``data/safeguarding.json``; empty for one shown whatever the risk.

    """

    id: str
    name: str
    url: str | None
    phone: str | None
    source: str | None
    confirmed: date | None
    roles: tuple[Role, ...]
    risks: tuple[str, ...] = ()

    def public(self) -> Contact:
        """The contact as a reply carries it, without provenance."""
        return Contact(id=self.id, name=self.name, url=self.url, phone=self.phone)


def _optional_text(contact_id: str, raw: dict[str, Any], key: str) -> str | None:
    """A field that is either ``null`` or a non-empty string."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"contact {contact_id!r}: {key!r} must be null or a non-empty string. {_FIX_HINT}")
    return value.strip()


def _web_address(contact_id: str, key: str, value: str | None) -> str | None:
    """Check that a URL field is an absolute http(s) address."""
    if value is not None and not value.startswith(("https://", "http://")):
        raise ConfigError(f"contact {contact_id!r}: {key!r} must start with https:// or http://. {_FIX_HINT}")
    return value


def _confirmed_date(contact_id: str, value: str | None) -> date | None:
    """Parse ``confirmed`` as a calendar date written YYYY-MM-DD, not in the future."""
    if value is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"contact {contact_id!r}: 'confirmed' must be a date YYYY-MM-DD. {_FIX_HINT}") from exc
    if day > date.today():
        raise ConfigError(f"contact {contact_id!r}: 'confirmed' {value} is in the future. {_FIX_HINT}")
    return day


def _roles(contact_id: str, raw: Any) -> tuple[Role, ...]:
    """Validate the ``roles`` list."""
    if not isinstance(raw, list) or not all(isinstance(role, str) for role in raw):
        raise ConfigError(f"contact {contact_id!r}: 'roles' must be a list of strings. {_FIX_HINT}")
    unknown = sorted(set(raw) - set(ROLES))
    if unknown:
        raise ConfigError(f"contact {contact_id!r}: unknown roles {unknown}; use {list(ROLES)}. {_FIX_HINT}")
    return tuple(role for role in ROLES if role in raw)


def _risks(contact_id: str, raw: Any) -> tuple[str, ...]:
    """Validate the optional ``risks`` list (safeguarding categories)."""
    if not isinstance(raw, list) or not all(isinstance(risk, str) and risk for risk in raw):
        raise ConfigError(f"contact {contact_id!r}: 'risks' must be a list of category names. {_FIX_HINT}")
    return tuple(raw)


def _parse_contact(raw: Any) -> ContactRecord:
    """Validate one entry of the ``contacts`` list."""
    contact_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(contact_id, str) or not contact_id.strip():
        raise ConfigError(f"every contact must be an object with a non-empty string 'id'. {_FIX_HINT}")
    name = _optional_text(contact_id, raw, "name")
    if name is None:
        raise ConfigError(f"contact {contact_id!r} needs a 'name'. {_FIX_HINT}")
    url = _web_address(contact_id, "url", _optional_text(contact_id, raw, "url"))
    phone = _optional_text(contact_id, raw, "phone")
    if phone is not None and not _PHONE.fullmatch(phone):
        raise ConfigError(f"contact {contact_id!r}: 'phone' may hold only digits, spaces and a leading +. {_FIX_HINT}")
    source = _web_address(contact_id, "source", _optional_text(contact_id, raw, "source"))
    confirmed = _confirmed_date(contact_id, _optional_text(contact_id, raw, "confirmed"))
    if (phone is not None or url is not None) and (source is None or confirmed is None):
        # A number or address nobody confirmed must never reach a parent.
        raise ConfigError(
            f"contact {contact_id!r} has a phone or URL, so it needs 'source' (the public page where they were "
            f"confirmed) and 'confirmed' (the date). {_FIX_HINT}"
        )
    return ContactRecord(
        id=contact_id.strip(),
        name=name,
        url=url,
        phone=phone,
        source=source,
        confirmed=confirmed,
        roles=_roles(contact_id, raw.get("roles")),
        risks=_risks(contact_id, raw.get("risks", [])),
    )


def parse_contacts(data: Any) -> dict[str, ContactRecord]:
    """Build the contacts from the decoded JSON document.

    Args:
        data: ``{"version": 1, "contacts": [{"id", "name", "url", "phone", "source", "confirmed", "roles"}]}``.

    Returns:
        Contacts by id, in file order.

    Raises:
        ConfigError: If the document does not follow the format in ``navigator/data/contacts.md``.

    """
    if not isinstance(data, dict) or data.get("version") != _SCHEMA_VERSION:
        raise ConfigError(f"contacts must be an object with version {_SCHEMA_VERSION}. {_FIX_HINT}")
    raw_contacts = data.get("contacts")
    if not isinstance(raw_contacts, list):
        raise ConfigError(f"contacts 'contacts' must be a list. {_FIX_HINT}")
    records: dict[str, ContactRecord] = {}
    for raw in raw_contacts:
        record = _parse_contact(raw)
        if record.id in records:
            raise ConfigError(f"contact id {record.id!r} appears twice. {_FIX_HINT}")
        records[record.id] = record
    return records


@lru_cache(maxsize=1)
def _default_contacts() -> tuple[ContactRecord, ...]:
    """The contacts shipped in the package, read and validated once."""
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE[0]).joinpath(_DATA_FILE[1]).read_text(encoding="utf-8")
    return tuple(parse_contacts(json.loads(text)).values())


def load_contacts(path: Path | None = None) -> dict[str, ContactRecord]:
    """Load and validate the contacts.

    Args:
        path: A contacts JSON file; ``None`` loads the packaged ``navigator/data/contacts.json`` (cached).

    Returns:
        Contacts by id, in file order (a new dict each call, so callers may change it freely).

    Raises:
        ConfigError: If the file is not valid JSON or breaks a rule in ``navigator/data/contacts.md``.
        OSError: If ``path`` cannot be read.

    """
    if path is None:
        return {record.id: record for record in _default_contacts()}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}. {_FIX_HINT}") from exc
    return parse_contacts(data)


def _contacts_with(role: Role) -> tuple[Contact, ...]:
    """The packaged contacts that have ``role``, in file order."""
    return tuple(record.public() for record in _default_contacts() if role in record.roles)


def safeguarding_contacts() -> tuple[Contact, ...]:
    """Contacts shown when a message suggests someone is at risk, such as 999 and Childline.

    Returns:
        The packaged contacts with the ``safeguarding`` role, in file order.

    Raises:
        ConfigError: If the packaged file is malformed.

    """
    return _contacts_with("safeguarding")


def handoff_contacts() -> tuple[Contact, ...]:
    """Contacts offered when a parent needs human advice, such as the Local Offer and IPSEA.

    Returns:
        The packaged contacts with the ``handoff`` role, in file order.

    Raises:
        ConfigError: If the packaged file is malformed.

    """
    return _contacts_with("handoff")


SAFETY_LINE_CONTACTS = ("emergency", "childrens-trust")
"""The two services every reply names: the emergency number and Birmingham's children's social care front door."""


def safety_line_sources() -> tuple[str, ...]:
    """The public pages that confirmed the numbers of the standing safety line (999 and the Children's Trust).

    Raises:
        ConfigError: If the packaged file is malformed.

    """
    records = {record.id: record for record in _default_contacts()}
    sources = [records[i].source for i in SAFETY_LINE_CONTACTS if i in records]
    return tuple(dict.fromkeys(source for source in sources if source))


def risk_specific_contacts() -> dict[str, tuple[str, ...]]:
    """Safeguarding contacts shown only for some kinds of risk: contact id -> categories.

    Raises:
        ConfigError: If the packaged file is malformed.

    """
    return {record.id: record.risks for record in _default_contacts() if record.risks}


# ---- signposting: which services a reply names, and in what order --------------------------------------

_TALK_FIRST = ("emergency", "samaritans", "childline")
# The opening sentence for a kind of risk (``locales/*.json``); others get the general "safeguarding" one.
_LEAD_FOR_RISK = {
    "suicide": "safeguarding.thoughts",
    "self_harm": "safeguarding.thoughts",
    "domestic_abuse": "safeguarding.domestic_abuse",
    "missing": "safeguarding.missing",
    "parent_crisis": "safeguarding.parent_crisis",
}


def risk_lead(locale: Locale, category: str, emergency: str) -> str:
    """The signposting's opening sentence for this kind of risk, in the reader's language."""
    key = _LEAD_FOR_RISK.get(category, "safeguarding")
    return locale.text(key if key in locale.strings else "safeguarding", emergency=emergency)
_FIRST_FOR_RISK = {"suicide": _TALK_FIRST, "self_harm": _TALK_FIRST}


HEALTH_CONTACT = "nhs-111"  # named first when a declined question asks for health or medical advice


@dataclass(frozen=True)
class Contacts:
    """The human services: for a child at risk, and for questions the documents do not answer."""

    safeguarding: tuple[Contact, ...]
    handoff: tuple[Contact, ...]
    line_sources: tuple[str, ...] = ()  # where the standing safety line's numbers were confirmed
    risk_only: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # contact id -> the risks it is for

    def emergency_number(self) -> str:
        """The emergency number from the contacts file (the only place numbers are kept).

        Raises:
            ConfigError: the contacts file has no emergency entry with a phone number.

        """
        return self._phone("emergency")

    def health_number(self) -> str:
        """NHS 111's number from the contacts file, for the sentence pointing a health question to it.

        Raises:
            ConfigError: the contacts file has no NHS 111 entry with a phone number.

        """
        return self._phone(HEALTH_CONTACT)

    def _phone(self, contact_id: str) -> str:
        for contact in self.safeguarding:
            if contact.id == contact_id and contact.phone:
                return contact.phone
        raise ConfigError(f"data/contacts.json needs a safeguarding contact {contact_id!r} with a phone number.")

    def safety_line(self, locale: Locale) -> str:
        """The one line every reply carries: 999 for a child in danger now, the Children's Trust for a worry.

        A disclosure the detector misses still leaves the family a route to help.

        Raises:
            ConfigError: the contacts file lacks the emergency or Children's Trust number.

        """
        return locale.text("safety_line", emergency=self._phone("emergency"), phone=self._phone("childrens-trust"))

    def for_risk(self, category: str) -> tuple[Contact, ...]:
        """The safeguarding contacts in the order that suits the risk.

        A service for this kind of risk only (the domestic abuse helpline, Missing People) comes right after 999;
        for suicidal thoughts or self-harm someone to talk to does (a young person may be writing); otherwise the
        file's order. Services for other kinds of risk are left out.
        """
        shown = [c for c in self.safeguarding if category in self.risk_only.get(c.id, (category,))]
        specific = tuple(c.id for c in shown if c.id in self.risk_only)
        first = ("emergency", *specific, *_FIRST_FOR_RISK.get(category, ()))
        rank = {contact_id: i for i, contact_id in reversed(list(enumerate(first)))}
        return tuple(sorted(shown, key=lambda c: rank.get(c.id, len(first))))

    def for_health(self, usual: Sequence[Contact]) -> tuple[Contact, ...]:
        """For a health question the documents do not answer: NHS 111 first, then ``usual``."""
        health = [c for c in self.safeguarding if c.id == HEALTH_CONTACT]
        return tuple(dict.fromkeys([*health, *usual]))

    def for_answers(self) -> list[Contact]:
        """For answered and unrelated messages: the advice service and the Local Offer."""
        return [c for c in self.handoff if c.id in {"sendiass", "local-offer"}]


def contact_line(locale: Locale, contact: Contact) -> str:
    """A service as one localised line of a reply: its name with its phone number, or else its website."""
    name = locale.text(f"contact.{contact.id}") if f"contact.{contact.id}" in locale.strings else contact.name
    if contact.phone:
        return locale.text("contact_line", name=name, phone=contact.phone)
    if contact.url:
        return locale.text("contact_line_web", name=name, url=contact.url)
    return name


def contact_block(locale: Locale, lead: str, contacts: Sequence[Contact]) -> str:
    """``lead``, then one localised line per service (:func:`contact_line`)."""
    return "\n".join([lead, *(contact_line(locale, contact) for contact in contacts)])
