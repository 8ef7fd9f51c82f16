"""The board pack built through the real engine from the rule fixtures, and `referee report`
run on them with a policy file that names trusts and interface leads."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime

import lxml.html
import orjson
import pytest
from board_sample import obligation
from cases import CASES, FIXTURES, inputs
from store.backends import submit

from adapter import cli
from adapter.board import Period, build_board, render_html
from adapter.board.examples import days_short
from adapter.engine import check
from adapter.store.service import Store

AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
PERIOD = Period(date(2000, 1, 1), date(2030, 12, 31))


def main(argv):
    """The real `referee` entry point (it imports only the invoked command)."""
    return cli.main(argv)


@pytest.fixture(scope="module")
def result():
    return check([FIXTURES], as_of=AS_OF)


def test_every_fixture_obligation_is_dated_by_due_fulfilment_or_its_subject(result):
    board = build_board(result.obligations, PERIOD, result.as_of)
    undated = [
        o
        for o in result.obligations
        if o.due is None and o.fulfilled_at is None and o.event_at is None
    ]
    assert board.undated_count == len(undated) == 0
    assert board.outside_count == 0


def test_headline_from_the_fixtures_equals_the_engine_obligations(result):
    assert result.obligations, "the engine found no obligations in the fixtures"
    board = build_board(result.obligations, PERIOD, result.as_of)
    trust_side = Counter(o.status for o in result.obligations if o.rule != "referral-complete")
    assert board.headline.met == trust_side["met"]
    assert board.headline.breached == trust_side["breached"]
    assert board.headline.pending == trust_side["pending"]
    assert board.headline.not_assessable == trust_side["not-assessable"]
    practice = Counter(o.status for o in result.obligations if o.rule == "referral-complete")
    assert board.practice_side.current.met == practice["met"]
    assert board.practice_side.current.breached == practice["breached"]
    owners = {o.owner for o in result.obligations if o.rule != "referral-complete"}
    assert {t.ods for t in board.trusts} == {o or "(no owner code)" for o in owners}


def test_fixture_page_has_no_full_nhs_number_and_fetches_nothing(result):
    page = render_html(build_board(result.obligations, PERIOD, result.as_of))
    assert not re.search(r"(?<!\d)\d{10}(?!\d)", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.I)
    assert lxml.html.fromstring(page).xpath("//svg")


def test_report_command_names_trusts_and_interface_leads_from_the_policy(tmp_path, result):
    trust = next(o.owner for o in result.obligations if o.owner and o.rule != "referral-complete")
    policy = tmp_path / "icb.toml"
    policy.write_text(
        'name = "Example ICB policy"\n'
        "[rules.discharge-medication-7d]\nmin_days = 14\n"
        '[phrases]\nfit-note-issued = ["fit note emailed"]\n'
        f'[trusts.{trust}]\nname = "Example Hospitals NHS Trust"\n'
        'interface_lead = "Dr A Example"\n',
        encoding="utf-8",
    )
    out = tmp_path / "board.html"
    code = main(
        [
            "report",
            str(FIXTURES),
            "--from",
            "2015-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2025-01-01T00:00:00Z",
            "--policy",
            str(policy),
            "--icb-name",
            "Example ICB",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    ranking = doc.xpath("//table[starts-with(caption, 'Trusts ranked')]/tbody/tr")
    cells = {r.xpath("string(th)"): [c.text_content() for c in r.xpath("td")] for r in ranking}
    assert any(v[0] == f"Example Hospitals NHS Trust ({trust})" for v in cells.values())
    leads = doc.xpath("string(//section[@id='headline'])")
    assert f"Interface leads: Example Hospitals NHS Trust ({trust}): Dr A Example" in leads

    def method_row(rule):
        rows = doc.xpath("//table[starts-with(caption, 'Rules, their')]/tbody/tr")
        return next(r for r in rows if r.xpath("string(th)").endswith(f"({rule})"))

    assert "local: min_days = 14" in method_row("discharge-medication-7d").text_content()
    assert "max_hours = 24" in method_row("discharge-summary-24h").text_content()
    letters = method_row("clinic-letter-7d")
    assert "max_days = 7" in letters.text_content()
    assert "contract editions: exists from 2016/17; max_days: 14 (2016/17, from 2016-04-01)" in (
        letters.text_content()
    )
    method = doc.xpath("string(//section[@id='method'])")
    assert "Contract editions." in method and "judged under the edition in force" in method
    assert re.search(r"This period: 2017/19 \(\d+\), 2023/24 \(\d+\), 2024/25", method), method
    assert "Example ICB policy" in doc.xpath("string(//header)")
    assert "phrases.fit-note-issued = [fit note emailed]" in doc.xpath(
        "string(//section[@id='method'])"
    )


def test_report_command_writes_csv_tables_into_a_folder(tmp_path):
    out = tmp_path / "tables"
    code = main(
        [
            "report",
            str(FIXTURES),
            "--from",
            "2015-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2025-01-01T00:00:00Z",
            "--format",
            "csv",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "headline.csv").read_text(encoding="utf-8").startswith("area,label,met,")


def test_medication_shortfall_is_the_days_missing():
    short = obligation(
        "discharge-medication-7d",
        "breached",
        owner="RXA",
        detail="Discharge supply of Amoxicillin is 3.5 days (14 capsules at 4 a day); "
        "at least 7 days required.",
    )
    assert days_short(short) == (3.5, "3.5 days short (3.5 of 7 days supplied)")


def test_report_from_the_service_store_dates_obligations_like_the_files(tmp_path):
    """The same inputs, stored through the service store and read back with --database-url,
    give the same board figures as reading the files (deadline-free rules included)."""
    folders = [FIXTURES / "point-of-contact", FIXTURES / "referral-complete"]
    files = [
        path
        for case in CASES
        if case.parent in folders
        for path in inputs(case)
        if path.suffix == ".json"
    ]
    url = f"sqlite:///{tmp_path / 'referee.db'}"
    store = Store(url)
    try:
        for path in files:
            submit(store, orjson.loads(path.read_bytes()))
    finally:
        store.close()
    window = ["--from", "2000-01-01", "--to", "2030-12-31", "--as-of", "2025-01-01T00:00:00Z"]
    db_json, files_json = tmp_path / "db.json", tmp_path / "files.json"
    assert (
        main(["report", "--database-url", url, *window, "--format", "json", "--out", str(db_json)])
        == 0
    )
    assert (
        main(["report", *map(str, files), *window, "--format", "json", "--out", str(files_json)])
        == 0
    )
    from_db, from_files = orjson.loads(db_json.read_bytes()), orjson.loads(files_json.read_bytes())
    assert from_db["undated"]["count"] == 0
    assert from_db["headline"]["current"]["total"] > 0
    assert from_db["headline"] == from_files["headline"]
    assert from_db["practices"] == from_files["practices"]
