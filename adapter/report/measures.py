"""The published FHIR definitions of the rules, generated from the rule objects: the
`interface-rule` CodeSystem and one proportion Measure per rule (`mappings/fhir/`).

The files in `mappings/fhir/` are this module's output, checked in so that they can be
published and read without running code; `tests/report/test_fhir.py` fails when they differ
from what the rule objects say. After changing a rule's title, definition, side, area or
clause, rewrite them with `python -m adapter.report.measures`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapter.mappings import mappings_dir
from adapter.report.fhir import DELIVERY_PLAN_URL, MEASURE_BASE, RULE_SYSTEM, clause_url
from adapter.rules import CATALOGUE, Rule

VERSION = "0.1.0"
DATE = "2026-11-23"
PUBLISHER = "Interface Referee"
_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
# Population code, display, description and criteria of every Measure's one group.
_POPULATIONS = (
    ("initial-population", "Initial Population", None, None),
    (
        "denominator",
        "Denominator",
        "Obligations that have been decided: met or breached.",
        "status in ('met', 'breached')",
    ),
    ("numerator", "Numerator", "Obligations met.", "status = 'met'"),
    (
        "denominator-exclusion",
        "Denominator Exclusion",
        "Obligations the data cannot decide either way (not-assessable). Pending obligations "
        "are in the initial population only.",
        "status = 'not-assessable'",
    ),
)


def _coded(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _citation(clause: str) -> dict[str, Any]:
    url = clause_url(clause)
    display = (
        "NHS England, Delivery plan for recovering access to primary care (2023)"
        if url == DELIVERY_PLAN_URL
        else f"NHS Standard Contract, Service Conditions {clause}"
    )
    return {"type": "citation", "label": clause, "display": display, "url": url}


def _population(rule: Rule, code: str, display: str, text: str | None, where: str | None) -> Any:
    if text is None or where is None:
        text = f"Every obligation of rule {rule.id}: met, breached, pending or not assessable."
        where = f"rule = '{rule.id}'"
    return {
        "code": _coded(f"{_TERMINOLOGY}/measure-population", code, display),
        "description": text,
        "criteria": {"language": "text/plain", "expression": where},
    }


def measure(rule: Rule) -> dict[str, Any]:
    """The rule's proportion Measure: met ÷ (met + breached), per owner."""
    return {
        "resourceType": "Measure",
        "id": rule.id,
        "url": MEASURE_BASE + rule.id,
        "identifier": [{"system": RULE_SYSTEM, "value": rule.id}],
        "version": VERSION,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "title": rule.title,
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": PUBLISHER,
        "description": f"{rule.defined()} Reported per owning {rule.side} "
        "(MeasureReport.reporter): the proportion of assessable obligations of rule "
        f"`{rule.id}` that were met. Clause: {rule.clause}.",
        "purpose": rule.why,
        "topic": [_coded(RULE_SYSTEM, rule.id, rule.title)],
        "relatedArtifact": [_citation(rule.clause)],
        "scoring": _coded(f"{_TERMINOLOGY}/measure-scoring", "proportion", "Proportion"),
        "type": [_coded(f"{_TERMINOLOGY}/measure-type", "process", "Process")],
        "improvementNotation": _coded(
            f"{_TERMINOLOGY}/measure-improvement-notation",
            "increase",
            "Increased score indicates improvement",
        ),
        "group": [
            {
                "description": f"Obligations of rule {rule.id} owed by one {rule.side}.",
                "population": [_population(rule, *p) for p in _POPULATIONS],
            }
        ],
    }


def _property(code: str, description: str, kind: str) -> dict[str, str]:
    return {"code": code, "description": description, "type": kind}


def _concept(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.id,
        "display": rule.title,
        "definition": rule.defined(),
        "property": [
            {"code": "side", "valueCode": rule.side},
            {"code": "domain4", "valueCode": rule.domain4},
            {"code": "clause", "valueString": rule.clause},
        ],
    }


def code_system(rules: tuple[Rule, ...] = CATALOGUE) -> dict[str, Any]:
    """The `interface-rule` CodeSystem: one concept per rule id, in catalogue order."""
    return {
        "resourceType": "CodeSystem",
        "id": "interface-rule",
        "url": RULE_SYSTEM,
        "version": VERSION,
        "name": "InterfaceRule",
        "title": "Interface Referee rules",
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": PUBLISHER,
        "description": "The rules of the NHS primary-secondary care interface that Interface "
        "Referee checks (rules.md §5). Codes are stable rule ids: a retired id is never reused.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(rules),
        "property": [
            _property("side", "Who owes the obligation: trust or practice.", "code"),
            _property(
                "domain4", "Delivery Plan for Recovering Access to Primary Care area.", "code"
            ),
            _property(
                "clause",
                "NHS Standard Contract reference (a label; clause numbers move between editions).",
                "string",
            ),
        ],
        "concept": [_concept(rule) for rule in rules],
    }


def published() -> dict[str, str]:
    """Every file of `mappings/fhir/` this module writes, by name, as its exact text."""
    resources = {"CodeSystem-interface-rule.json": code_system()}
    resources |= {f"Measure-{rule.id}.json": measure(rule) for rule in CATALOGUE}
    return {
        name: json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        for name, body in resources.items()
    }


def write(folder: Path | None = None) -> list[Path]:
    """Rewrite the published files; returns the paths written."""
    folder = folder or mappings_dir() / "fhir"
    written = []
    for name, text in published().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    write()
