"""The entries of a Composition's medication sections (docs/contract.md §7): the
MedicationStatements, MedicationRequests or Lists a discharge document says the patient goes
home with. Read raw: `composition.py` already type-checks every section."""

from __future__ import annotations

from typing import Any

from adapter.facts import Ref
from adapter.policy import Policy


def medication_entries(composition: dict[str, Any], policy: Policy) -> tuple[Ref, ...]:
    headings = policy.codes["medication-section-codes"]
    return tuple(_entries(composition, headings, inside=False))


def _entries(parent: dict[str, Any], headings: frozenset[str], inside: bool) -> list[Ref]:
    out: list[Ref] = []
    sections = parent.get("section")
    for section in sections if isinstance(sections, list) else []:
        if not isinstance(section, dict):
            continue
        here = inside or _is_medication_heading(section, headings)
        if here:
            out.extend(_refs(section.get("entry")))
        out.extend(_entries(section, headings, here))
    return out


def _is_medication_heading(section: dict[str, Any], headings: frozenset[str]) -> bool:
    code = section.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    return any(
        isinstance(c, dict) and f"{c.get('system')}|{c.get('code')}" in headings
        for c in (codings if isinstance(codings, list) else [])
    )


def _refs(entries: Any) -> list[Ref]:
    out = []
    for entry in entries if isinstance(entries, list) else []:
        text = entry.get("reference") if isinstance(entry, dict) else None
        if isinstance(text, str):
            out.append(Ref(reference=text))
    return out
