"""`Store`: the one object the API and the commands talk to.

submit(entries, ...)       store a request's resources in ONE transaction, re-evaluate
                           the groups they touch, record the audit entry; all or nothing
page / obligation / obligations / audit_page    reads, with read-time status
create_key / revoke_key / list_keys / authenticate
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from adapter import engine as pipeline
from adapter.model import Issue, Location, Obligation, Result
from adapter.policy import Policy
from adapter.store import access, reads
from adapter.store.database import migrate, open_engine, reading, writing
from adapter.store.entries import Entry, check_entry
from adapter.store.evaluation import Evaluator, obligation_id, reevaluate
from adapter.store.submit import Stored, Writer

_REJECTING = ("fatal", "error")


@dataclass(slots=True)
class SubmitReport:
    """What a request did: one (entry, what happened) per entry, in order."""

    entries: list[tuple[Entry, Stored]] = field(default_factory=list)
    obligations: int = 0
    stored: bool = True

    def counts(self) -> dict[str, Any]:
        outcomes = Counter(stored.outcome for _, stored in self.entries)
        types = Counter(entry.resource_type or "unknown" for entry, _ in self.entries)
        return {
            "received": len(self.entries),
            "accepted": len(self.entries) - outcomes["rejected"],
            **{name: outcomes[name] for name in ("created", "updated", "unchanged", "stale")},
            "rejected": outcomes["rejected"],
            "resource_types": dict(sorted(types.items())),
            "obligations_in_affected_groups": self.obligations,
        }


class Store:
    def __init__(
        self,
        url: str,
        *,
        policy: Policy | None = None,
        evaluator: Evaluator | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.url = url
        self.policy = policy
        self.engine = engine or open_engine(url)
        migrate(self.engine)
        self.evaluator = evaluator or self._evaluate

    def _evaluate(self, items: list[tuple[dict[str, Any], Location]], now: datetime) -> Result:
        return pipeline.evaluate(items, as_of=now, policy=self.policy)

    def close(self) -> None:
        self.engine.dispose()

    # -- writing -------------------------------------------------------------------------

    def check(self, entries: list[Entry]) -> None:
        """Find every issue that rejects an entry: the store's own checks, then the engine's
        per-resource checks (the same as `referee check` makes)."""
        for entry in entries:
            check_entry(entry)
        candidates = [e for e in entries if not e.issues]
        items = [(e.resource, Location(file="request", entry=e.index or None)) for e in candidates]
        if not items:
            return
        result = self.evaluator(items, datetime.now(UTC))
        by_index = {e.index: e for e in candidates}
        for issue in result.issues:
            where = issue.location.entry or ""
            if issue.severity in _REJECTING and where in by_index:
                by_index[where].issues.append(issue)

    def submit(
        self,
        entries: list[Entry],
        *,
        key_name: str | None,
        action: str,
        all_or_nothing: bool = False,
        status_code: int = 200,
    ) -> SubmitReport:
        """Store `entries` (already checked) in one transaction. With `all_or_nothing` (a
        FHIR transaction), one rejected entry stores none of them; rejected entries are
        kept in the rejected table either way."""
        now = datetime.now(UTC)
        report = SubmitReport(stored=not (all_or_nothing and any(e.issues for e in entries)))
        with writing(self.engine) as session:
            writer = Writer(session, now, key_name)
            accepted = [e for e in entries if not e.issues] if report.stored else []
            stored = iter(writer.store_all(accepted))
            for entry in entries:
                if entry.issues:
                    outcome = writer.reject(entry)
                elif not report.stored:
                    outcome = Stored("unchanged", entry.reference, None)
                else:
                    outcome = next(stored)
                report.entries.append((entry, outcome))
            changed = [s.tokens for _, s in report.entries if s.outcome in ("created", "updated")]
            report.obligations = reevaluate(session, changed, self.evaluator, now)
            detail = report.counts()
            code = status_code if report.stored else 422
            access.record(session, now, key_name, action, code, detail)
        return report

    # -- reading -------------------------------------------------------------------------

    def page(
        self, filters: reads.Filters, now: datetime, after: str | None, limit: int
    ) -> tuple[list[tuple[str, Obligation]], str | None]:
        cursor = reads.decode_cursor(after) if after else None
        with reading(self.engine) as session:
            return reads.page(session, filters, now, after=cursor, limit=limit)

    def summary(
        self, filters: reads.Filters, group_by: list[str], now: datetime
    ) -> list[dict[str, Any]]:
        with reading(self.engine) as session:
            return reads.summarise(session, filters, group_by, now)

    def obligation(self, ident: str, org: str | None, now: datetime) -> Obligation | None:
        with reading(self.engine) as session:
            return reads.one(session, ident, org, now)

    def obligations(self, filters: reads.Filters, now: datetime) -> list[Obligation]:
        with reading(self.engine) as session:
            return reads.all_obligations(session, filters, now)

    def audit(self, key_name: str | None, action: str, status: int, detail: dict[str, Any]) -> None:
        with writing(self.engine, serialise=False) as session:
            access.record(session, datetime.now(UTC), key_name, action, status, detail)

    def audit_page(
        self, after: int | None, limit: int, org: str | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        with reading(self.engine) as session:
            return access.audit_page(session, after, limit, org)

    # -- keys ----------------------------------------------------------------------------

    def create_key(self, name: str, scope: str, org: str | None) -> str:
        with writing(self.engine) as session:
            return access.create_key(session, name, scope, org, datetime.now(UTC))

    def revoke_key(self, name: str) -> None:
        with writing(self.engine) as session:
            access.revoke_key(session, name, datetime.now(UTC))

    def list_keys(self) -> list[access.KeyInfo]:
        with reading(self.engine) as session:
            return access.list_keys(session)

    def authenticate(self, token: str) -> access.KeyInfo | None:
        with reading(self.engine) as session:
            return access.authenticate(session, token)


__all__ = ["Issue", "Store", "SubmitReport", "obligation_id"]
