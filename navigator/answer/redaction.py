"""Replace personal data (emails, phone numbers, postcodes, NHS numbers, dates) before text is logged or stored.

UK numbers are found by pattern; numbers in the formats of the countries Birmingham families call (international
with + or 00, and local ones) by the phonenumbers library, which knows each country's numbering plan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from phonenumbers import Leniency, PhoneNumberMatcher

# Arabic-Indic, Extended Arabic-Indic (Urdu, Pashto, Kurdish), Bengali, Gurmukhi and full-width digits, folded to
# ASCII one character for one, so a span found in the folded text is the same span in the original.
_DIGIT_ZEROS = (0x0660, 0x06F0, 0x09E6, 0x0A66, 0xFF10)
_FOLD_DIGITS = {zero + d: str(d) for zero in _DIGIT_ZEROS for d in range(10)}

_MONTHS_EN = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_MONTHS_PL = (
    "styczeń stycznia luty lutego marzec marca kwiecień kwietnia maj maja czerwiec czerwca lipiec lipca "
    "sierpień sierpnia wrzesień września październik października listopad listopada grudzień grudnia"
)
_MONTHS_RO = (
    "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie noiembrie decembrie ian iun iul noi"
)


def _month_pattern() -> str:
    """An alternation of month names, each also without its accents ("wrzesnia"), longest first."""
    names: set[str] = set()
    for name in f"{_MONTHS_EN} {_MONTHS_PL} {_MONTHS_RO}".split():
        names.add(name)
        names.add("".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)))
    return "(?:" + "|".join(re.escape(name) for name in sorted(names, key=lambda n: (-len(n), n))) + ")"


_MONTH = _month_pattern()
_ORDINAL = r"(?:st|nd|rd|th)?"
_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<!\d)", r"(?!\d)"
# A separator between the digits of a phone number: space, dot, dash or a bracket, at most two in a row.
_PHONE_DIGITS = r"(?:[\s().-]{0,2}\d)"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_NUMERIC_DATE = re.compile(_NOT_DIGIT_BEFORE + r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})" + _NOT_DIGIT_AFTER)
_ISO_DATE = re.compile(_NOT_DIGIT_BEFORE + r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})" + _NOT_DIGIT_AFTER)
_TEXT_DATES = (
    # 3rd March 2015, 3 of March, 2015, 3 marca 2015, 3 martie 2015, 03-Mar-2015, 03-Mar-15
    re.compile(
        _NOT_DIGIT_BEFORE
        + rf"\d{{1,2}}{_ORDINAL}(?:\s+of)?(?:\s+|[/.-]){_MONTH}\b\.?,?(?:\s+|[/.-])\d{{4}}"
        + _NOT_DIGIT_AFTER,
        re.IGNORECASE,
    ),
    re.compile(_NOT_DIGIT_BEFORE + rf"\d{{1,2}}-{_MONTH}-\d{{2}}" + _NOT_DIGIT_AFTER, re.IGNORECASE),
    # March 3, 2015; March 3rd 2015
    re.compile(rf"\b{_MONTH}\b\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}" + _NOT_DIGIT_AFTER, re.IGNORECASE),
    # 2015年3月3日
    re.compile(_NOT_DIGIT_BEFORE + r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]"),
)
_PHONES = (
    re.compile(r"(?<![\d+])(?:\+|00)\s?44\s?(?:\(0\)\s?)?" + _PHONE_DIGITS + "{9,10}" + _NOT_DIGIT_AFTER),
    re.compile(r"(?<![\d+])\(?0" + _PHONE_DIGITS + "{9,10}" + _NOT_DIGIT_AFTER),
)
# Countries whose numbers families write in their own local format: Pakistan and India (Urdu, Punjabi), Bangladesh,
# Somalia, Poland, Romania, Afghanistan (Pashto), China, Iraq (Kurdish, Arabic) and the Arabic-speaking countries
# Birmingham families most often come from. International numbers (+ or 00) are found whatever the region.
_PHONE_REGIONS = ("GB", "PK", "IN", "BD", "SO", "PL", "RO", "AF", "CN", "IQ", "SA", "EG", "YE", "SY", "SD")
_LONG_DIGIT_RUN = re.compile(r"\d(?:[\s().\-/]{0,2}\d){6,}")  # seven digits at least: anything shorter is no phone
_MIN_LOCAL_DIGITS = 9  # a local number without + or 00 needs this many: not "page 123456", not Childline's 0800 1111
_NHS_NUMBER = re.compile(_NOT_DIGIT_BEFORE + r"\d{3}([ -]?)\d{3}\1\d{4}" + _NOT_DIGIT_AFTER)
# Area and district, optional space, inward code (whose letters never include C, I, K, M, O or V).
_POSTCODE = re.compile(
    r"(?<![^\W_])([A-Z]{1,2})\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}(?![^\W_])",
    re.IGNORECASE,
)
# The UK's postcode areas. Checking the area keeps "KS4 2nd" or "A4 3rd" from looking like postcodes.
_POSTCODE_AREAS = frozenset(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX FK "
    "FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN "
    "NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW "
    "UB W WA WC WD WF WN WR WS WV YO ZE".split()
)


@dataclass(frozen=True)
class _Span:
    """Personal data found at ``start:end``, to be replaced by ``label``."""

    start: int
    end: int
    label: str


def _valid_day_month(first: int, second: int) -> bool:
    """Whether two numbers can be a day and a month in either order (UK or US style)."""
    return (1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31)


def _dates(text: str) -> Iterator[tuple[int, int]]:
    """Spans of dates: numeric (dd/mm/yyyy, dd-mm-yy, dd.mm.yyyy, yyyy-mm-dd) and written with a month name."""
    for found in _NUMERIC_DATE.finditer(text):
        if _valid_day_month(int(found.group(1)), int(found.group(3))):
            yield found.span()
    for found in _ISO_DATE.finditer(text):
        if 1 <= int(found.group(3)) <= 12 and 1 <= int(found.group(4)) <= 31:
            yield found.span()
    for pattern in _TEXT_DATES:
        for found in pattern.finditer(text):
            yield found.span()


def _phones(text: str) -> Iterator[tuple[int, int]]:
    """Spans of UK phone numbers: 0 plus nine or ten digits, or +44 / 0044 plus nine or ten digits."""
    for pattern in _PHONES:
        for found in pattern.finditer(text):
            yield found.span()


def _plan_numbers(text: str, *, international: bool) -> Iterator[tuple[int, int]]:
    """Spans of numbers valid in any of ``_PHONE_REGIONS``' plans, written with + or 00 or (else) locally."""
    if not _LONG_DIGIT_RUN.search(text):
        return  # most messages: no run of digits long enough, so no library call
    for region in _PHONE_REGIONS:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            if match.raw_string.lstrip().startswith(("+", "00")) != international:
                continue
            if international or sum(ch.isdigit() for ch in match.raw_string) >= _MIN_LOCAL_DIGITS:
                yield match.start, match.end


def _international_phones(text: str) -> Iterator[tuple[int, int]]:
    """Numbers with a country code (+92 …, 00880 …): before NHS numbers, whose 3-3-4 shape they can contain."""
    return _plan_numbers(text, international=True)


def _local_phones(text: str) -> Iterator[tuple[int, int]]:
    """Numbers in a home country's local format (512 345 678): after NHS numbers, which some plans also allow."""
    return _plan_numbers(text, international=False)


def _nhs_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Spans of ten-digit numbers, written 3-3-4 with spaces or dashes or as one run."""
    for found in _NHS_NUMBER.finditer(text):
        yield found.span()


def _postcodes(text: str) -> Iterator[tuple[int, int]]:
    """Spans of UK postcodes such as "B10 0AB", "b100ab" or "WS13 6QG"."""
    for found in _POSTCODE.finditer(text):
        if found.group(1).upper() in _POSTCODE_AREAS:
            yield found.span()


def _emails(text: str) -> Iterator[tuple[int, int]]:
    """Spans of email addresses."""
    for found in _EMAIL.finditer(text):
        yield found.span()


# Earlier finders win where spans overlap: a date is not also a phone number, an email's digits are not an NHS number.
_FINDERS: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("[email]", _emails),
    ("[date]", _dates),
    ("[phone]", _phones),
    ("[phone]", _international_phones),
    ("[nhs-number]", _nhs_numbers),
    ("[phone]", _local_phones),
    ("[postcode]", _postcodes),
)


def _find(text: str) -> list[_Span]:
    """Non-overlapping spans of personal data in ``text``, in order."""
    folded = text.translate(_FOLD_DIGITS)
    kept: list[_Span] = []
    for label, finder in _FINDERS:
        for start, end in finder(folded):
            if all(end <= span.start or span.end <= start for span in kept):
                kept.append(_Span(start, end, label))
    return sorted(kept, key=lambda span: span.start)


def redact_personal_data(text: str) -> str:
    """Replace personal data with placeholders, so the text can be logged or stored.

    Emails become ``[email]``; phone numbers ``[phone]``: UK ones (07xxx xxxxxx, 0121 xxx xxxx, +44 ..., any 0
    followed by nine or ten digits, with spaces, dashes, dots or brackets), and numbers valid in the families' home
    countries' plans, written internationally (+92 300 1234567, 00880 1712 345678) or locally with nine digits or
    more (512 345 678, 138 0013 8000); UK postcodes ``[postcode]``; ten-digit numbers (NHS numbers, 3-3-4 or one run)
    ``[nhs-number]``; dates (12/03/2015, 12-03-15, 12.03.2015, 2015-03-12, 3rd March 2015, March 3, 2015, 3 Mar 2015,
    and Polish or Romanian month names) ``[date]``. Digits in Arabic-Indic, Urdu/Persian, Bengali, Gurmukhi or
    full-width form count as digits. Ordinary numbers ("20 weeks", "Year 4", "55%", "2024") and short service
    numbers (116 123, 0800 1111, 999) stay.

    Args:
        text: Any text, such as a parent's question.

    Returns:
        The text with each piece of personal data replaced by its placeholder.

    """
    spans = _find(text)
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for span in spans:
        parts.append(text[position : span.start])
        parts.append(span.label)
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def contains_personal_data(text: str) -> bool:
    """Whether :func:`redact_personal_data` would change ``text``.

    Args:
        text: Any text.

    Returns:
        ``True`` if it holds an email, phone number, postcode, ten-digit number or date.

    """
    return bool(_find(text))
