"""`referee report --format csv|json` and the command itself: the same numbers as the page,
files where asked, clear errors for bad usage."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date

import pytest
from board_sample import AS_OF, nhs_number, obligation, sample

from adapter import cli
from adapter.board import Options, Period, board_json, build_board, write_csv
from adapter.board.periods import obligation_date

PERIOD = Period(date(2026, 4, 1), date(2026, 6, 30))
TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")


@pytest.fixture(scope="module")
def obligations():
    return sample()


@pytest.fixture(scope="module")
def board(obligations):
    return build_board(obligations, PERIOD, AS_OF, Options(icb_name="Example ICB"))


def main(argv):
    """The real `referee` entry point (it imports only the invoked command)."""
    return cli.main(argv)


def current(obligations):
    return [
        o
        for o in obligations
        if obligation_date(o) is not None and PERIOD.contains(obligation_date(o))
    ]


def read(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_tables_hold_the_same_counts_as_the_obligations(tmp_path, board, obligations):
    files = write_csv(board, tmp_path / "tables")
    assert sorted(p.name for p in files) == [
        "headline.csv",
        "method.csv",
        "not_assessable.csv",
        "practices.csv",
        "trend.csv",
        "trusts.csv",
        "worst.csv",
    ]
    now = current(obligations)
    trust_rows = read(tmp_path / "tables" / "trusts.csv")
    for row in trust_rows:
        mine = [o for o in now if o.owner == row["ods"] and o.rule != "referral-complete"]
        if row["rule"] != "all":
            mine = [o for o in mine if o.rule == row["rule"]]
        c = Counter(o.status for o in mine)
        assert (
            int(row["met"]),
            int(row["breached"]),
            int(row["pending"]),
            int(row["not_assessable"]),
        ) == (c["met"], c["breached"], c["pending"], c["not-assessable"])
    headline = {r["area"]: r for r in read(tmp_path / "tables" / "headline.csv")}
    care = Counter(
        o.status for o in now if o.domain4 == "complete-care" and o.rule != "referral-complete"
    )
    # Golden, by hand: 106 met and 24 breached in the period; 106 / 130 = 0.81538 → 0.8154.
    assert (care["met"], care["breached"]) == (106, 24)
    assert int(headline["complete-care"]["met"]) == 106
    assert headline["complete-care"]["rate"] == "0.8154"
    practices = read(tmp_path / "tables" / "practices.csv")
    total = sum(int(r["total"]) for r in practices if r["rule"] == "all")
    assert total == sum(1 for o in now if o.rule == "referral-complete")


def test_csv_and_json_carry_no_full_nhs_number(tmp_path, board):
    write_csv(board, tmp_path)
    for path in tmp_path.iterdir():
        assert not TEN_DIGITS.search(path.read_text(encoding="utf-8")), path.name
    assert not TEN_DIGITS.search(board_json(board).decode())


def test_json_is_the_data_behind_the_report(board, obligations):
    data = json.loads(board_json(board))
    now = [o for o in current(obligations) if o.rule != "referral-complete"]
    c = Counter(o.status for o in now)
    assert data["headline"]["current"]["met"] == c["met"]
    assert data["headline"]["current"]["not-assessable"] == c["not-assessable"]
    assert data["period"] == {"from": "2026-04-01", "to": "2026-06-30"}
    assert data["previous_period"] == {"from": "2025-12-31", "to": "2026-03-31"}
    assert [t["rank"] for t in data["trusts"]] == list(range(1, len(data["trusts"]) + 1))
    assert {m["rule"] for m in data["method"]} >= {"discharge-summary-24h", "referral-complete"}
    for examples in data["worst"].values():
        assert len(examples) <= 10
        assert all(
            e["patient"].startswith("*******") or e["patient"] in ("not known", "no NHS number")
            for e in examples
        )


def test_masking_covers_nhs_numbers_in_every_worst_example(tmp_path):
    number = nhs_number(77)
    board = build_board(
        [
            obligation(
                "fit-note-issued",
                "breached",
                owner="RXA",
                patient=number,
                evidence=(f"Patient/{number}",),
                detail=f"NHS {number}.",
            )
        ],
        PERIOD,
        AS_OF,
        Options(undated="include"),
    )
    example = board.worst["fit-note-issued"][0]
    assert example.patient == f"*******{number[-3:]}"
    assert example.evidence == (f"Patient/*******{number[-3:]}",)
    assert number not in example.detail


def empty_store(tmp_path):
    """A real, migrated and empty service database, as `referee serve` leaves it."""
    from adapter.store.database import migrate, open_engine

    url = f"sqlite:///{tmp_path / 'referee.db'}"
    engine = open_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return url


def test_report_from_an_empty_service_database_is_an_error(tmp_path, capsys):
    url = empty_store(tmp_path)
    out = tmp_path / "board.html"
    code = main(["report", "--database-url", url, "--from", "2026-04-01", "--to", "2026-06-30"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"referee: no obligations in the store at {url}; check the URL (is it the database "
        "`referee serve` writes?), or pass --allow-empty\n"
    )
    assert not out.exists()


def test_report_from_an_empty_service_database_writes_a_page_when_allowed(tmp_path, capsys):
    url = empty_store(tmp_path)
    out = tmp_path / "board.html"
    code = main(
        [
            "report",
            "--allow-empty",
            "--database-url",
            url,
            "--from",
            "2026-04-01",
            "--to",
            "2026-06-30",
            "--as-of",
            "2026-07-01T09:00:00Z",
            "--icb-name",
            "Test ICB",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "Test ICB" in page
    assert f"wrote {out}" in capsys.readouterr().err


def test_report_json_to_standard_output(tmp_path, capsysbinary):
    url = empty_store(tmp_path)
    code = main(
        [
            "report",
            "--allow-empty",
            "--database-url",
            url,
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-30",
            "--format",
            "json",
            "--out",
            "-",
        ]
    )
    assert code == 0
    data = json.loads(capsysbinary.readouterr().out)
    assert data["headline"]["current"]["total"] == 0


def test_report_with_from_after_to_is_bad_usage(capsys):
    code = main(["report", "x.json", "--from", "2026-05-01", "--to", "2026-04-01"])
    assert code == 2
    assert capsys.readouterr().err == (
        "referee: --from 2026-05-01 is after --to 2026-04-01; swap them\n"
    )


def test_report_needs_paths_or_a_database_but_not_both(capsys):
    code = main(["report", "--from", "2026-04-01", "--to", "2026-04-30"])
    assert code == 2
    assert "give either PATH... or --database-url" in capsys.readouterr().err


def test_report_rejects_a_malformed_date():
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "x", "--from", "1 April", "--to", "2026-04-30"])
    assert exit_info.value.code == 2


def test_report_into_a_folder_that_is_a_file_is_bad_usage(tmp_path, capsys):
    url = empty_store(tmp_path)
    blocker = tmp_path / "taken"
    blocker.write_text("x", encoding="utf-8")
    code = main(
        [
            "report",
            "--database-url",
            url,
            "--from",
            "2026-04-01",
            "--to",
            "2026-04-30",
            "--format",
            "csv",
            "--out",
            str(blocker),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        f"referee: --out {blocker}: is a file; --format csv writes a folder of tables\n"
    )
