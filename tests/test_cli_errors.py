"""The first hour with `referee`: every user error is one line on stderr naming the thing
and the fix, exit 2, before any long work; one grammar across the commands (issue 13).
Each test asserts the exact message, the stream and the exit code."""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapter.cli import COMMANDS, build_parser, main
from adapter.commands.options import as_of_value
from adapter.commands.progress import terminal_progress

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo" / "icb"
DEMO_AS_OF = "2025-03-31T17:00:00Z"
REFEREE = Path(sys.executable).parent / "referee"
PERIOD = ["--from", "2026-09-01", "--to", "2026-11-30"]
VALID = {
    "resourceType": "Organization",
    "id": "trust",
    "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RZZ"}],
}


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# -- errors that stop and say what to do ----------------------------------------------------------


def test_check_of_a_missing_file_says_so_on_stderr_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check", "missing.json", "-o", "o.json")
    assert (code, out) == (2, "")
    assert err == (
        "referee: missing.json: no such file or folder; give a FHIR file, a folder of them, "
        "or - for standard input\n"
    )
    assert not (tmp_path / "o.json").exists()


def test_a_missing_path_among_others_is_said_at_once_and_the_rest_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """rules.md §7: a bad input never stops the run; issue 13: say it before the work."""
    monkeypatch.chdir(tmp_path)
    Path("org.json").write_text(json.dumps(VALID))
    code, out, err = run(capsys, "check", "org.json", "missing.json", "--format", "json")
    assert code == 2
    assert err == (
        "referee: missing.json: no such file or folder; give a FHIR file, a folder of them, "
        "or - for standard input (the other paths are read)\n"
    )
    report = json.loads(out)
    assert report["counts"] == {"received": 1, "accepted": 1, "rejected": 0}
    assert [i["location"]["file"] for i in report["issues"]] == ["missing.json"]


def test_check_of_an_empty_folder_is_not_no_breaches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "emptydir"
    empty.mkdir()
    code, out, err = run(capsys, "check", empty, "--as-of", DEMO_AS_OF)
    assert code == 2
    assert err == (
        f"referee: no FHIR resources found in {empty} (folders are read for .json, .ndjson, "
        ".jsonl and .xml files); check the path, or pass --allow-empty to accept an empty run\n"
    )
    assert "No breaches." not in out
    assert out.endswith(
        "Nothing to judge: no resource was accepted.\n\n"
        "Exit code 2: the input could not be fully read (see the messages on stderr).\n"
    )


def test_allow_empty_accepts_an_empty_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", tmp_path, "--allow-empty", "--format", "json")
    assert (code, err) == (0, "")


def test_check_of_json_that_is_not_fhir_warns_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notfhir.json"
    path.write_text('{"foo": 1}')
    code, _, err = run(capsys, "check", path, "--format", "json")
    assert code == 2
    assert err == (
        "referee: warning: 1 of 1 resources (100.0 %) were rejected; the commonest reasons:\n"
        "  1 × expected a known FHIR R4 resourceType, found no resourceType\n"
        f"referee: none of the 1 resources read from {path} was accepted, so nothing could "
        "be judged; fix the input (reasons above), or pass --allow-empty\n"
    )


def test_a_file_that_cannot_be_read_at_all_is_named_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.json").write_text("not json{")
    code, out, err = run(capsys, "check", "bad.json", "--format", "json")
    assert code == 2
    assert err == (
        "referee: bad.json: is not JSON, NDJSON or FHIR XML (it starts with 'not json{'); "
        "send FHIR R4 resources\n"
        "referee: nothing could be read from bad.json (see above); fix the input, or pass "
        "--allow-empty\n"
    )
    assert json.loads(out)["issues"][0]["severity"] == "fatal"


def test_empty_standard_input_is_not_no_breaches(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, _, err = run(capsys, "check", "-")
    assert code == 2
    assert err == "referee: no FHIR resources on standard input; send some, or pass --allow-empty\n"


def test_mostly_junk_warns_with_the_top_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "junk.ndjson"
    lines = [json.dumps(VALID)] + [f"junk line {i}" for i in range(300)]
    lines += [json.dumps({"resourceType": "Nonsense", "id": f"n{i}"}) for i in range(20)]
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "check", path, "--format", "json")
    assert code == 0
    first, *reasons = err.splitlines()
    assert first == (
        "referee: warning: 320 of 321 resources (99.7 %) were rejected; the commonest reasons:"
    )
    assert reasons[0].startswith("  300 × ")
    assert reasons[1].startswith("  20 × ")
    assert len(reasons) == 2


def test_an_unwritable_output_stops_before_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    code, out, err = run(capsys, "check", DEMO, "-o", "/nonexistent/out.txt")
    assert (code, out) == (2, "")
    assert err == (
        "referee: --out /nonexistent/out.txt: the folder /nonexistent does not exist; "
        "create it first\n"
    )
    assert time.perf_counter() - started < 0.5  # refused before the demo was read


def test_an_output_that_is_a_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", DEMO, "--out", tmp_path)
    assert code == 2
    assert err == f"referee: --out {tmp_path}: is a folder; give a file name\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["check", "x.json", "--as-of", "2025-13-01"],
            "referee check: argument --as-of: expected an instant such as "
            "2025-03-31T17:00:00Z or a date such as 2025-03-31, got '2025-13-01'; "
            "see 'referee check --help'",
        ),
        (
            ["report", "x", "--from", "2025-02-30", "--to", "2025-03-01"],
            "referee report: argument --from: expected a date such as 2025-03-31, got "
            "'2025-02-30'; see 'referee report --help'",
        ),
        (
            ["synth", "--out", "x", "--as-of", "yesterday"],
            "referee synth: argument --as-of: expected an instant such as "
            "2025-03-31T17:00:00Z or a date such as 2025-03-31, got 'yesterday'; "
            "see 'referee synth --help'",
        ),
        (
            ["report", "x", "--from", "2025-03-31", "--to", "2025-01-01"],
            "referee: --from 2025-03-31 is after --to 2025-01-01; swap them",
        ),
        (
            ["rules", "nosuch"],
            "referee: unknown rule 'nosuch'; known rules: discharge-summary-24h, "
            "clinic-letter-7d, discharge-medication-7d, shared-care-gp-agreement, "
            "fit-note-issued, dna-no-blanket-discharge, onward-referral-by-trust, "
            "trust-arranges-own-tests, point-of-contact, referral-complete, "
            "referral-rejection-reasoned, advice-and-guidance-response, "
            "trust-handles-patient-queries",
        ),
        (
            ["report", "--database-url", "bad url", *PERIOD],
            "referee: --database-url 'bad url': not a database URL; expected e.g. "
            "sqlite:///referee.sqlite or postgresql+psycopg://user@host/db",
        ),
        (
            ["report", "--database-url", "mysql://u@h/db", *PERIOD],
            "referee: --database-url mysql://u@h/db: mysql is not supported; use "
            "sqlite:///FILE or postgresql+psycopg://user@host/db",
        ),
        (
            ["chek", "x"],
            "referee: argument COMMAND: invalid choice: 'chek' (choose from 'check', 'rules', "
            "'synth', 'serve', 'keys', 'pull', 'report', 'completion'); see 'referee --help'",
        ),
    ],
)
def test_a_user_error_is_one_line_on_stderr_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (2, "", message + "\n")


def test_report_of_a_missing_path_writes_no_blank_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "report", "nosuch", *PERIOD, "--out", "r.html")
    assert (code, out) == (2, "")
    assert err == (
        "referee: nosuch: no such file or folder; give a FHIR file, a folder of them, or - "
        "for standard input\n"
    )
    assert not (tmp_path / "r.html").exists()


def test_a_mistyped_sqlite_url_creates_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(
        capsys, "report", "--database-url", "sqlite:///refere.sqlite", *PERIOD, "-o", "r.html"
    )
    assert code == 2
    assert err == (
        "referee: --database-url sqlite:///refere.sqlite: no such database file "
        "refere.sqlite; give the file `referee serve` writes (default "
        "sqlite:///referee.sqlite)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_report_with_nothing_in_the_period_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    code, _, err = run(capsys, "report", DEMO, *PERIOD, "--as-of", DEMO_AS_OF, "-o", out)
    assert code == 2
    assert err == (
        "referee: no obligations fall in 2026-09-01 to 2026-11-30 (267 are dated outside it "
        "and the period before it); check --from and --to, or pass --allow-empty\n"
    )
    assert not out.exists()


# -- one grammar ----------------------------------------------------------------------------------


def test_the_demo_says_on_its_last_line_that_exit_1_is_the_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "check", DEMO, "--as-of", DEMO_AS_OF)
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == (
        "Exit code 1: breaches were found. This is the verdict, not a failure "
        "(0 = no breach, 2 = bad input)."
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert run(capsys, "--version") == (0, f"referee {version('interface-referee')}\n", "")


def test_output_is_a_hidden_alias_of_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "o.json"
    argv = ["check", DEMO, "--as-of", DEMO_AS_OF, "--format", "json", "--output", target]
    code, out, _ = run(capsys, *argv)
    assert (code, out) == (1, "")
    assert json.loads(target.read_text())["counts"]["received"] == 428
    code, help_text, _ = run(capsys, "check", "--help")
    assert "--out FILE, -o FILE" in help_text and "--output" not in help_text


def test_a_date_as_of_is_00_00_london_and_shown_back_in_utc(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "check", DEMO, "--as-of", "2025-04-01", "--format", "json")
    assert code == 1
    assert (
        err == "referee: --as-of 2025-04-01 is 2025-03-31T23:00:00Z (00:00 BST in Europe/London)\n"
    )
    assert json.loads(out)["as_of"] == "2025-03-31T23:00:00Z"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2025-01-15", "2025-01-15T00:00:00+00:00"),
        ("2025-07-15", "2025-07-14T23:00:00+00:00"),
        ("2025-07-15T09:30:00", "2025-07-15T08:30:00+00:00"),
        ("2025-07-15T09:30:00Z", "2025-07-15T09:30:00+00:00"),
        ("2025-07-15T09:30:00+02:00", "2025-07-15T07:30:00+00:00"),
    ],
)
def test_one_as_of_parser_reads_instants_local_times_and_dates(text: str, utc: str) -> None:
    assert as_of_value(text).isoformat() == utc


@pytest.mark.parametrize("text", ["2025", "2025-07", "15/07/2025", "2025-07-15T09:30Z", "now"])
def test_the_as_of_parser_refuses_what_is_not_an_instant_or_a_date(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        as_of_value(text)


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser(full=True)
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found = {"referee": parser}
    for name, child in sub.choices.items():
        found[f"referee {name}"] = child
        for nested in child._actions:
            if isinstance(nested, argparse._SubParsersAction):
                found.update({f"referee {name} {n}": p for n, p in nested.choices.items()})
    return found


def test_every_flag_of_every_command_has_help() -> None:
    missing = [
        f"{name} {action.option_strings[0]}"
        for name, parser in _parsers().items()
        for action in parser._actions
        if action.option_strings and not action.help
    ]
    assert missing == []


def test_the_command_list_matches_each_commands_own_help() -> None:
    parser = build_parser(full=True)
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {c.dest: c.help for c in sub._choices_actions} == COMMANDS


def test_out_is_spelled_the_same_in_every_command_that_writes() -> None:
    parsers = _parsers()
    for name in ("referee check", "referee report", "referee synth"):
        options = {s for a in parsers[name]._actions for s in a.option_strings}
        assert {"--out", "-o"} <= options, name


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_answers_in_under_half_a_second(command: str) -> None:
    argv = [str(REFEREE), *([command] if command else []), "--help"]
    best = min(_cpu_seconds(argv) for _ in range(3))
    assert best < 0.5, f"{' '.join(argv)} took {best:.2f} s of CPU"


def _cpu_seconds(argv: list[str]) -> float:
    """CPU time of one run (user + system), which other work on the machine does not
    inflate as it does the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_progress_is_off_when_stderr_is_not_a_terminal() -> None:
    with terminal_progress() as progress:
        assert progress is None


def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    script = subprocess.run(
        [str(REFEREE), "completion", "bash"], check=True, capture_output=True, text=True
    ).stdout
    (tmp_path / "referee.bash").write_text(script)
    probe = (
        f"source {tmp_path / 'referee.bash'}\n"
        'complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _referee; '
        'echo "${COMPREPLY[*]}"; }\n'
        "complete_words referee rep\n"
        "complete_words referee check --fo\n"
        "complete_words referee report --format ''\n"
        "complete_words referee keys ''\n"
    )
    lines = subprocess.run(
        ["bash", "-c", probe], check=True, capture_output=True, text=True, env={**os.environ}
    ).stdout.splitlines()
    assert lines == ["report", "--format", "html pdf csv json", "create revoke list"]


def test_zsh_completion_is_valid_zsh_and_completes_commands(tmp_path: Path) -> None:
    """zsh parses the script (`zsh -n`); sourced in a plain zsh (no zshrc) it loads compinit
    and bashcompinit itself and registers `referee`; called as bashcompinit's `compgen -F`
    calls it (sh emulation, 0-based arrays), it offers what bash offers. zsh filters the
    candidates by the typed prefix itself, so the probes type none. .ci/run installs zsh."""
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.fail("zsh is not installed (.ci/run installs it: apt-get install zsh)")
    scripts = {}
    for shell in ("bash", "zsh"):
        scripts[shell] = tmp_path / f"referee.{shell}"
        scripts[shell].write_text(
            subprocess.run(
                [str(REFEREE), "completion", shell], check=True, capture_output=True, text=True
            ).stdout
        )
    checked = subprocess.run([zsh, "-n", str(scripts["zsh"])], capture_output=True, text=True)
    assert (checked.returncode, checked.stderr) == (0, "")
    probes = [
        ["referee", ""],
        ["referee", "check", "-"],
        ["referee", "report", "--format", ""],
        ["referee", "keys", ""],
        ["referee", "completion", ""],
    ]
    calls = "".join("complete_words " + " ".join(f"'{w}'" for w in p) + "\n" for p in probes)
    zsh_probe = (
        f"source {scripts['zsh']}\n"
        'complete_words() { emulate -L sh; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
        '_referee; echo "${COMPREPLY[*]}"; }\n' + calls + "print -r -- ${_comps[referee]}\n"
    )
    env = {**os.environ, "HOME": str(tmp_path)}  # compinit writes its dump file there
    done = subprocess.run([zsh, "-f", "-c", zsh_probe], capture_output=True, text=True, env=env)
    assert done.stderr == ""
    bash_probe = (
        f"source {scripts['bash']}\n"
        'complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _referee; '
        'echo "${COMPREPLY[*]}"; }\n' + calls
    )
    in_bash = subprocess.run(["bash", "-c", bash_probe], capture_output=True, text=True, env=env)
    lines = done.stdout.splitlines()
    assert lines[:-1] == in_bash.stdout.splitlines()
    assert lines[0] == " ".join([*COMMANDS, "--help", "--version"])
    assert "--format" in lines[1].split() and "--out" in lines[1].split()
    assert lines[2:] == [
        "html pdf csv json",
        "create revoke list",
        "bash zsh",
        "_bash_complete -o filenames -F _referee",
    ]


def test_keys_scopes_are_the_stores() -> None:
    from adapter.commands.keys import SCOPES
    from adapter.store.access import SCOPES as STORED

    assert SCOPES == STORED


def test_progress_honours_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.setenv("NO_COLOR", "1")
    assert Console(stderr=True, force_terminal=True).no_color
