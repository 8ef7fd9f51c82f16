"""Judge one partition, and merge the partitions' answers into the one answer a single
partition gives.

A partition is its own facts and the shared context, added to one `World` in input order
(each fact carries its position in the input, `seq`), so every lookup finds what it finds
over the whole input. Obligations come back sorted by (rule, subject): a subject is the key
of a fact, and facts with one key are always in one partition, so the sorted lists merge
without ties. Linking issues (a duplicate key) carry the `seq` of the fact that raised them;
one raised by shared context is raised in every partition and kept once.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapter.facts import Fact
from adapter.judging import judge
from adapter.link import World
from adapter.model import Issue, Obligation
from adapter.policy import Policy
from adapter.rules import beside

Seq = int  # a fact's position in the whole input (engines may number with gaps)
Placed = tuple[Seq, Fact]
# obligations, linking issues, and the counts reported beside the rules (contract §11)
Merged = tuple[Sequence[Obligation], list[Issue], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Judged:
    """What one partition found: its obligations, sorted, and its linking issues, each
    as (seq of the fact that raised it, its number among that fact's issues, the issue)."""

    obligations: list[Obligation]
    issues: list[tuple[Seq, int, Issue]]
    reported: dict[str, Any] = field(default_factory=dict)  # counted beside (contract §11)


def judge_partition(
    own: Iterable[Placed], shared: Iterable[Placed], *, policy: Policy, as_of: datetime
) -> Judged:
    """Link and judge one partition: its own facts and the shared context, each iterable
    in ascending `seq` (interleaved here in input order)."""
    world = World(policy)
    issues: list[tuple[Seq, int, Issue]] = []
    for seq, fact in heapq.merge(own, shared, key=_seq):
        before = len(world.issues)
        world.add(fact)
        issues.extend((seq, n, issue) for n, issue in enumerate(world.issues[before:]))
    world.build()
    obligations = judge(world, policy, as_of)
    judged = {o.subject for o in obligations if o.rule in beside.RULES}
    return Judged(obligations, issues, beside.reported_beside(world, judged))


def merge(parts: Iterable[Judged]) -> Merged:
    """Obligations in (rule, subject) order and linking issues in input order, as one
    partition gives them, and the counts reported beside the rules added up."""
    obligations: list[Obligation] = []
    found: dict[tuple[Seq, int], Issue] = {}
    reported: list[dict[str, Any]] = []
    for part in parts:
        obligations.extend(part.obligations)
        reported.append(part.reported)
        for seq, n, issue in part.issues:
            found.setdefault((seq, n), issue)
    obligations.sort(key=_sort_key)
    return obligations, [found[k] for k in sorted(found)], beside.combined(reported)


def _seq(placed: Placed) -> Seq:
    return placed[0]


def _sort_key(obligation: Obligation) -> tuple[str, str]:
    return obligation.sort_key
