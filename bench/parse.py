"""Baseline (a): parse every line of every NDJSON file under a folder with orjson, and
nothing else. `python -m bench.parse DIR` prints the number of resources parsed."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson


def parse_all(folder: Path) -> int:
    count = 0
    for path in sorted(folder.rglob("*.ndjson")):
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    orjson.loads(line)
                    count += 1
    return count


if __name__ == "__main__":
    print(parse_all(Path(sys.argv[1])))
