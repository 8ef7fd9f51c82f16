"""Shared helpers of the STU3 up-converters."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
Renames = dict[str, str]  # R4 path prefix → the STU3 path it came from

# STU3 request statuses R4 renamed (http://hl7.org/fhir/R4/valueset-request-status.html).
REQUEST_STATUS = {"suspended": "on-hold", "cancelled": "revoked"}


def move(out: JSON, renames: Renames, stu3: str, r4: str) -> None:
    """Move element `stu3` to `r4` (when R4 has not already got one)."""
    if stu3 in out and r4 not in out:
        out[r4] = out.pop(stu3)
        renames[r4] = stu3


def listed(out: JSON, key: str) -> None:
    """An element STU3 has 0..1 and R4 0..*: one value becomes a one-item array."""
    if key in out and isinstance(out[key], dict):
        out[key] = [out[key]]


def requester(out: JSON, renames: Renames) -> None:
    """STU3 `requester` {agent, onBehalfOf} → R4 `requester` Reference: the organisation it
    acts for when given (the party rules.md §2 needs), else the agent."""
    held = out.get("requester")
    if not isinstance(held, dict) or not ("agent" in held or "onBehalfOf" in held):
        return
    which = "onBehalfOf" if isinstance(held.get("onBehalfOf"), dict) else "agent"
    out["requester"] = held.get(which)
    renames["requester"] = f"requester.{which}"
    if out["requester"] is None:
        del out["requester"]


def status(out: JSON, table: dict[str, str]) -> None:
    value = out.get("status")
    if isinstance(value, str) and value in table:
        out["status"] = table[value]
