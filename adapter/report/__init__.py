"""Renderers: a `Result` in each output format of rules.md §7.

Each format is a module here with `render(result: Result) -> bytes`; `FORMATS` names them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

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
