"""Obligations kept on disk: a large run's obligations (about 450 bytes each as objects,
360 MB at a million resources) are written, in order, to an anonymous temporary file (it
has no name, so it is gone when closed, collected, or the process ends, on every path) and
read back one at a time by the report writers, which only iterate them.

Each obligation is a MessagePack array of its fields, in `Obligation`'s order (msgspec).
"""

from __future__ import annotations

import dataclasses
import heapq
import os
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, overload

import msgspec

from adapter.deadline import Clock
from adapter.model import Obligation

_ENCODER = msgspec.msgpack.Encoder()
_FIELDS = tuple(f.name for f in dataclasses.fields(Obligation))
_CLOCK = _FIELDS.index("clock")
_EVIDENCE = _FIELDS.index("evidence")


def _encode(obligation: Obligation) -> bytes:
    row = [getattr(obligation, name) for name in _FIELDS]
    clock = obligation.clock
    row[_CLOCK] = None if clock is None else dataclasses.astuple(clock)
    return _ENCODER.encode(row)


def _decode(data: bytes) -> Obligation:
    """Datetimes come back as UTC instants (MessagePack timestamps); lists as tuples."""
    row = msgspec.msgpack.decode(data)
    clock = row[_CLOCK]
    row[_CLOCK] = None if clock is None else Clock(*clock)
    row[_EVIDENCE] = tuple(row[_EVIDENCE])
    return Obligation(*row)


class KeptObligations(Sequence[Obligation]):
    """Obligations appended in order, then read in order (or one by index)."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="referee-")  # noqa: SIM115
        # closed when the obligations are no longer referenced (a Result dropped)
        self._closer = weakref.finalize(self, self._file.close)
        self._offsets = array("q", [0])

    def append(self, obligation: Obligation) -> None:
        self._offsets.append(self._offsets[-1] + self._file.write(_encode(obligation)))

    def close(self) -> None:
        self._closer()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _read(self, index: int) -> Obligation:
        start, end = self._offsets[index], self._offsets[index + 1]
        self._file.flush()
        return _decode(os.pread(self._file.fileno(), end - start, start))

    @overload
    def __getitem__(self, index: int) -> Obligation: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Obligation]: ...
    def __getitem__(self, index: int | slice) -> Obligation | Sequence[Obligation]:
        if isinstance(index, slice):
            return [self._read(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._read(index)

    def __iter__(self) -> Iterator[Obligation]:
        """Read in order, a block at a time."""
        self._file.flush()
        offsets, fileno, block = self._offsets, self._file.fileno(), 1024
        for first in range(0, len(self), block):
            last = min(first + block, len(self))
            data = os.pread(fileno, offsets[last] - offsets[first], offsets[first])
            base = offsets[first]
            for i in range(first, last):
                yield _decode(data[offsets[i] - base : offsets[i + 1] - base])


def merge_kept(runs: Iterable[KeptObligations]) -> KeptObligations:
    """Sorted runs (one per partition) merged into one, in (rule, subject) order; no tie
    spans two runs (adapter/partition/judge.py), so the order is the one a sort gives."""
    merged = KeptObligations()
    runs = list(runs)
    try:
        for obligation in heapq.merge(*runs, key=_sort_key):
            merged.append(obligation)
    except BaseException:
        merged.close()
        raise
    finally:
        for run in runs:
            run.close()
    return merged


def _sort_key(obligation: Obligation) -> tuple[str, str]:
    return obligation.sort_key
