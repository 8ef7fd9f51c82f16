"""Run a command and report its peak memory: `python -m bench.rss CMD...` runs CMD, waits,
and prints one JSON line to stderr, {"exit", "self_mb", "descendants_mb"}: the command's own
peak RSS (wait4) and the largest peak RSS of any process under it that was waited for
(RUSAGE_CHILDREN: --jobs workers, a Spark JVM). Both are single-process peaks, not sums."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys


def main(argv: list[str]) -> int:
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    below = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    report = {
        "exit": code,
        "self_mb": round(usage.ru_maxrss / 1024, 1),
        "descendants_mb": round(below.ru_maxrss / 1024, 1),
    }
    print(json.dumps(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
