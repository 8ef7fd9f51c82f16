"""Issue 15, findings 1, 6, 7 and 9 outside the service: linear phrase matching, XML output
that cannot be broken by a control character, `| head`, and one decoding front door."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import re2

from adapter.cli import main
from adapter.errors import PolicyError
from adapter.ingest.decode import to_utf8
from adapter.policy import load_policy
from adapter.rules.narrative import read_findings
from adapter.translate.narrative import sentences
from tests.ingest.test_bad_input import collection, context, encounter, organisation

REFEREE = Path(sys.executable).parent / "referee"
XHTML = "http://www.w3.org/1999/xhtml"


# -- finding 1: phrase matching takes linear time ----------------------------------------------


def test_every_phrase_pattern_runs_on_the_linear_time_engine() -> None:
    """RE2 is an automaton: its time is linear in the sentence whatever the pattern, which is
    the guarantee; `bench/phrases.py` measures the size ladder."""
    policy = load_policy(None)
    compiled = [p for phrases in policy.phrases.values() for g in phrases.entries for p in g]
    assert len(compiled) > 20
    assert all(isinstance(p, re2._Regexp) for p in compiled)


def test_a_narrative_of_40000_letters_is_read_with_nothing_found() -> None:
    policy = load_policy(None)
    found = sentences(f'<div xmlns="{XHTML}">{"A" * 40_000}</div>')
    assert [len(s) for s in found] == [40_000]
    findings = read_findings(((None, found),), policy)
    assert not findings.contact_section and not findings.fit_note and not findings.refer_asks


def test_the_email_pattern_still_finds_an_address_among_long_words() -> None:
    policy = load_policy(None)
    sentence = "A" * 50_000 + " write to ward9.team@nhs.net today"
    assert policy.phrases["email"].search(sentence)
    assert not policy.phrases["email"].search("A" * 50_000 + " @ nothing")


def test_a_local_pattern_the_linear_engine_cannot_run_is_a_located_policy_error(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[phrases]\nurgent = ["(a)\\\\1"]\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert caught.value.message == (
        f"{policy}:2: phrases.urgent: bad regular expression: invalid escape sequence: \\1; "
        "phrase patterns run on a linear-time matcher (RE2), which has no look-arounds or "
        "back-references"
    )


# -- finding 6: control characters and XML output -----------------------------------------------


def test_an_ods_code_with_a_control_character_does_not_break_fhir_xml_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.json"
    trust = organisation("trust-northshire", "R\u0001")
    path.write_text(json.dumps(collection([*context()[:2], trust, encounter()])))
    code = main(["check", str(path), "--as-of", "2024-03-05T12:00:00Z", "--format", "fhir-xml"])
    assert code == 1
    out = capsys.readouterr().out
    assert "\u0001" not in out
    assert '<value value="R\ufffd"/>' in out
    # and it reads back
    back = tmp_path / "out.xml"
    back.write_text(out)
    assert main(["check", str(back), "--format", "json"]) == 0


# -- finding 7: a closed pipe --------------------------------------------------------------------


def test_check_piped_into_head_exits_quietly(tmp_path: Path) -> None:
    path = tmp_path / "in.ndjson"
    lines = [json.dumps(r) for r in context()]
    lines += [json.dumps(encounter(rid=f"enc-{i}")) for i in range(3000)]
    path.write_text("\n".join(lines) + "\n")
    shell = f"'{REFEREE}' check '{path}' --format json | head -c 100 > /dev/null"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, check=False
    )
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, as Unix tools report it


# -- finding 9: one decoding front door -----------------------------------------------------------

ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("kind", ["json", "xml"])
def test_the_cli_reads_json_and_xml_in_every_unicode_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, kind: str
) -> None:
    if kind == "json":
        text = json.dumps(collection([*context(), encounter()]))
    else:
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Encounter xmlns="http://hl7.org/fhir">'
            '<id value="e1"/><status value="finished"/><class>'
            '<system value="http://terminology.hl7.org/CodeSystem/v3-ActCode"/>'
            '<code value="IMP"/></class><subject><reference value="Patient/p"/></subject>'
            "</Encounter>"
        )
    path = tmp_path / f"in.{kind}"
    path.write_bytes(text.encode(encoding))
    assert main(["check", str(path), "--format", "json"]) in (0, 1)
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["received"] == counts["accepted"] > 0


def test_the_front_door_rewrites_the_xml_declaration_it_transcodes() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><a>é</a>'.encode("utf-16")
    assert to_utf8(data) == '<?xml version="1.0" encoding="UTF-8"?><a>é</a>'.encode()


def test_the_front_door_honours_a_declared_charset_and_refuses_a_bad_one() -> None:
    assert to_utf8('{"a": "é"}'.encode("latin-1"), "ISO-8859-1") == '{"a": "é"}'.encode()
    with pytest.raises(Exception, match=re.escape("the declared charset 'klingon' is not known")):
        to_utf8(b"{}", "klingon")
    with pytest.raises(Exception, match="is not valid UTF-16-LE text"):
        to_utf8(b"\xff\xfe\x00\xd8")
