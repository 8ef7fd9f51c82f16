"""`--format fhir`: the result as a FHIR R4 `collection` Bundle (rules.md §7).

The Bundle (`timestamp` = as_of, so one input and one as_of give the same bytes) holds, in
this order:

- one **DetectedIssue** per breached obligation: `status` final; `code` the rule id in our
  CodeSystem (`RULE_SYSTEM`; display = the rule's title in `adapter.rules`); `severity`
  **moderate** for every rule (the referee measures contract compliance, not clinical risk,
  which it cannot see); `patient` by NHS number identifier when the obligation's patient
  is 10 digits, else by reference; `identifiedDateTime` = as_of; `implicated` = the
  subject then the evidence; `detail` = the sentence; `reference` = a URL for the clause
  (`clause_url`); `identifier` = rule|subject; and an `obligation` extension
  (`OBLIGATION_EXTENSION`) carrying owner and owed_to as ODS identifiers, due,
  fulfilledAt, domain4 and clause. No `author`.
- one **MeasureReport** per rule and owner: status complete, type summary, `measure` = the
  canonical of the rule's Measure (`mappings/fhir/Measure-<rule>.json`), `date` = as_of,
  `period` = the earliest to the latest of the obligations' `due` (else `fulfilled_at`),
  or as_of..as_of when none has either; `reporter` = the owner by ODS identifier, **omitted
  when the owner is unknown** (those obligations make their own report per rule); one group
  with initial-population (all), denominator (met + breached), numerator (met) and
  denominator-exclusion (not-assessable); pending obligations are in the initial
  population only. `measureScore` = met ÷ (met + breached), rounded to 4 decimals, omitted
  when that denominator is 0.
- one **OperationOutcome** with every input issue, built as every service answer builds
  one (`adapter.report.outcome`): severity, code, `details.text` = the message, `location`
  = e.g. `file.ndjson:12 entry[3] Encounter/abc`, `expression` = the field as a FHIRPath
  (`Encounter.status`) when known. With no issues it holds one `information` issue "no
  input issues" (FHIR requires at least one).

When a local policy was applied (`Result.policy` not empty), `Bundle.meta` carries a
`evaluation-policy` extension (`POLICY_EXTENSION`): `name` and `file` as strings, and one
`override` string per overridden value, `dotted.path = JSON value`. A Bundle has no
`extension` of its own, so the extension sits on `meta`.

Resource ids are UUIDs derived (uuid5) from as_of and the rule, subject or owner, so a
re-run gives the same ids. The JSON is built directly (fast); the tests validate it with
`fhir.resources.R4B`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import quote

import orjson

from adapter.model import Issue, Obligation, Result, format_instant
from adapter.report import outcome
from adapter.rules import RULES
from adapter.tally import Tally

BASE = "https://interface-referee.example/fhir"
RULE_SYSTEM = f"{BASE}/CodeSystem/interface-rule"
MEASURE_BASE = f"{BASE}/Measure/"
OBLIGATION_IDENTIFIER = f"{BASE}/Id/obligation"
OBLIGATION_EXTENSION = f"{BASE}/StructureDefinition/obligation"
POLICY_EXTENSION = f"{BASE}/StructureDefinition/evaluation-policy"
# The NHS Standard Contract edition(s) that judged a MeasureReport's obligations (§11.4).
EDITION_EXTENSION = f"{BASE}/StructureDefinition/contract-edition"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
CONTRACT_URL = "https://www.england.nhs.uk/nhs-standard-contract/"
DELIVERY_PLAN_URL = (
    "https://www.england.nhs.uk/publication/delivery-plan-for-recovering-access-to-primary-care/"
)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
_NHS_NUMBER = re.compile(r"\d{10}")


@cache
def clause_url(clause: str) -> str:
    """A stable URL for a contract clause: the Standard Contract page with the clause as
    fragment, or the Delivery Plan publication for Delivery Plan requirements."""
    if clause.lower().startswith("delivery plan"):
        return DELIVERY_PLAN_URL
    return CONTRACT_URL + "#" + quote(clause, safe=".")


def _id(*parts: str | None) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(part or "" for part in parts)))


def _ods(code: str) -> dict[str, Any]:
    return {"type": "Organization", "identifier": {"system": ODS_CODE, "value": code}}


def _patient(patient: str) -> dict[str, Any]:
    if _NHS_NUMBER.fullmatch(patient):
        return {"type": "Patient", "identifier": {"system": NHS_NUMBER, "value": patient}}
    return {"reference": patient}


def _obligation_extension(obligation: Obligation) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if obligation.owner:
        parts.append({"url": "owner", "valueIdentifier": _ods(obligation.owner)["identifier"]})
    if obligation.owed_to:
        parts.append({"url": "owedTo", "valueIdentifier": _ods(obligation.owed_to)["identifier"]})
    if obligation.due:
        parts.append({"url": "due", "valueDateTime": format_instant(obligation.due)})
    if obligation.fulfilled_at:
        fulfilled = format_instant(obligation.fulfilled_at)
        parts.append({"url": "fulfilledAt", "valueDateTime": fulfilled})
    if obligation.domain4:
        parts.append({"url": "domain4", "valueCode": obligation.domain4})
    parts.append({"url": "clause", "valueString": obligation.clause})
    if obligation.edition:
        parts.append({"url": "edition", "valueString": obligation.edition})
    return {"url": OBLIGATION_EXTENSION, "extension": parts}


def detected_issue(obligation: Obligation, as_of: str) -> dict[str, Any]:
    """The DetectedIssue of one breached obligation."""
    title = RULES[obligation.rule].title if obligation.rule in RULES else None
    coding = {"system": RULE_SYSTEM, "code": obligation.rule}
    if title:
        coding["display"] = title
    implicated = dict.fromkeys((obligation.subject, *obligation.evidence))
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": _id("DetectedIssue", as_of, obligation.rule, obligation.subject),
        "extension": [_obligation_extension(obligation)],
        "identifier": [
            {"system": OBLIGATION_IDENTIFIER, "value": f"{obligation.rule}|{obligation.subject}"}
        ],
        "status": "final",
        "code": {"coding": [coding], "text": title or obligation.rule},
        "severity": "moderate",
    }
    if obligation.patient:
        resource["patient"] = _patient(obligation.patient)
    resource["identifiedDateTime"] = as_of
    resource["implicated"] = [{"reference": reference} for reference in implicated]
    resource["detail"] = obligation.detail
    resource["reference"] = clause_url(obligation.clause)
    return resource


def _population(code: str, count: int) -> dict[str, Any]:
    return {"code": {"coding": [{"system": POPULATION, "code": code}]}, "count": count}


def measure_report(
    rule: str, owner: str | None, obligations: list[Obligation], as_of: str
) -> dict[str, Any]:
    """The MeasureReport of one rule for one owner (`owner` None: owner unknown)."""
    tally = Tally.of(o.status for o in obligations)
    dates = [o.due or o.fulfilled_at for o in obligations]
    known = [d for d in dates if d is not None]
    start = format_instant(min(known)) if known else as_of
    end = format_instant(max(known)) if known else as_of
    group: dict[str, Any] = {
        "population": [
            _population("initial-population", tally.total),
            _population("denominator", tally.judged),
            _population("numerator", tally.met),
            _population("denominator-exclusion", tally.not_assessable),
        ]
    }
    if tally.rate is not None:
        group["measureScore"] = {"value": Tally.rounded(tally.rate)}
    resource: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "id": _id("MeasureReport", as_of, rule, owner),
    }
    editions = sorted({o.edition for o in obligations if o.edition})
    if editions:
        resource["extension"] = [{"url": EDITION_EXTENSION, "valueString": e} for e in editions]
    resource |= {
        "status": "complete",
        "type": "summary",
        "measure": MEASURE_BASE + rule,
        "date": as_of,
    }
    if owner:
        resource["reporter"] = _ods(owner)
    resource["period"] = {"start": start, "end": end}
    resource["group"] = [group]
    return resource


def operation_outcome(issues: list[Issue], as_of: str) -> dict[str, Any]:
    """One OperationOutcome listing every input issue (or saying there were none)."""
    return outcome.operation_outcome(
        issues, none="no input issues", resource_id=_id("OperationOutcome", as_of)
    )


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
    else:
        yield prefix, value


def policy_extension(policy: dict[str, Any]) -> dict[str, Any]:
    """The `evaluation-policy` extension: name, file and each overridden value."""
    parts: list[dict[str, Any]] = []
    for key, value in policy.items():
        if key in ("name", "file", "edition") and isinstance(value, str):
            parts.append({"url": key, "valueString": value})
            continue
        for path, inner in _flatten("" if key == "overrides" else key, value):
            text = json.dumps(inner, ensure_ascii=False, default=str)
            parts.append({"url": "override", "valueString": f"{path} = {text}"})
    return {"url": POLICY_EXTENSION, "extension": parts}


def _bundle_id(result: Result, as_of: str) -> str:
    digest = hashlib.sha256(as_of.encode())
    for obligation in result.obligations:
        digest.update(f"\n{obligation.rule}|{obligation.subject}|{obligation.status}".encode())
    for issue in result.issues:
        digest.update(f"\n{issue.location.describe()}|{issue.message}".encode())
    return _id("Bundle", digest.hexdigest())


def bundle(result: Result) -> dict[str, Any]:
    """The whole report as a FHIR JSON dict."""
    as_of = format_instant(result.as_of) or ""
    resources = [detected_issue(o, as_of) for o in result.obligations if o.status == "breached"]
    groups: dict[tuple[str, str | None], list[Obligation]] = {}
    for obligation in result.obligations:
        groups.setdefault((obligation.rule, obligation.owner), []).append(obligation)
    ordered = sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1] is None, item[0][1] or "")
    )
    resources += [measure_report(rule, owner, items, as_of) for (rule, owner), items in ordered]
    resources.append(operation_outcome(result.issues, as_of))
    body: dict[str, Any] = {"resourceType": "Bundle", "id": _bundle_id(result, as_of)}
    if result.policy:
        body["meta"] = {"extension": [policy_extension(result.policy)]}
    body["type"] = "collection"
    body["timestamp"] = as_of
    body["entry"] = [
        {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource} for resource in resources
    ]
    return body


def render(result: Result) -> bytes:
    """`result` as a FHIR R4 Bundle in JSON (UTF-8, indented)."""
    return orjson.dumps(bundle(result), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
