"""Composition → Letter, with its narrative as sentences per section.
Profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-Composition"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapter.errors import UnreadableInput
from adapter.facts import Concept, Letter
from adapter.instants import parse_instant
from adapter.policy import Policy
from adapter.translate.fields import Fields
from adapter.translate.medicine_sections import medication_entries
from adapter.translate.narrative import sentences


def composition_to_letter(f: Fields, policy: Policy, sent_at: str | None) -> Letter:
    r = f.resource
    status = f.code(r, "status", "status", required="send the Composition status, e.g. final")
    kind = f.concept(r, "type", "type")
    if "type" not in r:
        f.missing("type", "send the document type, e.g. SNOMED 373942005 Discharge summary")
    dated = f.instant(r, "date", "date")
    if "date" not in r:
        f.missing("date", "send the date the document was written")
    return Letter(
        head=f.head(),
        status=status or "",
        types=(kind,) if kind else (),
        encounter=f.ref(r, "encounter", "encounter"),
        patient=f.ref(r, "subject", "subject"),
        sent=_sent(sent_at) or dated,
        custodian=f.ref(r, "custodian", "custodian"),
        authors=f.refs(r, "author", "author"),
        sections=tuple(_sections(f, r, "section", policy)),
        medicines=tuple(f.scoped_ref(ref) for ref in medication_entries(r, policy)),
    )


def _sent(sent_at: str | None) -> datetime | None:
    """The document Bundle's timestamp, when the letter arrived in one (rules.md §3)."""
    return parse_instant(sent_at) if sent_at else None


def heading_of(code: Concept | None, policy: Policy) -> str | None:
    """The heading a section code names, each coding read in its own system: a UK Core
    record heading or its PRSB SNOMED equivalent is the UK Core heading name (the
    `contact-section` / `plan-section` values); any other is kept as `system|code`, so a
    code from another system never passes for a heading name (docs/contract.md §3)."""
    if code is None or not code.codings:
        return None
    codes = policy.codes
    for table, name in (("contact-sections", "contact-section"), ("plan-sections", "plan-section")):
        heading = codes.values[name]
        for system, value, _ in code.codings:
            if f"{system}|{value}" in codes[table] or (system is None and value == heading):
                return heading
    system, value, _ = code.codings[0]
    return f"{system}|{value}"


def _sections(
    f: Fields, parent: dict[str, Any], path: str, policy: Policy
) -> list[tuple[str | None, tuple[str, ...]]]:
    """(heading, sentences) of every section, nested ones included."""
    out: list[tuple[str | None, tuple[str, ...]]] = []
    for index, section in enumerate(f.objects(parent, "section", path)):
        where = f"{path}[{index}]"
        heading = heading_of(f.concept(section, "code", f"{where}.code"), policy)
        text = f.obj(section, "text", f"{where}.text")
        div = f.string(text, "div", f"{where}.text.div") if text else None
        if div is not None:
            try:
                out.append((heading, sentences(div)))
            except UnreadableInput as exc:
                f.bad(f"{where}.text.div", "well-formed XHTML", div, exc.message)
        if "section" in section:
            out.extend(
                (heading if h is None else h, s)
                for h, s in _sections(f, section, f"{where}.section", policy)
            )
    return out
