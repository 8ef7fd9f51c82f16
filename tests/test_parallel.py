"""`--jobs N` gives exactly the result of one process."""

from __future__ import annotations

import itertools
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


def test_a_large_ndjson_file_is_read_in_line_aligned_pieces_with_true_line_numbers(
    tmp_path: Path, monkeypatch: object
) -> None:
    import json

    import adapter.parallel

    monkeypatch.setattr(adapter.parallel, "PIECE_BYTES", 2_000)  # type: ignore[attr-defined]
    lines = [json.dumps({"resourceType": "Patient", "id": f"p{i}"}) for i in range(300)]
    lines[250] = '{"resourceType": "Patient", "id": 7}'  # line 251 is rejected
    path = tmp_path / "Patient.ndjson"
    path.write_text("\n".join(lines) + "\n")

    pieces = list(adapter.parallel.plan(path))
    result = check([path], as_of=AS_OF, jobs=2)

    assert len(pieces) > 5
    assert pieces[0].start == 0 and pieces[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    assert result.counts.to_json() == {"received": 300, "accepted": 299, "rejected": 1}
    assert [i.location.line for i in result.issues] == [251]
    assert result.to_json() == check([path], as_of=AS_OF).to_json()
