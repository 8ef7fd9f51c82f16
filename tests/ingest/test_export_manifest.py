"""A folder walk skips a Bulk Data completion manifest (an export's manifest.json, or the one
`referee pull` writes) and reads everything else, a manifest.json that is FHIR included."""

from __future__ import annotations

from pathlib import Path

import orjson

from adapter.ingest.sources import expand_paths, is_export_manifest

MANIFEST = {
    "transactionTime": "2025-04-01T00:00:00Z",
    "request": "https://x.test/fhir/$export",
    "requiresAccessToken": True,
    "output": [{"type": "Patient", "url": "Patient.001.ndjson", "count": 1}],
    "error": [],
}


def test_an_export_manifest_is_skipped_in_a_folder_but_read_when_named(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(MANIFEST))
    (tmp_path / "Patient.001.ndjson").write_bytes(b'{"resourceType":"Patient","id":"p"}\n')
    assert expand_paths([tmp_path]) == [tmp_path / "Patient.001.ndjson"]
    assert expand_paths([tmp_path / "manifest.json"]) == [tmp_path / "manifest.json"]


def test_anything_else_named_manifest_json_is_read(tmp_path: Path) -> None:
    fhir = {"resourceType": "Bundle", "type": "collection", **MANIFEST}
    odd = {k: v for k, v in MANIFEST.items() if k != "transactionTime"}
    for n, body in enumerate([orjson.dumps(fhir), orjson.dumps(odd), b"not json", b"[]"]):
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / "manifest.json").write_bytes(body)
        assert not is_export_manifest(folder / "manifest.json")
        assert expand_paths([folder]) == [folder / "manifest.json"]
