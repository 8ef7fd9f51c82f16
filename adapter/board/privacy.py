"""Masking: the board pack shows a patient only as the last three digits of an NHS number.

Every string that goes into a report passes through `mask_text`, which replaces any run of
ten digits (also written 3-3-4 with spaces or hyphens) with `*******` and its last three
digits, so no full NHS number can leak through a reference, an id or a sentence.
"""

from __future__ import annotations

import re

_TEN_DIGITS = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
_LONGER_RUN = re.compile(r"\d{11,}")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "*******" + digits[-3:]


def mask_text(text: str) -> str:
    """`text` with every ten-digit run masked (and longer digit runs too, which may hide one)."""
    text = _LONGER_RUN.sub(lambda m: "*" * (len(m.group(0)) - 3) + m.group(0)[-3:], text)
    return _TEN_DIGITS.sub(_mask, text)


def mask_patient(patient: str | None) -> str:
    """A patient as shown in a report: `*******123` for an NHS number, else "not known"."""
    if patient is None:
        return "not known"
    digits = re.sub(r"[\s-]", "", patient)
    if digits.isdigit() and len(digits) == 10:
        return "*******" + digits[-3:]
    return "no NHS number"
