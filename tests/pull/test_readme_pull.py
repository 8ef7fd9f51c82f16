"""The README's "Pulling from a FHIR server" run, as printed: after the service examples it
builds on (keys, `referee serve` on a free port, the posted discharge and its correction),
`referee pull` exports from that server, a rerun fetches nothing, and `referee check` on the
folder prints the breach. The `export in progress` lines depend on timing and are left out
of the comparison."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_docs_service import assert_output, console_steps, repository_copy, shell

pytestmark = pytest.mark.slow  # starts `referee serve`

PROGRESS = "referee pull: export in progress: "


def test_the_pull_example_runs_as_printed(tmp_path: Path) -> None:
    folder = repository_copy(tmp_path)
    with shell(folder) as runner:
        for marker in ("### With SQLite", "### Posting FHIR"):
            for command, shown in console_steps(marker):
                runner.step(command, shown)
        steps = console_steps("## Pulling from a FHIR server")
        assert [c.split()[:2] for c, _ in steps] == [
            ["export", "REFEREE_PULL_TOKEN=rk_9Tq2..."],
            ["referee", "pull"],
            ["referee", "pull"],
            ["referee", "check"],
        ]
        for command, shown in steps:
            line = runner.line(command)
            if line.startswith("export "):
                runner.step(command, shown)
                continue
            done = subprocess.run(
                ["bash", "-c", line],
                cwd=folder,
                env=runner.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, (line, done.stderr)
            printed = "\n".join(
                x for x in (done.stdout + done.stderr).splitlines() if not x.startswith(PROGRESS)
            )
            assert_output(line, [x for x in shown if not x.startswith(PROGRESS)], printed)
    assert (folder / "pulled" / "manifest.json").exists()
