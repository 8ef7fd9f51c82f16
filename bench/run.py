"""Run the benchmark suite: generate (or reuse) synthetic ICB data of about 10k, 100k and 1M
resources under bench/data/, then time on the same files

    parse         (a) orjson over every NDJSON line, nothing else (the floor)
    check         (b) `referee check DIR --format json --output /dev/null --as-of ...`
    jobs-2        (c) the same with --jobs 2
    validate-full (d) the same with --validate full
    spark         (e) the same with --engine spark (local[2]), when the CLI has it

each in a fresh subprocess under bench/rss.py (peak RSS of the largest process in its tree),
print the README's table as markdown and write bench/results.json (merged with the sizes
already there).

    .venv/bin/python -m bench.run --quick          # 10k only
    .venv/bin/python -m bench.run --sizes 10k,100k,1M
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapter.synth import generate
from adapter.synth.clock import parse_instant

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
AS_OF = "2026-06-30T12:00:00Z"
SEED = 2026
MONTHS = 12
RESOURCES_PER_PATIENT = 12.3  # measured for --months 12 with the default rates
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
PYTHON = sys.executable
REFEREE = str(Path(sys.executable).with_name("referee"))
KEEP_DATA = False  # --keep-data: reuse data made by an earlier generator version


def generator_version() -> str:
    """A digest of the generator's source: data made by another version is regenerated."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "adapter" / "synth").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def dataset(label: str) -> tuple[Path, dict[str, Any]]:
    """Generate the data set for `label`, or reuse it when its stamp matches."""
    patients = round(SIZES[label] / RESOURCES_PER_PATIENT)
    params = {
        "patients": patients,
        "months": MONTHS,
        "seed": SEED,
        "as_of": AS_OF,
        "generator": generator_version(),
    }
    folder, stamp = DATA / label, DATA / f"{label}.json"
    if stamp.exists():
        saved = json.loads(stamp.read_text())
        same = saved.get("params") == params or (
            KEEP_DATA and {**saved.get("params", {}), "generator": params["generator"]} == params
        )
        if same and folder.is_dir():
            print(f"bench: reusing {folder} ({saved['resources']:,} resources)", file=sys.stderr)
            return folder, saved
    print(f"bench: generating {label} ({patients:,} patients)", file=sys.stderr)
    started = time.perf_counter()
    summary = generate(
        folder,
        patients=patients,
        months=MONTHS,
        seed=SEED,
        as_of=parse_instant(AS_OF),
        progress=True,
    )
    info = {
        "params": params,
        "resources": summary.resources,
        "obligations": summary.obligations,
        "bytes": sum(p.stat().st_size for p in folder.glob("*.ndjson")),
        "generate_s": round(time.perf_counter() - started, 2),
    }
    stamp.write_text(json.dumps(info, indent=2))
    return folder, info


def measure(argv: list[str], ok_codes: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    """Run `argv` as a fresh process under bench/rss.py: wall seconds (the wrapper's own
    start-up included, about 30 ms), peak RSS (MB) of the largest process in its tree (the
    command itself, a --jobs worker or a Spark JVM) and exit code."""
    started = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, "-m", "bench.rss", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        check=False,
    )
    seconds = time.perf_counter() - started
    err = proc.stderr.decode(errors="replace")
    lines = err.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        report = {"exit": proc.returncode, "self_mb": 0.0, "descendants_mb": 0.0, "cpu_s": 0.0}
    out: dict[str, Any] = {
        "seconds": round(seconds, 3),
        "cpu_seconds": report["cpu_s"],
        "peak_rss_mb": max(report["self_mb"], report["descendants_mb"]),
        "exit": report["exit"],
    }
    if report["exit"] not in ok_codes:
        out["error"] = err[-2000:]
    return out


def available(option: str) -> bool:
    text = subprocess.run(
        [REFEREE, "check", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return option in text


def why_not(name: str) -> str | None:
    """Why a run cannot be measured on this commit, or None when it can."""
    if name == "spark":
        if not available("--engine"):
            return "not available: `referee check` has no --engine on this commit"
        if importlib.util.find_spec("pyspark") is None:
            return "not available: pyspark is not installed (pip install -e '.[spark]')"
    if name == "jobs-2" and not available("--jobs"):
        return "not available: `referee check` has no --jobs on this commit"
    return None


RUNS = ("parse", "check", "jobs-2", "validate-full", "spark")
LABELS = {
    "parse": "(a) orjson parse only",
    "check": "(b) `check`",
    "jobs-2": "(c) `check --jobs 2`",
    "validate-full": "(d) `check --validate full`",
    "spark": "(e) `check --engine spark`, local[2]",
}


def run_size(label: str, wanted: tuple[str, ...] = RUNS, repeat: int = 1) -> dict[str, Any]:
    """Time the wanted runs on the data set for `label`; with `repeat`, the fastest of
    several tries (other work on the machine only ever adds time)."""
    folder, info = dataset(label)
    n = info["resources"]
    check = [REFEREE, "check", str(folder), "--format", "json", "--output", os.devnull]
    check += ["--as-of", AS_OF]
    commands = {
        "parse": [PYTHON, "-m", "bench.parse", str(folder)],
        "check": check,
        "validate-full": [*check, "--validate", "full"],
        "jobs-2": [*check, "--jobs", "2"],
        # --engine spark runs local[N] with N from --jobs: local[2], this machine's two cores
        "spark": [*check, "--engine", "spark", "--jobs", "2"],
    }
    runs: dict[str, Any] = {}
    for name in RUNS:
        reason = why_not(name)
        if name not in wanted and name != "parse":
            runs[name] = "not run"
        elif reason is not None:
            runs[name] = reason
        else:
            print(f"bench: {label} {name}", file=sys.stderr)
            ok = (0,) if name == "parse" else (0, 1)
            tries = [measure(commands[name], ok) for _ in range(repeat)]
            runs[name] = min(tries, key=lambda t: t["seconds"])
            if repeat > 1:
                runs[name]["all_seconds"] = [t["seconds"] for t in tries]
    floor = runs["parse"]["seconds"]
    for run in runs.values():
        if isinstance(run, dict) and "error" not in run:
            run["resources_per_s"] = round(n / run["seconds"])
            run["us_per_resource"] = round(run["seconds"] * 1e6 / n, 1)
            run["ratio_to_parse"] = round(run["seconds"] / floor, 1)
            if "cpu_seconds" in run and "cpu_seconds" in runs["parse"]:
                run["cpu_us_per_resource"] = round(run["cpu_seconds"] * 1e6 / n, 1)
                run["cpu_ratio_to_parse"] = round(
                    run["cpu_seconds"] / runs["parse"]["cpu_seconds"], 1
                )
    return {**info, "runs": runs}


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        info["cpu"] = models[0] if models else None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = meminfo.read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(total) / 1024 / 1024, 1)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    info["commit"] = commit or None
    # other work on the machine slows every run alike; the load says how busy it was
    info["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    return info


def table(results: dict[str, Any]) -> str:
    """The README's Performance table, as markdown."""
    lines = [
        "| size | run | seconds | resources/s | µs/resource | × parse | CPU µs/resource "
        "| CPU × parse | peak RSS MB | commit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, size in results.items():
        floor = size["runs"].get("parse", {})
        for name, run in size["runs"].items():
            what = LABELS.get(name, name)
            if isinstance(run, dict) and run.get("commit") != floor.get("commit"):
                run = {**run, "ratio_to_parse": float("nan")}  # another commit's floor
            if not isinstance(run, dict):
                lines.append(f"| {label} | {what} | {run} | | | | | | | |")
            elif "error" in run:
                lines.append(f"| {label} | {what} | failed (exit {run['exit']}) | | | | | | | |")
            else:
                cpu = run.get("cpu_us_per_resource")
                cpu_ratio = run.get("cpu_ratio_to_parse")
                lines.append(
                    f"| {label} | {what} | {run['seconds']:.2f} | {run['resources_per_s']:,} "
                    f"| {run['us_per_resource']:.1f} | {_ratio(run['ratio_to_parse'])} "
                    f"| {'' if cpu is None else f'{cpu:.1f}'} "
                    f"| {'' if cpu_ratio is None else f'{cpu_ratio:.1f}'} "
                    f"| {run['peak_rss_mb']:,.0f} | {run.get('commit', '')} |"
                )
    return "\n".join(lines)


def _ratio(value: float) -> str:
    return "–" if value != value else f"{value:.1f}"


def targets(results: dict[str, Any]) -> str:
    """The scale issue's targets, measured (issue 11): × the floor, linearity, --jobs 2."""

    def run(label: str, name: str) -> dict[str, Any] | None:
        found = results.get(label, {}).get("runs", {}).get(name)
        return found if isinstance(found, dict) and "error" not in found else None

    lines = []
    for label in ("100k", "1M"):
        check = run(label, "check")
        if check:
            verdict = "met" if check["ratio_to_parse"] <= 5 else "missed"
            lines.append(
                f"- `check` at {label}: {check['ratio_to_parse']:.1f}× the orjson floor "
                f"(target at most 5×: {verdict})"
            )
        jobs = run(label, "jobs-2")
        if check and jobs and check.get("commit") != jobs.get("commit"):
            jobs = None
        if check and jobs:
            speedup = check["seconds"] / jobs["seconds"]
            verdict = "met" if speedup >= 1.6 else "missed"
            lines.append(
                f"- `--jobs 2` at {label}: {speedup:.2f}× one process (target at least 1.6×: "
                f"{verdict}), peak RSS {jobs['peak_rss_mb']:,.0f} MB"
            )
        if check:
            verdict = "met" if check["peak_rss_mb"] <= 600 else "missed"
            lines.append(
                f"- peak RSS of `check` at {label}: {check['peak_rss_mb']:,.0f} MB "
                f"(target at 1M at most 600 MB: {verdict if label == '1M' else 'for 1M'})"
            )
    small, large = run("100k", "check"), run("1M", "check")
    if small and large and small.get("commit") != large.get("commit"):
        lines.append(
            f"- linear: not comparable, 100k measured at {small.get('commit')} and 1M at "
            f"{large.get('commit')}"
        )
    elif small and large:
        growth = large["us_per_resource"] / small["us_per_resource"] - 1
        verdict = "met" if growth <= 0.15 else "missed"
        lines.append(
            f"- linear: {large['us_per_resource']:.1f} µs/resource at 1M against "
            f"{small['us_per_resource']:.1f} at 100k, {growth:+.0%} (target within 15 %: "
            f"{verdict})"
        )
    spark, jobs = run("1M", "spark"), run("1M", "jobs-2")
    if spark and jobs:
        lines.append(
            f"- Spark local[2] at 1M: {spark['seconds'] / jobs['seconds']:.2f}× the time of "
            "`--jobs 2`, start-up included (target within 2× after start-up)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default="10k,100k,1M",
        help="comma-separated sizes from 10k, 100k, 1M (default all)",
    )
    parser.add_argument("--quick", action="store_true", help="10k only")
    parser.add_argument(
        "--repeat",
        type=int,
        default=0,
        help="tries per run, the fastest kept (default 3 for 10k, 1 for larger sizes)",
    )
    parser.add_argument(
        "--runs",
        default=",".join(RUNS),
        help=f"comma-separated runs (default all: {', '.join(RUNS)}); parse always runs",
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="print the table and targets from bench/results.json and measure nothing",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="reuse data sets made by an earlier version of the generator (the version used "
        "stays in bench/data/<size>.json and results.json)",
    )
    args = parser.parse_args(argv)
    global KEEP_DATA
    KEEP_DATA = args.keep_data
    if args.table:
        saved = json.loads(RESULTS.read_text())["sizes"]
        print(table(saved))
        print()
        print(targets(saved))
        return 0
    labels = ["10k"] if args.quick else [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    DATA.mkdir(parents=True, exist_ok=True)
    wanted = tuple(r.strip() for r in args.runs.split(",") if r.strip())
    if set(wanted) - set(RUNS):
        parser.error(f"unknown run(s) in --runs; choose from {', '.join(RUNS)}")
    results = {
        label: run_size(label, wanted, args.repeat or (3 if label == "10k" else 1))
        for label in labels
    }
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    sizes = {**saved.get("sizes", {}), **results}
    stamp = {
        "commit": machine()["commit"],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for label, size in results.items():  # keep earlier numbers for runs not run this time
        before = saved.get("sizes", {}).get(label, {}).get("runs", {})
        for name, run in size["runs"].items():
            if run == "not run" and name in before:
                size["runs"][name] = before[name]
            elif isinstance(run, dict):
                run.update(stamp)
        floor = size["runs"]["parse"]["seconds"]
        for run in size["runs"].values():
            if isinstance(run, dict) and "seconds" in run:
                run["ratio_to_parse"] = round(run["seconds"] / floor, 1)
    ordered = {k: sizes[k] for k in SIZES if k in sizes}
    print(table(ordered))
    print()
    print(targets(ordered))
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine(),
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "as_of": AS_OF,
                "sizes": ordered,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"bench: wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
