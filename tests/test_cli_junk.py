"""The issue-13 case of 50 MB of junk lines with one resource among them (260,840 of 260,841
rejected): never a quiet "No breaches.", but a warning on stderr with the commonest reasons;
the exit code is the verdict's (docs/contract.md §10), and 2 with --strict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REFEREE = Path(sys.executable).parent / "referee"
LINES = 260_841
VALID = {
    "resourceType": "Organization",
    "id": "trust",
    "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}],
}
# Ten junk lines, repeated: five of text, three JSON arrays, two objects with no resourceType,
# each 200 characters, so that 260,840 of them make 50 MB.
JUNK = [
    ("a log line exported by mistake, not FHIR " * 5)[:200],
    "[" + ",".join(["1"] * 99) + "]",
    '{"note": "' + "x" * 188 + '"}',
]
CYCLE = [JUNK[0]] * 5 + [JUNK[1]] * 3 + [JUNK[2]] * 2


def junk_file(tmp_path: Path, lines: int = LINES) -> Path:
    path = tmp_path / f"junk-{lines}.ndjson"
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(VALID) + "\n")
        block = "\n".join(CYCLE) + "\n"
        out.write(block * ((lines - 1) // len(CYCLE)))
    return path


def check(*argv: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REFEREE), "check", *map(str, argv)], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_50_mb_of_junk_lines_warn_with_the_commonest_reasons(tmp_path: Path) -> None:
    path = junk_file(tmp_path)
    assert path.stat().st_size >= 50_000_000
    out = tmp_path / "out.txt"
    done = check(path, "--as-of", "2026-01-01T00:00:00Z", "-o", out)
    assert done.stderr.splitlines() == [
        "referee: warning: 260,840 of 260,841 resources (100.0 %) were rejected; "
        "the commonest reasons:",
        "  130,420 × expected one JSON resource on the line, found invalid JSON "
        "(unexpected character, expected a JSON value: line … column … (char …))",
        "  78,252 × expected a FHIR resource (a JSON object), found an array",
        "  52,168 × expected a known FHIR R4 resourceType, found no resourceType",
    ]
    table = out.read_text(encoding="utf-8").splitlines()
    assert table[1] == "Resources: 260841 received, 1 accepted, 260840 rejected"
    assert (done.returncode, table[-1]) == (0, "Exit code 0: no breaches.")

    # --strict on a smaller file of the same mix (reading 50 MB twice adds nothing)
    small = junk_file(tmp_path, 2_611)
    strict = check(small, "--as-of", "2026-01-01T00:00:00Z", "--strict", "-o", out)
    assert strict.returncode == 2
    assert strict.stderr.splitlines()[:2] == [
        "referee: warning: 2,610 of 2,611 resources (100.0 %) were rejected; "
        "the commonest reasons:",
        "  1,305 × expected one JSON resource on the line, found invalid JSON "
        "(unexpected character, expected a JSON value: line … column … (char …))",
    ]
