"""`Store`: the one object the API and the commands talk to.

submit(items, ...)         check a request's resources (each translated once), store them
                           in ONE transaction, re-evaluate the groups they touch once,
                           record the audit entry; all or nothing for a transaction
page / obligation / obligations / audit_page    reads, with read-time status
create_key / revoke_key / list_keys / authenticate
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from adapter.facts import Fact
from adapter.ingest import Item
from adapter.model import Issue, Obligation
from adapter.policy import Policy, load_policy
from adapter.store import access, clients, exports, history, reads
from adapter.store.database import migrate, open_engine, reading, writing
from adapter.store.evaluation import obligation_id, reevaluate
from adapter.store.history import Version
from adapter.store.posted import Entry, entries_of
from adapter.store.scope import FORBIDDEN, refuse_out_of_scope
from adapter.store.submit import Stored, Writer, identity
from adapter.store.visible import visible_to
from adapter.store.written import written
from adapter.translate import translate

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


def _refused_status(entries: list[Entry]) -> int:
    codes = {i.code for e in entries for i in e.issues}
    return 403 if FORBIDDEN in codes else 412 if PRECONDITION in codes else 422


PRECONDITION = "conflict"  # an If-Match that the stored version does not meet: 412


def _precondition(session: Session, entries: list[Entry], expected: str) -> None:
    """Conditional update (R4 http.html#concurrency): each entry the key may write is
    refused unless the version stored now is `expected`."""
    for entry in entries:
        if entry.item is None or entry.issues:
            continue
        kind, key = identity(entry)
        now = history.current(session, kind, key)
        if now is None:
            problem = f"If-Match names version {expected!r}, but nothing is stored at this id"
        elif now.vid != expected:
            problem = f"If-Match names version {expected!r}; the stored version is {now.vid!r}"
        else:
            continue
        entry.issues.append(Issue("error", PRECONDITION, entry.location(), problem))


class Store:
    def __init__(
        self, url: str, *, policy: Policy | None = None, engine: Engine | None = None
    ) -> None:
        self.url = url
        self.policy = policy or load_policy()
        self.engine = engine or open_engine(url)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- writing -------------------------------------------------------------------------

    def _check(self, entries: list[Entry]) -> dict[tuple[str, str], Fact]:
        """Translate each resource once, as `referee check` does: its issues reject it, its
        fact is kept for re-evaluation. The facts of the accepted, by (type, key)."""
        facts: dict[tuple[str, str], Fact] = {}
        for entry in entries:
            if entry.item is None or entry.issues:
                continue
            translated = translate(entry.item, self.policy)
            entry.issues.extend(i for i in translated.issues if i.severity in _REJECTING)
            if translated.fact is not None and not entry.issues:
                facts[identity(entry)] = translated.fact
        return facts

    def submit(
        self,
        items: list[Item],
        *,
        key_name: str | None,
        action: str,
        all_or_nothing: bool = False,
        status_code: int = 200,
        org: str | None = None,
        if_match: str | None = None,
    ) -> SubmitReport:
        """Check and store a request's resources (as `adapter.ingest.unpack` read them) in
        one transaction. With `all_or_nothing` (a FHIR transaction), one rejected entry
        stores none of them; rejected entries are kept in the rejected table either way."""
        now = datetime.now(UTC)
        entries = entries_of(items, f"request {uuid.uuid4().hex}")
        facts = self._check(entries)
        with writing(self.engine) as session:
            if org is not None:  # an organisation-scoped key: only what it owns
                refuse_out_of_scope(session, entries, org)
            if if_match is not None:  # in the write lock: no other writer comes between
                _precondition(session, entries, if_match)
            report = SubmitReport(stored=not (all_or_nothing and any(e.issues for e in entries)))
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
            report.obligations = reevaluate(session, changed, facts, self.policy, now)
            code = status_code if report.stored else _refused_status(entries)
            detail = report.counts() | written(report.entries if report.stored else [])
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

    def read(
        self, kind: str, ident: str, org: str | None, vid: str | None = None
    ) -> Version | None:
        """The current version of a stored resource (`vid` None) or one version of it, when
        a key of `org` may read the resource (`visible_to`; None: any organisation)."""
        with reading(self.engine) as session:
            found = history.current(session, kind, ident)
            if vid is not None and found is not None:
                found = history.version(session, kind, ident, vid)
            if found is None or org is None:
                return found
            return found if found.pk in visible_to(session, org) else None

    def versions(self, kind: str, org: str | None, ids: list[str] | None = None) -> list[Version]:
        """The current version of every stored resource of type `kind` (of those `ids`)
        that a key of `org` may read (`visible_to`), in the order they were first stored."""
        with reading(self.engine) as session:
            found = list(history.currents(session, kind, ids))
            if org is None:
                return found
            seen = visible_to(session, org)
            return [v for v in found if v.pk in seen]

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
        """The live API key, or SMART access token, `token` is."""
        with reading(self.engine) as session:
            if token.startswith(clients.TOKEN_PREFIX):
                return clients.authenticate_token(session, token, datetime.now(UTC))
            return access.authenticate(session, token)

    # -- SMART Backend Services clients --------------------------------------------------

    def create_client(self, name: str, scope: str, org: str | None, jwks: dict[str, Any]) -> None:
        with writing(self.engine) as session:
            clients.create_client(session, name, scope, org, jwks, datetime.now(UTC))

    def issue_token(self, assertion: str, scope: str, token_url: str) -> clients.Grant:
        """An access token for a client's signed assertion, or `clients.TokenRefused`."""
        with writing(self.engine, serialise=False) as session:
            return clients.issue_token(session, assertion, scope, token_url, datetime.now(UTC))

    # -- Bulk Data export jobs -----------------------------------------------------------

    def create_export(self, **job: Any) -> exports.Job:
        """A new running job (see `exports.create_job` for the fields)."""
        with writing(self.engine, serialise=False) as session:
            return exports.create_job(session, now=datetime.now(UTC), **job)

    def export_job(self, ident: str) -> exports.Job | None:
        with reading(self.engine) as session:
            return exports.get_job(session, ident, datetime.now(UTC))

    def running_exports(self, org: str | None) -> int:
        with reading(self.engine) as session:
            return exports.running_jobs(session, org, datetime.now(UTC))

    def export_progress(self, ident: str, text: str) -> bool:
        with writing(self.engine, serialise=False) as session:
            return exports.progress(session, ident, text, datetime.now(UTC))

    def finish_export(
        self, ident: str, output: list[dict[str, Any]] | None, error: str | None = None
    ) -> bool:
        with writing(self.engine, serialise=False) as session:
            return exports.finish(session, ident, output, error, datetime.now(UTC))

    def delete_export(self, ident: str) -> None:
        with writing(self.engine, serialise=False) as session:
            exports.delete_job(session, ident)

    def expired_exports(self, before: datetime) -> list[str]:
        with reading(self.engine) as session:
            return exports.expired_jobs(session, before)

    def export_plan(self, since: datetime | None) -> dict[str, int]:
        with reading(self.engine) as session:
            return exports.type_counts(session, since)

    def export_batch(self, kind: str, since: datetime | None, after: int) -> list[tuple[int, str]]:
        with reading(self.engine) as session:
            return exports.resources(session, kind, since, after)

    def visible_to(self, org: str) -> set[int]:
        """The stored resources organisation `org` may read (adapter/store/visible.py)."""
        with reading(self.engine) as session:
            return visible_to(session, org)


__all__ = ["PRECONDITION", "Issue", "Store", "SubmitReport", "Version", "obligation_id"]
