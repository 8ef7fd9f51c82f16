"""Run a command and report its peak memory: `python -m bench.rss CMD...` runs CMD, waits,
and prints one JSON line to stderr, {"exit", "self_mb", "descendants_mb", "cpu_s"}: the
command's own peak RSS (wait4), the largest peak RSS of any process under it that was
waited for (RUSAGE_CHILDREN: --jobs workers, a Spark JVM; both single-process peaks, not
sums) and the CPU seconds of all of them."""

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
        # CPU of the whole tree (user + system): what the run cost, whatever else the
        # machine was doing; for --jobs it is the sum over processes, not the wall time
        "cpu_s": round(below.ru_utime + below.ru_stime, 3),
    }
    print(json.dumps(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
