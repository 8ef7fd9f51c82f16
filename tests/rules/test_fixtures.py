"""Golden pairs: every case under fixtures/rules/<rule>/<case>/ and fixtures/real/<case>/ is
checked whole.

A case is its FHIR input files, `case.toml` (as_of, optional policy) and `expected.json`
(counts and every obligation, all fields of rules.md §4 but `detail`).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from cases import CASES, FIXTURES, case_id, inputs, policy

from adapter.engine import check
from adapter.instants import parse_instant
from adapter.rules import RULES


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fixture_case_gives_expected_obligations(case: Path) -> None:
    meta = tomllib.loads((case / "case.toml").read_text())
    expected = json.loads((case / "expected.json").read_text())
    as_of = parse_instant(meta["as_of"])

    result = check(inputs(case), as_of=as_of, policy=policy(case))

    got = [{k: v for k, v in o.to_json().items() if k != "detail"} for o in result.obligations]
    assert got == expected["obligations"]
    assert result.counts.to_json() == expected["counts"]


def test_every_rule_has_met_breached_and_edge_cases() -> None:
    for rule_id in RULES:
        statuses: set[str] = set()
        for case in FIXTURES.glob(f"{rule_id}/*/expected.json"):
            statuses |= {
                o["status"]
                for o in json.loads(case.read_text())["obligations"]
                if o["rule"] == rule_id
            }
        assert {"met", "breached"} <= statuses, rule_id
        assert len(list(FIXTURES.glob(f"{rule_id}/*/expected.json"))) >= 3, rule_id


def test_obligation_details_are_one_sentence_with_no_placeholder() -> None:
    for case in CASES:
        meta = tomllib.loads((case / "case.toml").read_text())
        result = check(inputs(case), as_of=parse_instant(meta["as_of"]))
        for obligation in result.obligations:
            assert obligation.detail and obligation.detail[0].isupper(), obligation
            assert "None" not in obligation.detail, obligation
