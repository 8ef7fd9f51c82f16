"""Renderers: a `Result` in each output format of rules.md §7.

Each format is a module here with `render(result: Result) -> bytes`; `FORMATS` names them.
A module may also define `write(result, stream)` to stream large outputs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import IO

from adapter.model import Result

FORMATS: dict[str, str] = {
    "table": "adapter.report.table",
    "json": "adapter.report.json",
    "csv": "adapter.report.csv",
    "fhir": "adapter.report.fhir",
    "fhir-xml": "adapter.report.fhir_xml",
    "junit": "adapter.report.junit",
}


def renderer(name: str) -> Callable[[Result], bytes]:
    """The `render` function of format `name` (one of `FORMATS`)."""
    module = importlib.import_module(FORMATS[name])
    render: Callable[[Result], bytes] = module.render
    return render


def write_report(name: str, result: Result, stream: IO[bytes]) -> None:
    """Write format `name` to `stream`, streaming when the format can."""
    module = importlib.import_module(FORMATS[name])
    if hasattr(module, "write"):
        module.write(result, stream)
    else:
        stream.write(module.render(result))
