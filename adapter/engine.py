"""The pipeline in one place: ingest → translate → partition → link → judge → Result.

check(paths)        read files, folders or "-" (stdin) and evaluate them
evaluate(items)     evaluate resources already in memory ($evaluate)
judge_facts(facts)  link and judge facts already translated (the service's store)

All three judge through the partitioned engine (`adapter.partition`): one partition for a
small input, partitions spilled to disk for a large one, N processes with `jobs`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.collector import paused
from adapter.facts import Fact
from adapter.ingest import Item, Limits, read_paths, unpack
from adapter.ingest.sources import STDIN
from adapter.judging import Tally, Validation, assemble, judge
from adapter.model import Location, Obligation, Result
from adapter.partition import Partitioner
from adapter.policy import Policy, load_policy

Progress = Callable[[int], None]  # called with the resources read so far
PROGRESS_EVERY = 5_000  # often enough for a live count, rare enough to cost nothing


def check(
    paths: Sequence[str | Path],
    *,
    as_of: datetime | None = None,
    policy: Policy | None = None,
    validate: Validation = "rules",
    limits: Limits | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    partitions: int | None = None,
) -> Result:
    """Read every path (file, folder, or "-" for stdin) and evaluate all ten rules. With
    `jobs` > 1, that many processes read, translate, link and judge partitions
    (adapter/partition/jobs.py); `partitions` fixes how many (else chosen by size)."""
    if jobs > 1 and STDIN not in map(str, paths):
        from adapter.partition.jobs import check_jobs

        return check_jobs(
            paths,
            as_of=_instant(as_of),
            policy=policy or load_policy(),
            validate=validate,
            limits=limits or Limits(),
            jobs=jobs,
            progress=progress,
            partitions=partitions,
        )
    return run(
        read_paths(paths, limits or Limits()),
        as_of=as_of,
        policy=policy,
        validate=validate,
        progress=progress,
        partitions=partitions,
    )


def evaluate(
    items: Iterable[tuple[dict[str, Any], Location]],
    *,
    as_of: datetime | None = None,
    policy: Policy | None = None,
    validate: Validation = "rules",
) -> Result:
    """Evaluate parsed resources (each a FHIR JSON dict, Bundles included, with where it
    came from). Counts and issues are as for `check`."""

    def unpacked() -> Iterator[Item]:
        for resource, location in items:
            yield from unpack(resource, location)

    return run(unpacked(), as_of=as_of, policy=policy, validate=validate)


def run(
    items: Iterable[Item],
    *,
    as_of: datetime | None = None,
    policy: Policy | None = None,
    validate: Validation = "rules",
    progress: Progress | None = None,
    partitions: int | None = None,
) -> Result:
    """Count and translate every item, then judge the facts partition by partition."""
    policy = policy or load_policy()
    as_of = _instant(as_of)
    tally = Tally()
    # the hot loop: no cyclic garbage, so no collector (adapter/collector.py)
    with Partitioner(policy, partitions=partitions) as partitioner, paused():
        for item in items:
            tally.take(item, partitioner.add, policy, full=validate == "full")
            if progress is not None and tally.counts.received % PROGRESS_EVERY == 0:
                progress(tally.counts.received)
        obligations, link_issues, reported = partitioner.judge(as_of)
    return assemble(tally, obligations, link_issues, policy, as_of, reported)


def judge_facts(
    facts: Iterable[Fact], *, policy: Policy, as_of: datetime, partitions: int | None = None
) -> list[Obligation]:
    """Link facts already translated (by `adapter.translate.translate`) and judge them."""
    with Partitioner(policy, partitions=partitions) as partitioner:
        for fact in facts:
            partitioner.add(fact)
        return list(partitioner.judge(as_of)[0])


def _instant(as_of: datetime | None) -> datetime:
    return (as_of or datetime.now(UTC)).astimezone(UTC)


__all__ = ["Tally", "Validation", "check", "evaluate", "judge", "judge_facts", "run"]
