"""The pipeline in one place: ingest → translate → link → evaluate → Result.

    check(paths)        read files, folders or "-" (stdin) and evaluate them
    evaluate(items)     evaluate resources already in memory (the service, $evaluate)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from adapter.model import Location, Result
from adapter.policy import Policy

Validation = Literal["rules", "full"]


def check(
    paths: Sequence[str | Path],
    *,
    as_of: datetime | None = None,
    policy: Policy | None = None,
    validate: Validation = "rules",
) -> Result:
    """Read every path (file, folder, or "-" for stdin) and evaluate all ten rules."""
    raise NotImplementedError


def evaluate(
    items: Iterable[tuple[dict[str, Any], Location]],
    *,
    as_of: datetime | None = None,
    policy: Policy | None = None,
    validate: Validation = "rules",
) -> Result:
    """Evaluate parsed resources (each a FHIR JSON dict, Bundles included, with where it
    came from). Counts and issues are as for `check`."""
    raise NotImplementedError
