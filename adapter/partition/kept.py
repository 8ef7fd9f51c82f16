"""Obligations kept on disk: a large run's obligations (about 450 bytes each as objects,
360 MB at a million resources) are written, in order, to an anonymous temporary file (it
has no name, so it is gone when closed, collected, or the process ends, on every path) and
read back one at a time by the report writers, which only iterate them.

Each obligation is a MessagePack array of its fields (msgspec, typed on the way back).
"""

from __future__ import annotations

import heapq
import os
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, overload

import msgspec

from adapter.deadline import Clock
from adapter.model import Obligation

_Row = tuple[
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    datetime | None,
    datetime | None,
    tuple[str, ...],
    str,
    str | None,
    str,
    datetime | None,
    tuple[str, str, str] | None,
]
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Row)


def _encode(o: Obligation) -> bytes:
    clock = None if o.clock is None else (o.clock.pending, o.clock.overdue, o.clock.span)
    row = (o.rule, o.status, o.subject, o.patient, o.owner, o.owed_to, o.due, o.fulfilled_at,
           o.evidence, o.detail, o.domain4, o.clause, o.event_at, clock)  # fmt: skip
    return _ENCODER.encode(row)


def _decode(data: bytes) -> Obligation:
    row = _DECODER.decode(data)
    clock = row[13]
    return Obligation(
        *row[:13],  # type: ignore[arg-type]  # the row's types are Obligation's, in order
        None if clock is None else Clock(*clock),  # type: ignore[arg-type]  # a Span
    )


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
