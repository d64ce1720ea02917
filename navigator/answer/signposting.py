"""The human services a reply names: for a child who may be at risk, and when the documents do not answer.

Numbers and addresses come only from ``data/contacts.json``, where each has the source that confirmed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from navigator.answer.base import Contact
from navigator.errors import ConfigError
from navigator.languages.locales import Locale

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

    def for_answers(self) -> list[Contact]:
        """For answered and unrelated messages: the advice service and the Local Offer."""
        return [c for c in self.handoff if c.id in {"sendiass", "local-offer"}]


def contact_block(locale: Locale, lead: str, contacts: Sequence[Contact]) -> str:
    """``lead``, then one localised line per service: its name with its phone number, or else its website."""
    lines = [lead]
    for contact in contacts:
        name = locale.text(f"contact.{contact.id}") if f"contact.{contact.id}" in locale.strings else contact.name
        if contact.phone:
            lines.append(locale.text("contact_line", name=name, phone=contact.phone))
        elif contact.url:
            lines.append(locale.text("contact_line_web", name=name, url=contact.url))
        else:
            lines.append(name)
    return "\n".join(lines)
