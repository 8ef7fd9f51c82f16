"""The README tells the truth: its synopses match the real parsers, and its commands and
examples run as printed, with the output printed (issue 13). Slow parts are marked slow."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adapter.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def block_after(marker: str, fence: str = "```") -> str:
    """The first fenced block after `marker` in the README."""
    start = README.index(marker)
    opening = README.index(fence, start)
    body = README.index("\n", opening) + 1
    return README[body : README.index("\n```", body)]


def synopses() -> dict[str, str]:
    """`referee ...` lines of the Command line section, continuation lines joined, keyed by
    the command words (`check`, `keys create`, ...)."""
    found: dict[str, str] = {}
    key = ""
    for line in block_after("## Command line").splitlines():
        if line.startswith("referee "):
            words = [w for w in line.split()[1:3] if re.fullmatch(r"[a-z]+", w)]
            if not words:  # referee --version
                key = ""
                continue
            key = " ".join(words) if words[0] == "keys" else words[0]
            found[key] = found.get(key, "") + " " + line
        elif line.startswith(" ") and key:
            found[key] += " " + line
    return found


def parser_for(key: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = build_parser(full=True)
    for word in key.split():
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return parser


def documented(parser: argparse.ArgumentParser) -> dict[str, list[str] | None]:
    """Each visible long option of `parser`, with its choices."""
    options: dict[str, list[str] | None] = {}
    for action in parser._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if not longs or action.help == argparse.SUPPRESS or longs[0] in ("--help", "--version"):
            continue
        options[longs[0]] = [str(c) for c in action.choices] if action.choices else None
    return options


COMMANDS = [
    "check",
    "pull",
    "rules",
    "synth",
    "report",
    "serve",
    "keys create",
    "keys list",
    "keys revoke",
    "completion",
]


@pytest.mark.parametrize("key", COMMANDS)
def test_readme_synopsis_lists_exactly_the_real_options(key: str) -> None:
    line = synopses()[key]
    real = documented(parser_for(key))
    shown = dict(re.findall(r"\[?(--[a-z0-9-]+)(?: ([a-z-]+(?:\|[a-z-]+)+))?", line))
    assert set(shown) == set(real), key
    for option, choices in real.items():
        if choices is not None:
            assert shown[option].split("|") == choices, (key, option)


def test_readme_synopsis_names_every_command() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    named = {key.split()[0] for key in synopses()}
    assert named == set(sub.choices)
    assert "referee --version" in block_after("## Command line")


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A README command line, run as printed with the installed `referee` first on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def console(marker: str) -> list[tuple[str, list[str]]]:
    """The `$ command` lines (with `\\` continuations) of a console block, each with the
    output printed under it."""
    steps: list[tuple[str, list[str]]] = []
    lines = iter(block_after(marker).splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + next(lines).strip()
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def test_what_it_prints_is_what_check_prints_on_the_demo() -> None:
    shown = block_after("## What it prints").splitlines()
    done = run("referee check fixtures/demo/icb --as-of 2025-03-31T17:00:00Z", ROOT)
    assert done.returncode == 1
    printed = done.stdout.splitlines()
    cut = shown.index("  ...")
    assert printed[:cut] == shown[:cut]
    assert printed[-1] == shown[-1]


def test_the_json_example_is_part_of_the_real_output() -> None:
    shown = json.loads(re.sub(r",\s*\.\.\.", "", block_after("prints exactly the object")))
    done = run("referee check fixtures/demo/icb --as-of 2025-03-31T17:00:00Z --format json", ROOT)
    real = json.loads(done.stdout)
    assert {k: real[k] for k in ("as_of", "counts", "summary", "issues")} == {
        k: shown[k] for k in ("as_of", "counts", "summary", "issues")
    }
    for obligation in shown["obligations"]:
        assert obligation in real["obligations"]


def test_the_policy_error_example_is_the_real_message(tmp_path: Path) -> None:
    example = block_after("An unknown rule, parameter or top-level key").strip()
    policy = tmp_path / "icb.toml"
    policy.write_text(
        'name = "x"\n\n[rules.discharge-medication-7d]\n# a typo on line 5:\nmin_dayz = 3\n'
    )
    done = run(f"referee check {ROOT / 'fixtures/demo/icb'} --policy icb.toml", tmp_path)
    assert (done.returncode, done.stderr.strip()) == (2, example)


@pytest.mark.slow
def test_the_board_pack_example_runs_as_printed(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    steps = console("A real run on synthetic")
    assert len(steps) == 4
    for command, output in steps:
        done = run(command, tmp_path)
        assert done.returncode == 0, done.stderr
        assert (done.stdout + done.stderr).splitlines() == output, command


@pytest.mark.slow
def test_the_first_of_the_two_commands_runs_on_a_fresh_clone(tmp_path: Path) -> None:
    """The whole line, venv and install included, in a copy of the tracked files."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tmp_path / name)
    command = block_after("## Two commands", "```sh").strip()
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    shown = block_after("## What it prints").splitlines()
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout.splitlines()[:3] == shown[:3]


def test_the_local_policy_example_is_a_valid_policy(tmp_path: Path) -> None:
    """The README's policy file, as printed, is accepted and its values are in force."""
    (tmp_path / "icb.toml").write_text(block_after("## Local policy", "```toml"))
    done = run(
        f"referee check {ROOT / 'fixtures/demo/icb'} --as-of 2025-03-31T17:00:00Z "
        "--policy icb.toml --format json",
        tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr
    policy = json.loads(done.stdout)["policy"]
    assert policy["name"] == "Example ICB local policy 2024/25", policy
    assert policy["overrides"]["rules.discharge-medication-7d.min_days"] == 14
    assert policy["overrides"]["rules.dna-no-blanket-discharge.min_dnas_before_discharge"] == 2
    assert policy["overrides"]["phrases.fit-note-issued"] == ["fit note emailed"]


def test_the_board_pack_naming_example_is_a_valid_policy(tmp_path: Path) -> None:
    """The `[trusts.RXX]` snippet of the board-pack section is accepted as a policy."""
    start = README.index("```toml", README.index("Interface leads come from the policy file"))
    body = README.index("\n", start) + 1
    snippet = README[body : README.index("\n  ```", body)]
    (tmp_path / "names.toml").write_text("\n".join(line.strip() for line in snippet.splitlines()))
    assert "[trusts.RXX]" in snippet
    done = run("referee rules discharge-summary-24h --policy names.toml", tmp_path)
    assert (done.returncode, done.stderr) == (0, "")  # a misspelt key is exit 2


def test_ci_runs_the_readme_test_command() -> None:
    """CI runs the same test command as the README's second set-up command."""
    readme_command = block_after("Install the test extras").splitlines()[0]
    readme_pytest = readme_command[readme_command.index(".venv/bin/python -m pytest") :]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_pytest in ci_lines


def test_the_performance_table_is_the_benchmarks_own_output() -> None:
    """The README's table and target lines are what `python -m bench.run --table` prints
    from bench/results.json (issue 11: the table is real bench output, not retyped)."""
    from bench.run import RESULTS, table, targets

    sizes = json.loads(RESULTS.read_text())["sizes"]
    section = README[README.index("## Performance") : README.index("### The targets")]
    assert table(sizes) in section
    assert targets(sizes) in section
