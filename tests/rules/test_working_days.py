"""England working days for advice-and-guidance-response (docs/contract.md §11.2), worked
by hand from the GOV.UK England and Wales bank holidays."""

from datetime import UTC, date, datetime

import pytest

from adapter.rules.working_days import add_working_days, end_of_day, working_days_due


@pytest.mark.parametrize(
    ("start", "count", "last"),
    [
        (date(2024, 3, 1), 5, date(2024, 3, 8)),  # Friday: the next five weekdays
        (date(2024, 3, 28), 1, date(2024, 4, 2)),  # Good Friday and Easter Monday skipped
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # 25th and the substitute 28th skipped
        (date(2022, 9, 16), 1, date(2022, 9, 20)),  # the Queen's funeral, 19 September 2022
        (date(2024, 3, 2), 1, date(2024, 3, 4)),  # sent on a Saturday: Monday is day one
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(start, count, last):
    assert add_working_days(start, count) == last


def test_outside_the_table_the_days_cannot_be_counted():
    assert add_working_days(date(2016, 12, 30), 1) is None
    assert add_working_days(date(2027, 12, 24), 5) is None


def test_due_is_midnight_london_at_the_end_of_the_last_day():
    assert end_of_day(date(2024, 3, 8)) == datetime(2024, 3, 9, tzinfo=UTC)  # GMT
    assert end_of_day(date(2024, 4, 8)) == datetime(2024, 4, 8, 23, tzinfo=UTC)  # BST
    # 23:30 UTC on 31 March 2024 is already 1 April in London (Easter Monday).
    sent = datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    assert working_days_due(sent, 1) == datetime(2024, 4, 2, 23, tzinfo=UTC)
