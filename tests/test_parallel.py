"""`--jobs N` gives exactly the result of one process."""

from __future__ import annotations

from pathlib import Path

from adapter.engine import check
from adapter.instants import parse_instant

ROOT = Path(__file__).resolve().parents[1]
AS_OF = parse_instant("2025-03-31T17:00:00Z")


def test_two_processes_give_the_same_obligations_counts_and_issues_as_one() -> None:
    paths = [
        ROOT / "fixtures" / "demo" / "icb",
        ROOT / "fixtures" / "rules" / "discharge-summary-24h",
    ]
    one = check(paths, as_of=AS_OF)
    two = check(paths, as_of=AS_OF, jobs=2)
    assert two.to_json() == one.to_json()
    assert {k: v.to_json() for k, v in two.files.items()} == {
        k: v.to_json() for k, v in one.files.items()
    }
    assert one.counts.received == one.counts.accepted + one.counts.rejected > 400


def test_the_jobs_option_reaches_the_engine(monkeypatch: object) -> None:
    """`referee check --jobs 2` runs the parallel path (it is not only parsed)."""
    import adapter.parallel
    from adapter.cli import main

    calls: list[int] = []
    real = adapter.parallel.check_parallel

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs["jobs"])  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(adapter.parallel, "check_parallel", spy)  # type: ignore[attr-defined]
    demo = str(ROOT / "fixtures" / "demo" / "icb")
    main(["check", demo, "--as-of", "2025-03-31T17:00:00Z", "--jobs", "2", "-o", "/dev/null"])
    assert calls == [2]
