"""What a run tells the user on stderr after reading: files that could not be read at all,
a run in which nothing was accepted (an error unless --allow-empty), and a warning with the
commonest reasons when many resources were rejected."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Sequence

from adapter.model import Result

REJECTED_WARNING_SHARE = 0.10  # warn when more than this share of resources is rejected
TOP_REASONS = 3
_LOCATION = re.compile(r"^\S+?:\d+(:\d+)?: ")  # "file.ndjson:12: " before a message
_VARIES = re.compile(
    r"\b[A-Z][A-Za-z]+/[\w\-.]+|entry\[\d+\]|'[^']*'|\"[^\"]*\"|(?<!\w)\d+(\.\d+)?(?!\w)"
)


def fatal_files(result: Result, said: Sequence[str] = ()) -> None:
    """Each file that could not be read at all, one line each (they never reach stdout),
    except the missing paths already `said` before the run."""
    for issue in result.issues:
        if issue.severity == "fatal" and issue.location.file not in said:
            where = issue.location.describe()
            located = issue.message.startswith(issue.location.file or "\0")
            _say(f"referee: {issue.message}" if located else f"referee: {where}: {issue.message}")


def nothing_accepted(result: Result, paths: Sequence[str]) -> str | None:
    """The error for a run that accepted nothing, or None when something was accepted."""
    counts = result.counts
    if counts.accepted:
        return None
    where = ", ".join("standard input" if p == "-" else p for p in paths)
    if counts.received == 0 and result.unreadable_files:
        return (
            f"nothing could be read from {where} (see above); fix the input, or pass --allow-empty"
        )
    if counts.received == 0 and list(paths) == ["-"]:
        return "no FHIR resources on standard input; send some, or pass --allow-empty"
    if counts.received == 0:
        return (
            f"no FHIR resources found in {where} (folders are read for .json, .ndjson, .jsonl "
            "and .xml files); check the path, or pass --allow-empty to accept an empty run"
        )
    return (
        f"none of the {counts.received:,} resources read from {where} was accepted, so "
        "nothing could be judged; fix the input (reasons above), or pass --allow-empty"
    )


def warn_rejected(result: Result, *, always: bool = False) -> None:
    """A warning with the commonest reasons when more than the set share was rejected."""
    counts = result.counts
    if not counts.rejected:
        return
    share = counts.rejected / counts.received
    if share <= REJECTED_WARNING_SHARE and not always:
        return
    _say(
        f"referee: warning: {counts.rejected:,} of {counts.received:,} resources "
        f"({share * 100:.1f} %) were rejected; the commonest reasons:"
    )
    for reason, n in top_reasons(result):
        _say(f"  {n:,} × {reason}")


def top_reasons(result: Result) -> list[tuple[str, int]]:
    """Rejection messages with the parts that differ between resources replaced by N."""
    reasons: Counter[str] = Counter(
        _VARIES.sub("…", _unlocated(issue.message, issue.location.file))
        for issue in result.issues
        if issue.severity in ("error", "fatal")
    )
    return reasons.most_common(TOP_REASONS)


def _unlocated(message: str, file: str | None) -> str:
    """The message without the file (and line) it starts with: reasons group across files."""
    if file and message.startswith(file):
        return message[len(file) :].lstrip(":0123456789 ")
    return _LOCATION.sub("", message)


def verdict(code: int) -> str:
    """The last line of the table: what the exit code means, so a first run's exit 1 is not
    taken for a failure."""
    if code == 0:
        return "Exit code 0: no breaches."
    if code == 1:
        return (
            "Exit code 1: breaches were found. This is the verdict, not a failure "
            "(0 = no breach, 2 = bad input)."
        )
    return "Exit code 2: the input could not be fully read (see the messages on stderr)."


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
