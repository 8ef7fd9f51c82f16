"""Masking: the board pack shows a patient only as the last three digits of an NHS number.

A number is masked where it *is* an NHS number, and nowhere else, so that the evidence stays
traceable:
- the patient field of an obligation (`mask_patient`), whatever its check digit;
- in text (`mask_text`), ten digits (or 3-3-4 with spaces or hyphens) that stand alone as a
  word and pass the NHS number Modulus 11 check, and a reference whose whole id is such a
  number (`Patient/9990011117`: an NHS number used as an id is still the NHS number).
Digits inside a longer id (`Encounter/1acdee90-...-0123456214d5`), a UUID, a URL or a
longer number are left as they are: they are ids, not patients, and evidence must stay
traceable.
"""

from __future__ import annotations

import re

MASK = "*******"

# A word that is ten digits: not touching a letter, digit, or a joining character of an id
# (/ - . : _ #); a sentence's closing full stop is fine.
_STANDALONE = re.compile(
    r"(?<![\w/.:#-])(\d{3}([ -]?)\d{3}\2\d{4})(?![\w/:#-]|\.\w)"
    # written 3-3-4, it cannot be (part of) a FHIR id, even after a slash
    r"|(?<![\w.:#-])(\d{3}([ -])\d{3}\4\d{4})(?![\w/:#-]|\.\w)",
)
_WHOLE_ID = re.compile(r"(?<![\w/])([A-Z][A-Za-z]+/)(\d{10})(?![\w.:/-])")


def is_nhs_number(digits: str) -> bool:
    """Ten digits whose last is the Modulus 11 check digit of the first nine (NHS Digital's
    algorithm: weights 10 to 2; 11 → 0; 10 is never issued)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _masked(digits: str) -> str:
    return MASK + digits[-3:]


def _standalone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(1) or match.group(3))
    return _masked(digits) if is_nhs_number(digits) else match.group(0)


def _whole_id(match: re.Match[str]) -> str:
    digits = match.group(2)
    return match.group(1) + _masked(digits) if is_nhs_number(digits) else match.group(0)


def mask_text(text: str) -> str:
    """`text` with every NHS number standing alone in it, or used as a whole id, masked."""
    text = _WHOLE_ID.sub(_whole_id, text)
    return _STANDALONE.sub(_standalone, text)


def mask_patient(patient: str | None) -> str:
    """A patient as shown in a report: `*******123` for an NHS number, else "not known"."""
    if patient is None:
        return "not known"
    digits = re.sub(r"[\s-]", "", patient)
    if digits.isdigit() and len(digits) == 10:
        return _masked(digits)
    return "no NHS number"
