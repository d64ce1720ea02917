"""Open Referral UK: page through an API's ``/services`` and turn each service into a ``directory-service`` document.

ORUK pages with ``page`` (from 1) and ``per_page``; each response carries ``totalElements``, ``totalPages``,
``number``, ``size``, ``first``, ``last`` and the services in ``content`` (developers.openreferraluk.org,
"API Implementation"). HSDS 3.0 feeds name them ``total_items``, ``total_pages``, ``page_number``,
``first_page``, ``last_page`` and ``contents``; both are read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx

from navigator.corpus.cleaning import normalise_whitespace, strip_html
from navigator.corpus.documents import Section
from navigator.errors import FetchError
from scrapers.base import USER_AGENT, ParsedDocument
from scrapers.parsers.page_dates import parse_date

logger = logging.getLogger(__name__)


class OrukClient:
    """Read every service of an Open Referral UK endpoint, page by page."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 20.0,
        max_pages: int = 100,
        per_page: int = 50,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_pages = max_pages
        self.per_page = per_page
        self.transport = transport

    def _get_page(self, client: httpx.Client, number: int) -> dict[str, Any] | list[Any]:
        url = f"{self.base_url}/services"
        try:
            response = client.get(url, params={"page": number, "per_page": self.per_page})
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}?page={number} could not be fetched ({exc}); check the ORUK base URL.") from exc
        if response.status_code >= 400:
            raise FetchError(f"{response.url} answered HTTP {response.status_code}; check the ORUK base URL.")
        try:
            data = response.json()
        except ValueError as exc:
            raise FetchError(f"{response.url} did not return JSON; is it an Open Referral UK API?") from exc
        if not isinstance(data, dict | list):
            raise FetchError(f"{response.url} returned JSON that is not a page of services.")
        return data

    def iter_services(self) -> Iterator[dict[str, Any]]:
        """Services in API order, following pages until the last one or ``max_pages``.

        Raises:
            FetchError: a page failed (HTTP error, timeout, not JSON, no list of services).

        """
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        with httpx.Client(transport=self.transport, timeout=self.timeout, headers=headers) as client:
            previous_ids: list[Any] = []
            for number in range(1, self.max_pages + 1):
                data = self._get_page(client, number)
                if isinstance(data, list):  # an API without paging metadata: one page holds everything
                    yield from (item for item in data if isinstance(item, dict))
                    return
                services = data.get("content", data.get("contents"))
                if not isinstance(services, list):
                    raise FetchError(f"{self.base_url}/services page {number} has no 'content' list of services.")
                ids = [item.get("id") for item in services if isinstance(item, dict)]
                if ids and ids == previous_ids:  # the server ignores ?page= and repeats itself
                    return
                previous_ids = ids
                yield from (item for item in services if isinstance(item, dict))
                total = data.get("totalPages", data.get("total_pages"))
                if not services or data.get("last", data.get("last_page")) is True:
                    return
                if isinstance(total, int) and number >= total:
                    return
            logger.warning("stopped %s/services at the %d-page cap", self.base_url, self.max_pages)

    def documents(self) -> Iterator[ParsedDocument]:
        """Every service with some text as a ``directory-service`` document.

        Raises:
            FetchError: a page of services could not be read.

        """
        for service in self.iter_services():
            document = service_to_document(service, self.base_url)
            if document.sections:
                yield document
            else:
                logger.info("skipped service %s: no description, eligibility, area or contacts", service.get("id"))


def _text(value: Any) -> str:
    return normalise_whitespace(strip_html(str(value))) if isinstance(value, str | int | float) else ""


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _age(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    return str(int(number)) if number.is_integer() else str(number)


def _age_range(low: str, high: str) -> str:
    if low and high:
        return f"Ages {low} to {high}"
    return f"Ages {low} and over" if low else f"Ages up to {high}" if high else ""


def _eligibility_lines(service: dict[str, Any]) -> list[str]:
    lines = [_text(service.get("eligibility"))]
    lines.append(_age_range(_age(service.get("min_age")), _age(service.get("max_age"))))
    for item in _items(service.get("eligibilitys")) + _items(service.get("eligibilities")):
        lines.append(_text(item.get("eligibility")))
        lines.append(_age_range(_age(item.get("minimum_age")), _age(item.get("maximum_age"))))
    return lines


def _contact_lines(service: dict[str, Any]) -> list[str]:
    organisation = service.get("organization")
    lines = [f"Organisation: {_text(organisation.get('name'))}" if isinstance(organisation, dict) else ""]
    for contact in _items(service.get("contacts")):
        who = ", ".join(part for part in (_text(contact.get("name")), _text(contact.get("title"))) if part)
        phones = ", ".join(_text(phone.get("number")) for phone in _items(contact.get("phones")))
        lines.append(f"- {who}: {phones}" if who and phones else f"- {who or phones}" if who or phones else "")
        lines.append(f"  Email: {_text(contact.get('email'))}" if _text(contact.get("email")) else "")
    phones = ", ".join(_text(phone.get("number")) for phone in _items(service.get("phones")))
    lines.append(f"Phone: {phones}" if phones else "")
    lines.append(f"Email: {_text(service.get('email'))}" if _text(service.get("email")) else "")
    lines.append(f"Website: {_text(service.get('url'))}" if _text(service.get("url")) else "")
    return lines if any(line and not line.startswith("Organisation") for line in lines) else []


def _address(item: dict[str, Any]) -> str:
    keys = ("address_1", "address_2", "city", "state_province", "postal_code")
    return ", ".join(text for text in (_text(item.get(key)) for key in keys) if text)


def _location_lines(service: dict[str, Any]) -> list[str]:
    locations = [service, *_items(service.get("locations"))]
    locations += [
        at["location"] for at in _items(service.get("service_at_locations")) if isinstance(at.get("location"), dict)
    ]
    lines = []
    for location in locations:
        name = _text(location.get("name")) if location is not service else ""
        for item in _items(location.get("physical_addresses")) + _items(location.get("addresses")):
            address = _address(item)
            if address:
                lines.append(f"- {name}: {address}" if name else f"- {address}")
    return list(dict.fromkeys(lines))


def service_to_document(service: dict[str, Any], base_url: str) -> ParsedDocument:
    """One ORUK service as a ``directory-service`` document; fields the service lacks are left out.

    Sections: Description, Eligibility (with age range), Area, Contacts, Locations. The URL is the service's own
    website, else its API record ``{base_url}/services/{id}``.
    """
    identifier = _text(service.get("id"))
    title = _text(service.get("name")) or f"Service {identifier}"
    parts = {
        "Description": [_text(service.get("description"))],
        "Eligibility": _eligibility_lines(service),
        "Area": [_text(area.get("service_area")) for area in _items(service.get("service_areas"))],
        "Contacts": _contact_lines(service),
        "Locations": _location_lines(service),
    }
    sections = tuple(
        Section((heading,), "\n".join(dict.fromkeys(line for line in lines if line)))
        for heading, lines in parts.items()
        if any(lines)
    )
    own_url = _text(service.get("url"))
    url = own_url if own_url.startswith(("http://", "https://")) else f"{base_url.rstrip('/')}/services/{identifier}"
    return ParsedDocument(
        url=url,
        title=title,
        kind="directory-service",
        sections=sections,
        published=parse_date(_text(service.get("assured_date"))),
    )
