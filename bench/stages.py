"""Where the time of `referee check` goes, stage by stage, on one folder of NDJSON:

    .venv/bin/python -m bench.stages bench/data/100k [--no-gc]

ingest (read, orjson, unpack, limits), translate (FHIR → facts), link (World.add + build),
rules (judge) and the JSON report; CPU seconds (process time) and µs per resource for each,
so a busy machine does not distort the split. `--no-gc` runs with the cyclic collector off.
"""

from __future__ import annotations

import gc
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from adapter.ingest import Limits, Received, read_paths
from adapter.judging import Tally, judge
from adapter.link import World
from adapter.model import Result
from adapter.policy import load_policy
from adapter.report.json import render as render_json

AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    if "--no-gc" in argv:
        gc.disable()
    policy = load_policy()
    clock = time.process_time
    t0 = clock()
    items = list(read_paths([folder], Limits()))
    t1 = clock()
    world, tally = World(policy), Tally()
    facts = []
    for item in items:
        tally.take(item, facts.append, policy, full=False)
    t2 = clock()
    for fact in facts:
        world.add(fact)
    world.build()
    t3 = clock()
    obligations = judge(world, policy, AS_OF)
    t4 = clock()
    result = Result(
        as_of=AS_OF,
        counts=tally.counts,
        obligations=obligations,
        issues=tally.issues + world.issues,
        files=tally.files,
        unreadable_files=tally.unreadable,
        policy=policy.describe(),
    )
    render_json(result)
    t5 = clock()
    n = sum(isinstance(i, Received) for i in items)
    stages = [
        ("ingest", t1 - t0),
        ("translate", t2 - t1),
        ("link", t3 - t2),
        ("rules", t4 - t3),
        ("report", t5 - t4),
    ]
    total = t5 - t0
    collector = "off" if "--no-gc" in argv else "on"
    print(f"{n:,} resources, {len(obligations):,} obligations, gc {collector}")
    for name, seconds in [*stages, ("total", total)]:
        share = seconds / total
        print(f"{name:<10} {seconds:8.2f} s {seconds * 1e6 / n:8.1f} µs/resource {share:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
