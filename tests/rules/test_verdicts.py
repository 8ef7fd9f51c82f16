"""The shared-care verdict, case by case (rules.md §5.4, §3): a refusal is a breach; the
earliest agreement decides by the transfer time; without one the request waits until the
transfer and is breached after it."""

from datetime import UTC, datetime, timedelta

import pytest

from adapter.facts import Head, TaskFact
from adapter.model import Location
from adapter.rules.shared_care_gp_agreement import verdict

TRANSFER = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def task(name: str, status: str, when: datetime | None) -> TaskFact:
    head = Head("Task", f"Task/{name}", None, (), Location())
    return TaskFact(head, status, None, None, when)


CASES = [
    # tasks, as_of, kind, status, earliest agreement, evidence
    ([], TRANSFER - HOUR, "awaited", "pending", None, ()),
    ([], TRANSFER, "awaited", "pending", None, ()),
    ([], TRANSFER + HOUR, "not-agreed", "breached", None, ()),
    ([task("a", "accepted", TRANSFER)], TRANSFER + HOUR, "agreed", "met", TRANSFER, ("Task/a",)),
    (
        [task("a", "completed", TRANSFER + 2 * HOUR)],
        TRANSFER + 3 * HOUR,
        "agreed-late",
        "breached",
        TRANSFER + 2 * HOUR,
        ("Task/a",),
    ),
    (
        [task("late", "accepted", TRANSFER + HOUR), task("early", "accepted", TRANSFER - HOUR)],
        TRANSFER + 2 * HOUR,
        "agreed",
        "met",
        TRANSFER - HOUR,
        ("Task/early", "Task/late"),
    ),
    (
        [task("no", "rejected", TRANSFER - HOUR), task("yes", "accepted", TRANSFER - HOUR)],
        TRANSFER,
        "refused",
        "breached",
        TRANSFER - HOUR,
        ("Task/no", "Task/yes"),
    ),
    ([task("x", "accepted", None)], TRANSFER + HOUR, "not-agreed", "breached", None, ()),
]


@pytest.mark.parametrize(("tasks", "as_of", "kind", "status", "agreed", "evidence"), CASES)
def test_shared_care_verdict(tasks, as_of, kind, status, agreed, evidence):
    found = verdict(tasks, TRANSFER, as_of)
    assert (found.kind, found.status, found.agreed, found.evidence) == (
        kind,
        status,
        agreed,
        evidence,
    )


def test_without_a_transfer_time_shared_care_is_not_assessable():
    found = verdict([task("a", "accepted", TRANSFER)], None, TRANSFER)
    assert (found.kind, found.status) == ("no-transfer-time", "not-assessable")
