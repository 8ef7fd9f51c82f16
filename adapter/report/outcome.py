"""Issue → OperationOutcome, written once: the `--format fhir` report and every service
answer (`adapter/api/`) build their OperationOutcome here.

Each issue becomes one `OperationOutcome.issue`: `severity`; `code`, the issue's FHIR
issue-type code, or `processing` when ours is not one (ours then goes in `diagnostics`);
`details.text`, the message (FHIR: the human-readable description of the issue);
`location`, the short human form (`in.ndjson:12 entry[3] Encounter/abc`), when anything is
known; `expression`, the FHIRPath of the field at fault: `Bundle.entry[3].resource.status`
inside a Bundle, `Encounter.status` for a single resource, or the bare field of a request
(`cursor`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapter.model import Issue, Location

ISSUE_TYPES = frozenset(
    {
        *("invalid", "structure", "required", "value", "invariant", "security", "login"),
        *("unknown", "expired", "forbidden", "suppressed", "processing", "not-supported"),
        *("duplicate", "multiple-matches", "not-found", "deleted", "too-long", "code-invalid"),
        *("extension", "too-costly", "business-rule", "conflict", "transient", "lock-error"),
        *("no-store", "exception", "timeout", "incomplete", "throttled", "informational"),
    }
)


def expression(where: Location) -> str | None:
    """The FHIRPath of the field at fault, or None when no field or entry is known."""
    if where.entry:
        path = where.entry.replace("][", "].resource.entry[")
        return f"Bundle.entry{path}.resource" + (f".{where.field}" if where.field else "")
    if where.field is None:
        return None
    kind = (where.resource or "").split("/", 1)[0]
    typed = bool(kind) and kind[0].isupper() and not where.field.startswith(f"{kind}.")
    return f"{kind}.{where.field}" if typed else where.field


def issue_json(issue: Issue) -> dict[str, Any]:
    """One OperationOutcome.issue."""
    code = issue.code if issue.code in ISSUE_TYPES else "processing"
    body: dict[str, Any] = {
        "severity": issue.severity,
        "code": code,
        "details": {"text": issue.message},
    }
    if code != issue.code:
        body["diagnostics"] = f"issue code {issue.code}"
    where = issue.location
    if any((where.file, where.line, where.entry, where.resource)):
        body["location"] = [where.describe()]
    path = expression(where)
    if path is not None:
        body["expression"] = [path]
    return body


def operation_outcome(
    issues: Sequence[Issue], *, none: str, resource_id: str | None = None
) -> dict[str, Any]:
    """An OperationOutcome of `issues`; with none, one `information` issue saying `none`
    (FHIR requires at least one issue)."""
    listed = list(issues) or [Issue("information", "informational", Location(), none)]
    body: dict[str, Any] = {"resourceType": "OperationOutcome"}
    if resource_id is not None:
        body["id"] = resource_id
    body["issue"] = [issue_json(issue) for issue in listed]
    return body
