"""Status at an instant (rules.md §3, docs/contract.md §8), one table of cases run through
`adapter.deadline.status_at`, the engine (discharge-summary-24h, judged by `referee check`'s
pipeline) and the store on SQLite and PostgreSQL, whose read-time status has a Python form
(the obligations returned) and an SQL form (`status=` filters and `/summary` counts): all
must give the table's answer, worked out by hand from rules.md §3."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapter.deadline import status_at
from adapter.engine import evaluate
from adapter.model import STATUSES, Location
from adapter.store.reads import Filters
from adapter.store.service import Store
from store.backends import BACKENDS, bundle, database_url, encounter, letter, submit

END = datetime(2024, 3, 1, 10, tzinfo=UTC)  # the discharge; due 24 h later
DUE = END + timedelta(hours=24)
S = timedelta(seconds=1)

# (name, letter sent at, as_of, status, detail)
CASES = [
    ("the issue's case: 2 h after discharge", None, END + timedelta(hours=2), "pending",
     "No discharge summary yet; due by 2024-03-02 10:00 UTC."),
    ("before the discharge itself", None, END - timedelta(days=1), "pending",
     "No discharge summary yet; due by 2024-03-02 10:00 UTC."),
    ("exactly at due", None, DUE, "pending",
     "No discharge summary yet; due by 2024-03-02 10:00 UTC."),
    ("one second after due", None, DUE + S, "breached",
     "No discharge summary had been sent 24 h after discharge; the limit is 24 h."),
    ("36 h after discharge", None, END + timedelta(hours=36), "breached",
     "No discharge summary had been sent 36 h after discharge; the limit is 24 h."),
    ("1006.2 days after", None, END + timedelta(days=1006.2), "breached",
     "No discharge summary had been sent 1006.2 days after discharge; the limit is 24 h."),
    ("sent at due", DUE, DUE + timedelta(days=9), "met",
     "Discharge summary sent 24 h after discharge; the limit is 24 h."),
    ("sent a second late", DUE + S, DUE + timedelta(days=9), "breached",
     "Discharge summary sent 24 h after discharge; the limit is 24 h."),
    ("sent on time, read before it was sent", END + timedelta(hours=3), END + S, "met",
     "Discharge summary sent 3 h after discharge; the limit is 24 h."),
    ("sent late, read before due", DUE + timedelta(hours=6), END + S, "breached",
     "Discharge summary sent 30 h after discharge; the limit is 24 h."),
]  # fmt: skip
IDS = [c[0] for c in CASES]


def resources(n: int, sent: datetime | None) -> list[dict[str, object]]:
    found = [encounter(f"e{n}", f"p{n}", end=END.isoformat())]
    if sent is not None:
        found.append(letter(f"c{n}", f"e{n}", date=sent.isoformat()))
    return found


@pytest.mark.parametrize(("name", "sent", "as_of", "status", "detail"), CASES, ids=IDS)
def test_status_at_and_the_engine(
    name: str, sent: datetime | None, as_of: datetime, status: str, detail: str
) -> None:
    assert status_at(DUE, sent, as_of) == status
    result = evaluate([(bundle(*resources(0, sent)), Location(file=name))], as_of=as_of)
    [found] = [o for o in result.obligations if o.rule == "discharge-summary-24h"]
    assert (found.status, found.detail) == (status, detail)


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """Every case stored once, now (long after every due time), on one store per backend."""
    for url in database_url(request.param, Path(tmp_path_factory.mktemp("status"))):
        the_store = Store(url)
        for n, (_, sent, _, _, _) in enumerate(CASES):
            submit(the_store, bundle(*resources(n, sent)))
        yield the_store
        the_store.close()


@pytest.mark.parametrize(("name", "sent", "as_of", "status", "detail"), CASES, ids=IDS)
def test_the_store_reads_each_case_as_the_engine_judges_it(
    store: Store, name: str, sent: datetime | None, as_of: datetime, status: str, detail: str
) -> None:
    n = IDS.index(name)
    subject = f"Encounter/e{n}"
    rule = "discharge-summary-24h"
    [read] = [o for o in store.obligations(Filters(rule=rule), as_of) if o.subject == subject]
    assert (read.status, read.detail) == (status, detail)  # the Python form
    for asked in STATUSES:  # the SQL form, as a filter
        page, _ = store.page(Filters(rule=rule, status=asked), as_of, None, 1000)
        assert (subject in {o.subject for _, o in page}) == (asked == status), asked
    counted = {g["rule"]: g for g in store.summary(Filters(rule=rule), ["rule"], as_of)}
    expected = sum(1 for c in CASES if _read_as(c, as_of) == status)
    assert counted[rule][status] == expected  # the SQL form, in GROUP BY


def _read_as(case: tuple[object, ...], as_of: datetime) -> str:
    """What case `case` reads as at `as_of` (each stored case judged at the test's instant)."""
    sent = case[1]
    assert sent is None or isinstance(sent, datetime)
    return status_at(DUE, sent, as_of)
