"""Monthly trend charts as inline SVG, drawn with matplotlib's object API (no pyplot, so no
GUI backend and no global figure state; the SVG canvas renders with Agg-free vector output).

Every area has its own line style and marker, so the chart reads in greyscale; text stays
text (`svg.fonttype = none`) and the SVG carries a `<title>` and an aria-label.
"""

from __future__ import annotations

import html
import io
import math
import re
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from adapter.board.catalogue import AREAS
from adapter.board.privacy import mask_text
from adapter.board.tally import MIN_CASES_FOR_RATE, Tally

STYLES: dict[str, tuple[str, str, str]] = {
    # area: (line style, marker, grey level)
    "onward-referrals": ("-", "o", "#000000"),
    "complete-care": ("--", "s", "#404040"),
    "call-and-recall": (":", "^", "#606060"),
    "points-of-contact": ("-.", "D", "#808080"),
}

_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.IGNORECASE)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


def trend_svg(
    title: str,
    months: list[date],
    series: dict[str, list[Tally]],
    description: str,
    prefix: str = "c",
    current_from: int = 0,
) -> str:
    """A line chart of the met rate (%) per month for each area, as an inline `<svg>`."""
    settings = {"svg.fonttype": "none", "svg.hashsalt": "interface-referee", "font.size": 9}
    with matplotlib.rc_context(settings):  # type: ignore[arg-type]
        figure = Figure(figsize=(7.6, 2.8), dpi=100)
        axes = figure.add_subplot()
        positions = list(range(len(months)))
        for area, tallies in series.items():
            rates = [_rate(t) for t in tallies]
            if all(math.isnan(r) for r in rates):
                continue
            style, marker, grey = STYLES.get(area, ("-", "x", "#000000"))
            axes.plot(
                positions,
                rates,
                linestyle=style,
                marker=marker,
                color=grey,
                markerfacecolor="white",
                markersize=0.1,
                linewidth=1.4,
                label=AREAS.get(area, area),
            )
            _points(axes, positions, tallies, marker, grey)
        axes.set_xlim(-0.5, max(len(months) - 0.5, 0.5))
        if 0 < current_from < len(months):
            axes.axvspan(current_from - 0.5, len(months) - 0.5, color="#ececec", zorder=0)
            axes.text(current_from - 0.4, 101, "reporting period", fontsize=7, va="bottom")
        axes.set_ylim(0, 110)
        axes.set_yticks([0, 20, 40, 60, 80, 100])
        step = max(1, math.ceil(len(months) / 12))
        axes.set_xticks(positions[::step], [_month(m) for m in months][::step])
        axes.set_xlabel("Month")
        axes.set_ylabel("Met rate (%)")
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        if axes.lines:
            axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
        else:
            axes.text(
                0.5,
                0.5,
                "No judged obligations in these months",
                ha="center",
                va="center",
                transform=axes.transAxes,
            )
        figure.subplots_adjust(left=0.08, right=0.8, bottom=0.24, top=0.95)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline(_prefix_ids(buffer.getvalue(), prefix), title, description)


def _points(axes: Any, positions: list[int], tallies: list[Tally], marker: str, grey: str) -> None:
    """Each month's point sized by its n; under MIN_CASES_FOR_RATE, hollow and labelled."""
    for x, tally in zip(positions, tallies, strict=True):
        if tally.rate is None:
            continue
        y, small = tally.rate * 100, tally.judged < MIN_CASES_FOR_RATE
        size = 3 + 5 * min(1.0, math.sqrt(tally.judged / 200))
        face = "white" if small else grey
        axes.plot([x], [y], marker=marker, color=grey, markerfacecolor=face, markersize=size)
        if small:
            axes.annotate(
                f"n={tally.judged}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=6
            )


def _month(month: date) -> str:
    return f"{month:%b}\n{month:%Y}"


def _rate(tally: Tally) -> float:
    return float("nan") if tally.rate is None else tally.rate * 100


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make the chart's element ids unique in a page that holds several charts."""
    svg = svg.replace(' id="', f' id="{prefix}-')
    svg = svg.replace("url(#", f"url(#{prefix}-")
    return svg.replace('href="#', f'href="#{prefix}-')


def _inline(svg: str, title: str, description: str) -> str:
    """Strip the XML prolog, DOCTYPE and metadata; add role, aria-label and `<title>`."""
    svg = _METADATA.sub("", _PROLOG.sub("", svg)).strip()
    label = html.escape(mask_text(title), quote=True)
    desc = html.escape(mask_text(description), quote=False)

    def opening(match: re.Match[str]) -> str:
        return (
            f'<svg{match.group(1)} role="img" aria-label="{label}">'
            f"<title>{html.escape(mask_text(title), quote=False)}</title><desc>{desc}</desc>"
        )

    return _SVG_OPEN.sub(opening, svg, count=1)
