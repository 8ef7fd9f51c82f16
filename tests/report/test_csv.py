import csv
import io
from datetime import UTC, datetime, timedelta

from adapter.model import Counts, Issue, Location, Obligation, Result
from adapter.report.csv import FIELDS, render

AS_OF = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def obligation(rule: str, subject: str, status: str, **fields: object) -> Obligation:
    values: dict[str, object] = {
        "rule": rule,
        "status": status,
        "subject": subject,
        "patient": "9990000018",
        "owner": "RXQ",
        "owed_to": "K81001",
        "due": AS_OF - timedelta(hours=30),
        "fulfilled_at": None,
        "evidence": (),
        "detail": "A sentence.",
        "domain4": "complete-care",
        "clause": "SC11.5",
    }
    values.update(fields)
    return Obligation(**values)  # type: ignore[arg-type]


def sample_result() -> Result:
    obligations = [
        obligation(
            "discharge-summary-24h",
            "Encounter/1",
            "met",
            fulfilled_at=AS_OF - timedelta(hours=40),
            evidence=("Composition/a", "Bundle/doc-1"),
            detail="Discharge summary sent 2 h after discharge; the limit is 24 h.",
        ),
        obligation(
            "discharge-summary-24h",
            "Encounter/2",
            "breached",
            detail='Sent 31.5 h after discharge, "late"; the limit is 24 h,\nsee letter.',
        ),
        obligation("discharge-summary-24h", "Encounter/3", "pending", owner=None),
        obligation(
            "discharge-medication-7d",
            "MedicationRequest/m1",
            "not-assessable",
            due=None,
            patient=None,
            owed_to=None,
            detail="Supply cannot be worked out — no quantity, dose ≠ 5 mL.",
        ),
        obligation(
            "referral-complete",
            "urn:uuid:8c2a0c1e-7f3e-4c1e-9a57-0d5c8a3f1b22",
            "breached",
            owner="K81001",
            owed_to="RXQ",
            due=None,
            domain4="onward-referrals",
            clause="SC6.8",
            detail="Referral has no reason, no priority.",
        ),
    ]
    issue = Issue("error", "required", Location("a.ndjson", 3, None, "Encounter/x"), "no status")
    return Result(AS_OF, Counts(6, 5, 1), obligations, [issue])


def test_csv_has_a_header_row_with_the_obligation_fields_in_contract_order():
    first_line = render(sample_result()).split(b"\r\n", 1)[0]
    assert first_line.decode() == ",".join(FIELDS)
    assert tuple(sample_result().obligations[0].to_json()) == FIELDS


def test_csv_reads_back_to_the_same_obligations():
    result = sample_result()
    rows = list(csv.DictReader(io.StringIO(render(result).decode("utf-8"), newline="")))
    read_back = [
        {
            key: (value.split(";") if value else [])
            if key == "evidence"
            else (value if value != "" else None)
            for key, value in row.items()
        }
        for row in rows
    ]
    assert read_back == [o.to_json() for o in result.obligations]


def test_csv_quotes_commas_quotes_and_newlines_and_ends_lines_with_crlf():
    text = render(sample_result()).decode("utf-8")
    assert '"Sent 31.5 h after discharge, ""late""; the limit is 24 h,\nsee letter."' in text
    assert text.endswith("\r\n")
    assert text.count("\r\n") == 1 + len(sample_result().obligations)


def test_csv_is_utf8_without_a_byte_order_mark():
    data = render(sample_result())
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "dose ≠ 5 mL".encode() in data


def test_csv_of_a_result_without_obligations_is_the_header_alone():
    empty = Result(AS_OF, Counts(), [], [])
    assert render(empty) == (",".join(FIELDS) + "\r\n").encode()
