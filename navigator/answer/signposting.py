"""The human services a reply names: for a child who may be at risk, and when the documents do not answer.

Numbers and addresses come only from ``data/contacts.json``, where each has the source that confirmed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from navigator.answer.base import Contact
from navigator.answer.locales import Locale
from navigator.errors import ConfigError


@dataclass(frozen=True)
class Contacts:
    """The human services: for a child at risk, and for questions the documents do not answer."""

    safeguarding: tuple[Contact, ...]
    handoff: tuple[Contact, ...]

    def emergency_number(self) -> str:
        """The emergency number from the contacts file (the only place numbers are kept).

        Raises:
            ConfigError: the contacts file has no emergency entry with a phone number.

        """
        for contact in self.safeguarding:
            if contact.id == "emergency" and contact.phone:
                return contact.phone
        raise ConfigError("data/contacts.json needs an 'emergency' contact with a phone number.")

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
