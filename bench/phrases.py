"""Size ladder for narrative phrase matching (issue 15, finding 1): one hostile sentence of
n letters, doubled each step, read through `sentences` and every phrase list. Linear work
shows as a flat µs-per-kilobyte column; the old backtracking e-mail pattern doubled it at
every step (40,000 letters took 5.6 s).

    python -m bench.phrases [--top 1048576]
"""

from __future__ import annotations

import argparse
import time

from adapter.policy import load_policy
from adapter.rules.narrative import read_findings
from adapter.translate.narrative import sentences

XHTML = "http://www.w3.org/1999/xhtml"


def one(size: int) -> float:
    policy = load_policy(None)
    started = time.perf_counter()
    found = sentences(f'<div xmlns="{XHTML}">{"A" * size}</div>')
    read_findings(((None, found),), policy)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--top", type=int, default=1 << 20, help="largest sentence (letters)")
    args = parser.parse_args()
    print(f"{'letters':>10} {'seconds':>9} {'µs/KiB':>8}")
    size = 10_000
    while size <= args.top:
        seconds = min(one(size) for _ in range(3))
        print(f"{size:>10,} {seconds:>9.4f} {seconds * 1e6 / (size / 1024):>8.1f}")
        size *= 2


if __name__ == "__main__":
    main()
