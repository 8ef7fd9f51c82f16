"""The golden cases, found and read one way for every test file: each folder under
fixtures/rules/<rule>/<case>/ and fixtures/real/<case>/ with an `expected.json`; its inputs
are every file but case.toml, expected.json and policy.toml (fixtures/README.md). A case may
force a contract edition (`edition` in case.toml)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from adapter.instants import parse_instant
from adapter.policy import Policy, load_policy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
REAL = FIXTURES.parent / "real"  # cases built from real public NHS examples, with `source`
NOT_INPUT = {"case.toml", "expected.json", "policy.toml"}
CASES = sorted(
    p for p in [*FIXTURES.glob("*/*"), *REAL.glob("*")] if (p / "expected.json").is_file()
)


def case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def inputs(case: Path) -> list[Path]:
    """Every input file of a case, in sorted order (never an empty list: a case has input)."""
    found = sorted(p for p in case.iterdir() if p.is_file() and p.name not in NOT_INPUT)
    if not found:
        raise AssertionError(f"{case_id(case)} has no input file")
    return found


def meta(case: Path) -> dict[str, Any]:
    return tomllib.loads((case / "case.toml").read_text())


def as_of(case: Path) -> datetime:
    when = parse_instant(meta(case)["as_of"])
    assert when is not None, case_id(case)
    return when


def policy(case: Path) -> Policy | None:
    """The case's policy (`policy = FILE`), with its contract edition forced when the case
    names one (`edition = "2025/26"`, as `referee check --edition` does); None: national."""
    named, edition = meta(case).get("policy"), meta(case).get("edition")
    if not named and not edition:
        return None
    return (load_policy(case / named) if named else load_policy()).forcing(edition)
