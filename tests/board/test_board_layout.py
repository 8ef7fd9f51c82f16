"""The board pack as people read it: rendered by headless Chromium (Debian's `chromium`, which
`.ci/run` installs), printed at A4, and looked at.

- the whole pack prints on at most six A4 pages, and page one (headline, areas, the three
  questions, trend, ranking) on one;
- no text overlaps other text and nothing is clipped or pushed outside the page, measured by
  a small script (`layout_probe.js`) run in the laid-out page (`--dump-dom`);
- no template placeholder and no FHIR element name reaches the reader.

The data is the README's: synthetic traffic for 2,000 patients over 12 months, five trusts.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapter import cli
from adapter.board.pdf import chromium_command, find_chromium, html_to_pdf
from adapter.synth import generate

pytestmark = pytest.mark.slow  # headless Chromium prints the pack (about 15 s)

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[1] / "docs"
AS_OF = "2026-07-01T09:00:00Z"
MAX_PAGES = 6
PLACEHOLDERS = re.compile(r"\bN (h|days?|dosage)\b|\(medicine\)|\(date\)|'…'|\"…\"|…")
FHIR_NAMES = re.compile(
    r"\b[a-z]+(?:[A-Z][a-z]+)+\b|\b(?:period|dispenseRequest|dosageInstruction)\.[a-z]\w*"
)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    find_chromium()  # fails, saying how to install it, when Chromium is missing
    folder = tmp_path_factory.mktemp("board")
    data = folder / "data"
    as_of = datetime(2026, 7, 1, 9, tzinfo=UTC)
    generate(data, patients=2000, months=12, seed=3, as_of=as_of, progress=False)
    out = {"html": folder / "board.html", "pdf": folder / "board.pdf"}
    for kind, path in out.items():
        code = cli.main(
            [
                "report",
                str(data),
                "--from",
                "2026-04-01",
                "--to",
                "2026-06-30",
                "--as-of",
                AS_OF,
                "--policy",
                str(DOCS / "board-example-policy.toml"),
                "--icb-name",
                "Example Integrated Care Board",
                "--format",
                kind,
                "--out",
                str(path),
            ]
        )
        assert code == 0
    return out


def pages(pdf: bytes) -> int:
    """Pages in a PDF (Chromium writes one `/Type /Page` object per page)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_the_pdf_is_a4_and_at_most_six_pages(pack: dict[str, Path]) -> None:
    pdf = pack["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert 1 <= pages(pdf) <= MAX_PAGES
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4


def test_page_one_prints_on_one_page(pack: dict[str, Path]) -> None:
    page = pack["html"].read_text(encoding="utf-8")
    first = page[: page.index('<section id="areas"')] + "</main></body></html>"
    assert 'id="headline"' in first and "Three things to ask about" in first
    assert pages(html_to_pdf(first)) == 1


@pytest.mark.parametrize("width", [794, 1100])  # A4 at 96 dpi, and a laptop window
def test_no_text_overlaps_and_nothing_is_clipped(pack: dict[str, Path], width: int) -> None:
    probe = (HERE / "layout_probe.js").read_text(encoding="utf-8")
    page = pack["html"].read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="referee-layout-") as folder:
        source = Path(folder) / "page.html"
        source.write_text(page.replace("</body>", f"<script>{probe}</script></body>"))
        command = chromium_command(
            find_chromium(),
            Path(folder) / "profile",
            f"--window-size={width},1123",
            "--virtual-time-budget=3000",
            "--dump-dom",
            source.as_uri(),
        )
        dom = subprocess.run(command, capture_output=True, timeout=120, check=True).stdout
    found = re.search(rb'<pre id="layout-probe">(.*?)</pre>', dom)
    assert found, "the layout probe did not run"
    layout = json.loads(html.unescape(found.group(1).decode()))
    assert layout == {"overlaps": [], "clipped": []}


def test_no_placeholder_or_fhir_element_name_is_shown(pack: dict[str, Path]) -> None:
    page = pack["html"].read_text(encoding="utf-8")
    visible = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL)
    visible = html.unescape(visible)
    assert PLACEHOLDERS.findall(visible) == []
    assert FHIR_NAMES.findall(visible) == []


def test_organisations_are_named_from_the_data_with_their_code(pack: dict[str, Path]) -> None:
    page = pack["html"].read_text(encoding="utf-8")
    assert "Northfield Hospitals NHS Trust (RZ1)" in page  # the policy's name
    assert re.search(r"Synthetic Practice \d+ \(Y\d{5}\)", page)  # Organization.name
    assert page.count("not named") <= 1
