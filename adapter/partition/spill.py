"""Facts spilled to disk in input order (pickled one by one, each one's offset kept), to be
read back partition by partition: memory is then bounded by the largest partition rather
than by the input. The file lives in a temporary folder its owner removes on every path
(`tempfile.TemporaryDirectory`)."""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

from adapter.facts import Fact
from adapter.partition.judge import Placed, Seq


class Spill:
    """Append (seq, fact) records; after `close`, read them back by position."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self.offsets = array("q")  # where each record starts

    def __len__(self) -> int:
        return len(self.offsets)

    def append(self, seq: Seq, fact: Fact) -> None:
        self.offsets.append(self._file.tell())
        pickle.dump((seq, fact), self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        self._file.close()

    def read(self, positions: Iterable[int]) -> Iterator[Placed]:
        """The records at `positions`, in the order asked."""
        self.close()
        return read_spilled(self.path, self.offsets, positions)


def read_spilled(path: Path, offsets: array[int], positions: Iterable[int]) -> Iterator[Placed]:
    """The records at `positions` of a closed spill file, in the order asked."""
    return read_at(path, (offsets[position] for position in positions))


def read_at(path: Path, offsets: Iterable[int]) -> Iterator[Placed]:
    """The records starting at `offsets` of a closed spill file, in the order asked."""
    with path.open("rb") as handle:
        for offset in offsets:
            handle.seek(offset)
            placed: Placed = pickle.load(handle)  # noqa: S301 - our own file, this run
            yield placed
