"""`--format fhir-xml`: the Bundle of `--format fhir` (`adapter.report.fhir`) as FHIR R4
XML, converted by `adapter.xml.fhir_json_to_xml` (FHIR element order, UTF-8, indented)."""

from __future__ import annotations

from adapter.model import Result
from adapter.report.fhir import bundle
from adapter.xml import fhir_json_to_xml


def render(result: Result) -> bytes:
    """`result` as a FHIR R4 XML Bundle."""
    return fhir_json_to_xml(bundle(result))
