"""`--jobs N`: read and translate files in N processes; link and judge in this one.

Reading, decoding and translating are most of the cost and are independent per file; linking
needs every fact, so workers send back compact facts (not the source dicts) and the parent
adds them in the files' sorted order, so the result is the same as with one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from adapter.facts import Fact
from adapter.ingest import Limits
from adapter.ingest.sources import expand_paths, read_file
from adapter.link import World
from adapter.model import Result
from adapter.policy import Policy, load_policy

if TYPE_CHECKING:
    from adapter.engine import Tally, Validation


def check_parallel(
    paths: Sequence[str | Path],
    *,
    as_of: datetime | None,
    policy: Policy,
    validate: Validation,
    limits: Limits,
    jobs: int,
) -> Result:
    from adapter.engine import Tally, finish

    files = expand_paths(paths)
    world = World(policy)
    tally = Tally()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = pool.map(
            _read_one,
            files,
            [policy.source] * len(files),
            [validate == "full"] * len(files),
            [limits] * len(files),
            chunksize=max(1, len(files) // (jobs * 4)),
        )
        for facts, part in done:
            for fact in facts:
                world.add(fact)
            tally.merge(part)
    return finish(world, tally, policy, (as_of or datetime.now(UTC)).astimezone(UTC))


def _read_one(
    file: Path, policy_source: str | None, full: bool, limits: Limits
) -> tuple[list[Fact], Tally]:
    from adapter.engine import Tally

    policy = _policy(policy_source)
    facts: list[Fact] = []
    tally = Tally()
    for item in read_file(file, limits):
        tally.take(item, facts.append, policy, full=full)
    return facts, tally


_POLICIES: dict[str | None, Policy] = {}


def _policy(source: str | None) -> Policy:
    """Each worker loads the policy once."""
    if source not in _POLICIES:
        _POLICIES[source] = load_policy(source)
    return _POLICIES[source]
