"""The partitioned engine in one process: collect the facts as they are translated (the
`Tally`'s sink), then judge them partition by partition.

A small run is one partition held in memory (nothing is routed). Past `SPILL_AFTER` facts
(or when partitions are asked for) every fact is routed, and past `SPILL_AFTER` they are
spilled to a temporary file and judged in partitions of about `PARTITION_FACTS`, so memory
holds one partition's facts at a time; their obligations are then kept on disk too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from types import TracebackType

from adapter.facts import Fact
from adapter.partition.group import Grouping
from adapter.partition.judge import Judged, Merged, Placed, judge_partition, merge
from adapter.partition.kept import KeptObligations, merge_kept
from adapter.partition.route import is_shared, route
from adapter.partition.spill import Spill
from adapter.policy import Policy

Progress = Callable[[int], None]  # called with the resources read so far
SPILL_AFTER = 100_000  # facts held in memory before they go to disk
PARTITION_FACTS = 50_000  # the size partitions are filled to once spilled


class Partitioner:
    """Use as a context manager: the spill folder, if any, is removed on every path."""

    def __init__(
        self, policy: Policy, *, partitions: int | None = None, spill_after: int | None = None
    ) -> None:
        self.policy = policy
        self.partitions = partitions
        self.spill_after = SPILL_AFTER if spill_after is None else spill_after
        self.shared: list[Placed] = []
        self.grouping: Grouping | None = Grouping() if partitions is not None else None
        self._held: list[Placed] = []
        self._spill: Spill | None = None
        self._folder: TemporaryDirectory[str] | None = None
        self._seq = 0

    def __enter__(self) -> Partitioner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    @property
    def spilled(self) -> bool:
        return self._spill is not None

    def add(self, fact: Fact) -> None:
        """Take one translated fact, in input order."""
        seq = self._seq
        self._seq += 1
        if is_shared(fact):
            self.shared.append((seq, fact))
            return
        if self.grouping is not None:
            self.grouping.add(route(fact, self.policy))
        if self._spill is not None:
            self._spill.append(seq, fact)
            return
        self._held.append((seq, fact))
        if len(self._held) > self.spill_after:
            self._start_spilling()

    def _start_spilling(self) -> None:
        if self.grouping is None:
            self.grouping = Grouping()
            for _, fact in self._held:
                self.grouping.add(route(fact, self.policy))
        self._folder = TemporaryDirectory(prefix="referee-")
        self._spill = Spill(Path(self._folder.name) / "facts.spill")
        for seq, fact in self._held:
            self._spill.append(seq, fact)
        self._held = []

    def judge(self, as_of: datetime) -> Merged:
        """Every partition judged; obligations sorted, linking issues in input order, and the
        counts reported beside the rules. Once the facts are spilled, so are the
        obligations (`KeptObligations`)."""
        if self.grouping is None:
            return merge([self._judge(self._held, as_of)])
        count = self.partitions or -(-len(self.grouping) // PARTITION_FACTS)
        positions = self.grouping.partitions(count)
        self.grouping = Grouping()  # its arrays are no longer needed
        if self._spill is None:
            return merge(self._judge(self._read(p), as_of) for p in positions)
        runs: list[KeptObligations] = []
        parts: list[Judged] = []
        try:
            for part in positions:
                judged = self._judge(self._read(part), as_of)
                runs.append(KeptObligations())
                for obligation in judged.obligations:
                    runs[-1].append(obligation)
                parts.append(Judged([], judged.issues, judged.reported))
        except BaseException:
            for run in runs:
                run.close()
            raise
        _, issues, reported = merge(parts)
        return merge_kept(runs), issues, reported

    def _judge(self, own: Iterable[Placed], as_of: datetime) -> Judged:
        return judge_partition(own, self.shared, policy=self.policy, as_of=as_of)

    def _read(self, positions: Iterable[int]) -> Iterator[Placed]:
        if self._spill is not None:
            return self._spill.read(positions)
        held = self._held
        return (held[p] for p in positions)
