"""Judging, below the pipeline's entry points: count every item (`Tally`), judge linked
facts with every rule (`judge`) and assemble the `Result` (`assemble`). The partitioned
engine (`adapter.partition`) judges each partition with `judge`; `adapter.engine` builds
on both (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from adapter.facts import Fact
from adapter.ingest import Item, Received, Refused, Unreadable
from adapter.link import World
from adapter.model import Counts, Issue, Location, Obligation, Result
from adapter.policy import Policy
from adapter.rules import CATALOGUE
from adapter.rules.base import Context, attribute
from adapter.rules.events import event_time
from adapter.translate import translate

Validation = Literal["rules", "full"]


def assemble(
    tally: Tally,
    obligations: Sequence[Obligation],
    link_issues: list[Issue],
    policy: Policy,
    as_of: datetime,
    reported: dict[str, Any] | None = None,
) -> Result:
    """The result of a run: what was read (`tally`), then what linking and judging found."""
    return Result(
        as_of=as_of,
        counts=tally.counts,
        obligations=obligations,
        issues=tally.issues + link_issues,
        files=tally.files,
        unreadable_files=tally.unreadable,
        policy=policy.describe(),
        reported=reported or {},
    )


def judge(world: World, policy: Policy, as_of: datetime) -> list[Obligation]:
    """Every rule over the linked facts, sorted by rule then subject; each obligation
    carries the time of its subject's event (`event_at`) unless its rule set one, and the
    contract edition in force at that event (docs/contract.md §11.4). A rule that does not
    exist in that edition makes no obligation."""
    obligations: list[Obligation] = []
    for rule in CATALOGUE:
        for made in rule.evaluate(Context(world, policy.params[rule.id], as_of, rule.id)):
            found = attribute(made)
            if found is None:
                continue
            event_at = found.event_at or event_time(world.by_key.get(found.subject))
            term = policy.term_at(event_at)
            if rule.id not in term.rules:
                continue
            obligations.append(replace(found, event_at=event_at, edition=term.edition))
    obligations.sort(key=lambda o: o.sort_key)
    return obligations


class Tally:
    """Counts every item as accepted or rejected, per file and in total."""

    def __init__(self) -> None:
        self.counts = Counts()
        self.files: dict[str, Counts] = {}
        self.issues: list[Issue] = []
        self.unreadable = 0
        self.stu3_files: set[str] = set()

    def take(self, item: Item, sink: Callable[[Fact], None], policy: Policy, *, full: bool) -> None:
        if isinstance(item, Unreadable):
            self.issues.append(item.issue)
            self.unreadable += item.issue.severity == "fatal"
            self._file(item.issue.location)
            return
        if isinstance(item, Refused):
            self._count(item.issue.location, accepted=False)
            self.issues.append(item.issue)
            return
        self.accept(item, sink, policy, full=full)

    def accept(
        self, item: Received, sink: Callable[[Fact], None], policy: Policy, *, full: bool
    ) -> None:
        if item.release == "STU3":
            self._note_stu3(item.location)
        translated = translate(item, policy, full=full)
        if translated.fact is not None:
            sink(translated.fact)
        self._count(item.location, accepted=translated.fact is not None)
        self.issues.extend(translated.issues)

    def _note_stu3(self, location: Location) -> None:
        """One information issue per file read (wholly or partly) as STU3 (contract §1)."""
        name = location.file or "<input>"
        if name in self.stu3_files:
            return
        self.stu3_files.add(name)
        self.issues.append(stu3_notice(name))

    def merge(self, other: Tally) -> None:
        """Add another tally (a worker's) after this one, file order kept."""
        self.counts.merge(other.counts)
        for name, counts in other.files.items():
            self.files.setdefault(name, Counts()).merge(counts)
        notice = {stu3_notice(name) for name in other.stu3_files & self.stu3_files}
        self.issues.extend(i for i in other.issues if i not in notice)
        self.stu3_files |= other.stu3_files
        self.unreadable += other.unreadable

    def _count(self, location: Location, *, accepted: bool) -> None:
        self.counts.add(accepted)
        self._file(location).add(accepted)

    def _file(self, location: Location) -> Counts:
        return self.files.setdefault(location.file or "<input>", Counts())


def stu3_notice(file: str) -> Issue:
    return Issue(
        "information",
        "informational",
        Location(file=None if file == "<input>" else file),
        f"{file}: read as FHIR STU3 (3.0) and up-converted to R4 for the rules "
        "(docs/contract.md §1)",
    )
