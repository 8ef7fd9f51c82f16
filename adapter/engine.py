"""The pipeline in one place: ingest → translate → link → evaluate → Result.

check(paths)        read files, folders or "-" (stdin) and evaluate them
evaluate(items)     evaluate resources already in memory ($evaluate)
judge_facts(facts)  link and judge facts already translated (the service's store)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.collector import paused
from adapter.ingest import Item, Limits, read_paths, unpack
from adapter.ingest.sources import STDIN
from adapter.judging import Tally, Validation, finish, judge, judge_facts
from adapter.link import World
from adapter.model import Location, Result
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
) -> Result:
    """Read every path (file, folder, or "-" for stdin) and evaluate all ten rules. With
    `jobs` > 1, files are read and translated in that many processes (adapter/parallel.py)."""
    if jobs > 1 and STDIN not in map(str, paths):
        from adapter.parallel import check_parallel

        return check_parallel(
            paths,
            as_of=as_of,
            policy=policy or load_policy(),
            validate=validate,
            limits=limits or Limits(),
            jobs=jobs,
        )
    return run(
        read_paths(paths, limits or Limits()),
        as_of=as_of,
        policy=policy,
        validate=validate,
        progress=progress,
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
) -> Result:
    policy = policy or load_policy()
    as_of = (as_of or datetime.now(UTC)).astimezone(UTC)
    world = World(policy)
    tally = Tally()
    with paused():  # the hot loop: no cyclic garbage, so no collector (adapter/collector.py)
        for item in items:
            tally.take(item, world.add, policy, full=validate == "full")
            if progress is not None and tally.counts.received % PROGRESS_EVERY == 0:
                progress(tally.counts.received)
        return finish(world, tally, policy, as_of)


__all__ = ["Tally", "Validation", "check", "evaluate", "finish", "judge", "judge_facts", "run"]
