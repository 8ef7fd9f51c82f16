"""Synthetic patients for load tests: NHS numbers in the 999 range with a valid Modulus 11
check digit, made-up ODS codes (trust RZZ, practice Y01234)."""

from __future__ import annotations

from typing import Any

TRUST = {
    "resourceType": "Organization",
    "id": "trust",
    "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}],
}
PRACTICE = {
    "resourceType": "Organization",
    "id": "practice",
    "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y01234"}],
}


def nhs_number(n: int) -> str:
    """A valid 999-range NHS number, different for each n < 500,000: the body is
    999000000 + 2n, or + 2n + 1 when 2n would need the impossible check digit 10 (the two
    bodies' weighted sums differ by 2 mod 11, so at most one of them does)."""
    for body in (999_000_000 + 2 * n, 999_000_000 + 2 * n + 1):
        digits = [int(c) for c in str(body)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return f"{body}{0 if check == 11 else check}"
    raise AssertionError("unreachable: two neighbouring bodies cannot both need check digit 10")


def patient_resources(n: int, letter: bool) -> list[dict[str, Any]]:
    """A patient, a finished inpatient stay, and (when `letter`) a discharge summary sent in time."""
    pid, eid = f"pat-{n}", f"enc-{n}"
    found: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": pid,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number(n)}],
            "generalPractitioner": [{"reference": "Organization/practice"}],
        },
        {
            "resourceType": "Encounter",
            "id": eid,
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "IMP",
            },
            "subject": {"reference": f"Patient/{pid}"},
            "serviceProvider": {"reference": "Organization/trust"},
            "period": {"start": "2024-03-01T09:00:00Z", "end": f"2024-03-0{1 + n % 8}T10:00:00Z"},
        },
    ]
    if letter:
        found.append(
            {
                "resourceType": "Composition",
                "id": f"ds-{n}",
                "status": "final",
                "type": {"coding": [{"system": "http://snomed.info/sct", "code": "373942005"}]},
                "subject": {"reference": f"Patient/{pid}"},
                "encounter": {"reference": f"Encounter/{eid}"},
                "date": f"2024-03-0{1 + n % 8}T20:00:00Z",
                "custodian": {"reference": "Organization/trust"},
                "author": [{"reference": "Organization/trust"}],
                "title": "Discharge summary",
            }
        )
    return found


def bundle(resources: list[dict[str, Any]], kind: str = "batch") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}
