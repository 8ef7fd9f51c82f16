"""Facts spilled to disk in input order, to be read back partition by partition: memory is
then bounded by the largest partition rather than by the input. The file lives in a
temporary folder its owner removes on every path (`tempfile.TemporaryDirectory`).

Each record is MessagePack (msgspec): (kind of fact, seq, the fact), typed on the way back,
several times cheaper than pickle (measured on synth facts: 4 µs to write and 17 µs to
read a fact, against 31 µs and 19 µs). Records are found by their offsets.
"""

from __future__ import annotations

import typing
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from adapter import facts
from adapter.facts import Fact
from adapter.partition.judge import Placed, Seq

KINDS: tuple[type[Fact], ...] = typing.get_args(facts.Fact)
_KIND = {kind: number for number, kind in enumerate(KINDS)}
_ENCODER = msgspec.msgpack.Encoder()
_RECORD = msgspec.msgpack.Decoder(tuple[int, int, msgspec.Raw])
_DECODERS = [msgspec.msgpack.Decoder(kind) for kind in KINDS]


def encode(seq: Seq, fact: Fact) -> bytes:
    return _ENCODER.encode((_KIND[type(fact)], seq, fact))


def decode(record: bytes) -> Placed:
    kind, seq, body = _RECORD.decode(record)
    return seq, _DECODERS[kind].decode(body)


class Spill:
    """Append (seq, fact) records; after `close`, read them back by position."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self.offsets = array("q", [0])  # where each record starts, and where the last ends

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def append(self, seq: Seq, fact: Fact) -> None:
        self.offsets.append(self.offsets[-1] + self._file.write(encode(seq, fact)))

    def close(self) -> None:
        self._file.close()

    def read(self, positions: Iterable[int]) -> Iterator[Placed]:
        """The records at `positions`, in the order asked."""
        self.close()
        offsets = self.offsets
        return read_at(self.path, ((offsets[p], offsets[p + 1]) for p in positions))


def read_at(path: Path, spans: Iterable[tuple[int, int]]) -> Iterator[Placed]:
    """The records in the byte ranges [start, end) of a closed spill file, in that order."""
    with path.open("rb") as handle:
        for start, end in spans:
            handle.seek(start)
            yield decode(handle.read(end - start))
