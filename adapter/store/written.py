"""What a submission wrote, for its audit entry (issue 15: every stored version records
the key that wrote it, and the audit shows it).

A bounded list of `Type/id/_history/version`, one per version created or updated (the
version's id: the client's `meta.versionId`, else the server's number; `Type/fullUrl`,
cut to 128 characters, for one with no id). Never patient data: a Patient's id, and any id
holding ten digits in a row (an NHS number may be used as an id), is shown as `(withheld)`;
the entry's time and key name find those rows in the `resources` table (`stored_at`, `key_name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from adapter.store.posted import Entry
from adapter.store.submit import Stored

LISTED = 50  # an entry stays small however large the Bundle; the rest are counted
WITHHELD = "(withheld)"
_SHOWN = 128
_TEN_DIGITS = re.compile(r"\d{10}")
_PATIENT_TYPES = frozenset({"Patient"})


def written(outcomes: Iterable[tuple[Entry, Stored]]) -> dict[str, Any]:
    """`{"written": [...], "written_more": n}` for the versions created or updated."""
    shown = [_named(e, s) for e, s in outcomes if s.outcome in ("created", "updated")]
    return {"written": shown[:LISTED], "written_more": max(0, len(shown) - LISTED)}


def _named(entry: Entry, stored: Stored) -> str:
    kind = entry.resource_type or "unknown"
    ident = (stored.reference or "").removeprefix(f"{kind}/")
    if not ident or kind in _PATIENT_TYPES or _TEN_DIGITS.search(ident):
        ident = WITHHELD
    ident = ident[:_SHOWN]
    version = f"/_history/{stored.version}" if stored.version else ""
    return f"{kind}/{ident}{version}"


__all__ = ["LISTED", "WITHHELD", "written"]
