"""The interface-compliance model: what the rules produce and what the reports read.

An `Obligation` is one thing one party owes another about one subject (rules.md §4).
An `Issue` is one problem with the input, located (style.md "Errors").
A `Result` is everything one evaluation run produced.

These are frozen slotted dataclasses rather than pydantic models: a run at ICB scale makes
hundreds of thousands of them, and they are built from already-checked values, so
validation would only cost time. `to_json()` gives the published JSON shape of rules.md §7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from adapter.deadline import Clock

Status = Literal["met", "breached", "pending", "not-assessable"]
STATUSES: tuple[Status, ...] = ("met", "breached", "pending", "not-assessable")

Domain4 = Literal["onward-referrals", "complete-care", "call-and-recall", "points-of-contact"]

Severity = Literal["fatal", "error", "warning", "information"]


class Compact:
    """Mixin for frozen slotted dataclasses that cross process boundaries (`--jobs`):
    pickled as (class, field values), several times cheaper than the default."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        names: tuple[str, ...] = self.__slots__  # a slotted dataclass lists its fields
        return (type(self), tuple(getattr(self, name) for name in names))


def format_instant(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC with a `Z`, seconds precision unless it has fractions."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    text = utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Obligation:
    """One thing one party owes another, about one subject, by a due time (rules.md §4).

    Two members are not in the published JSON: `event_at`, the instant of the event that
    made the obligation (a discharge, a letter sent, a request authored), which the board
    dates it by; and `clock`, set when nothing has fulfilled or decided it yet, so only the
    clock does (adapter/deadline.py re-judges it at any instant). `edition`, the NHS Standard
    Contract edition that judged it (docs/contract.md §11.4), is published: an extension of
    rules.md §7's shape."""

    rule: str
    status: Status
    subject: str
    patient: str | None
    owner: str | None
    owed_to: str | None
    due: datetime | None
    fulfilled_at: datetime | None
    evidence: tuple[str, ...]
    detail: str
    domain4: Domain4 | None
    clause: str
    event_at: datetime | None = None
    clock: Clock | None = None
    edition: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status,
            "subject": self.subject,
            "patient": self.patient,
            "owner": self.owner,
            "owed_to": self.owed_to,
            "due": format_instant(self.due),
            "fulfilled_at": format_instant(self.fulfilled_at),
            "evidence": list(self.evidence),
            "detail": self.detail,
            "domain4": self.domain4,
            "clause": self.clause,
            "edition": self.edition,
        }

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.rule, self.subject)


@dataclass(frozen=True, slots=True)
class Location(Compact):
    """Where an issue is: the file, then a line (NDJSON) or entry index (Bundle), the
    resource reference when known, and the FHIR path of the field at fault."""

    file: str | None = None
    line: int | None = None
    entry: str | None = None
    resource: str | None = None
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self._items() if v is not None}

    def _items(self) -> list[tuple[str, Any]]:
        return [
            ("file", self.file),
            ("line", self.line),
            ("entry", self.entry),
            ("resource", self.resource),
            ("field", self.field),
        ]

    def describe(self) -> str:
        """A short human form: `file.ndjson:12 entry[3] Encounter/abc`."""
        parts = []
        if self.file is not None:
            parts.append(f"{self.file}:{self.line}" if self.line is not None else self.file)
        if self.entry is not None:
            parts.append(f"entry{self.entry}")
        if self.resource is not None:
            parts.append(self.resource)
        return " ".join(parts) or "input"


@dataclass(frozen=True, slots=True)
class Issue(Compact):
    """One problem with the input. `code` is a FHIR issue-type code (`invalid`,
    `structure`, `required`, `value`, `security`, `too-costly`, `not-supported`,
    `processing`); `message` says what was expected, what was found and what to do."""

    severity: Severity
    code: str
    location: Location
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "location": self.location.to_json(),
            "message": self.message,
        }


@dataclass(slots=True)
class Counts:
    """Resources received, accepted and rejected; received = accepted + rejected."""

    received: int = 0
    accepted: int = 0
    rejected: int = 0

    def add(self, accepted: bool) -> None:
        self.received += 1
        if accepted:
            self.accepted += 1
        else:
            self.rejected += 1

    def merge(self, other: Counts) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.rejected += other.rejected

    def to_json(self) -> dict[str, int]:
        return {"received": self.received, "accepted": self.accepted, "rejected": self.rejected}


@dataclass(slots=True)
class Result:
    """Everything one evaluation produced: obligations sorted by rule then subject."""

    as_of: datetime
    counts: Counts
    obligations: Sequence[Obligation]  # a list, or kept on disk for a large run
    issues: list[Issue]
    files: dict[str, Counts] = field(default_factory=dict)
    unreadable_files: int = 0
    policy: dict[str, Any] = field(default_factory=dict)
    # Counts reported beside the rules, not judged (docs/contract.md §11: A&G converted to a
    # referral, rejections per trust by reason); {} when there is nothing to report.
    reported: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        tally: dict[str, int] = {"obligations": len(self.obligations)}
        tally.update({status: 0 for status in STATUSES})
        for obligation in self.obligations:
            tally[obligation.status] += 1
        return tally

    @property
    def breached(self) -> int:
        return sum(1 for o in self.obligations if o.status == "breached")

    def to_json(self) -> dict[str, Any]:
        return {
            **self.to_json_head(),
            "obligations": [o.to_json() for o in self.obligations],
            **self.to_json_tail(),
        }

    def to_json_head(self) -> dict[str, Any]:
        """The members before `obligations` (for writers that stream them)."""
        return {
            "as_of": format_instant(self.as_of),
            "counts": self.counts.to_json(),
            "summary": self.summary_json(),
        }

    def summary_json(self) -> dict[str, Any]:
        """rules.md §7's summary, with `reported_beside` added when there is something to
        report (an extension: docs/contract.md §11.5)."""
        found: dict[str, Any] = dict(self.summary())
        if self.reported:
            found["reported_beside"] = self.reported
        return found

    def to_json_tail(self) -> dict[str, Any]:
        """The members after `obligations`."""
        tail: dict[str, Any] = {"issues": [i.to_json() for i in self.issues]}
        if self.policy:
            tail["policy"] = self.policy
        return tail
