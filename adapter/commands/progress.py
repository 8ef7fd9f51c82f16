"""Progress on stderr for long runs: a live count of resources read, shown only when stderr
is a terminal (never in a pipe, a log or CI). rich honours NO_COLOR and TERM=dumb."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[int], None]


@contextmanager
def terminal_progress(label: str = "resources read") -> Iterator[Progress | None]:
    """A callback taking the count so far, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed:,} " + label), TimeElapsedColumn())
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda count: bar.update(task, completed=count)
