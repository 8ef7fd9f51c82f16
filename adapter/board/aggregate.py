"""From obligations to the board pack's tables: headline, trusts, practices, data quality,
worst examples and method. `build_board` does it all; the renderers only print a `Board`.

Scope of each table:
- headline and per-area rates: the nine trust-side rules, by the Delivery Plan area each
  obligation carries (`domain4`); the practice side (referral-complete) is reported beside
  them, never mixed in;
- trusts: trust-side obligations grouped by `owner`, ranked by met rate, best first;
- practices: referral-complete obligations grouped by `owner`.
Dating and the previous period are explained in `adapter.board.periods`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from adapter.board.advice import AdvicePanel, advice_panel
from adapter.board.catalogue import AREAS, PRACTICE_RULE, RULES, RuleInfo, area_label, info
from adapter.board.examples import Example, worst_examples
from adapter.board.method import RuleMethod, other_overrides, rule_methods
from adapter.board.periods import Dating, Period
from adapter.board.quality import QualityLine, quality_lines
from adapter.board.tally import MIN_CASES_FOR_RATE, Tally, change_points
from adapter.model import Counts, Issue, Obligation, format_instant

Undated = Literal["include", "exclude"]
UNKNOWN_OWNER = "(no owner code)"


@dataclass
class Trend:
    """Tallies per month (the previous period and the reporting period) for each area."""

    months: list[date]
    series: dict[str, list[Tally]]
    current_from: int = 0  # index of the first month of the reporting period

    def to_json(self) -> dict[str, Any]:
        return {
            "months": [m.isoformat()[:7] for m in self.months],
            "reporting_period_from": self.current_from,
            "series": {k: [t.to_json() for t in v] for k, v in self.series.items()},
        }


@dataclass
class AreaLine:
    """One area's tallies now and before. The change compares like with like: the dated
    obligations of the period (`current_dated`) against those of the previous period."""

    area: str
    label: str
    current: Tally
    previous: Tally
    current_dated: Tally

    @property
    def change(self) -> float | None:
        return change_points(self.current_dated, self.previous)

    def to_json(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "label": self.label,
            "current": self.current.to_json(),
            "previous": self.previous.to_json(),
            "change_points": self.change,
        }


@dataclass
class OwnerSection:
    """One trust (trust-side rules) or one practice (referral-complete)."""

    ods: str
    name: str | None
    interface_lead: str | None
    rank: int
    overall: Tally
    previous: Tally
    dated: Tally
    rules: dict[str, Tally]
    trend: Trend
    quality: list[QualityLine]

    @property
    def change(self) -> float | None:
        """Change in met rate against the previous period, dated obligations only."""
        return change_points(self.dated, self.previous)

    def to_json(self) -> dict[str, Any]:
        return {
            "ods": self.ods,
            "name": self.name,
            "interface_lead": self.interface_lead,
            "rank": self.rank,
            "overall": self.overall.to_json(),
            "previous": self.previous.to_json(),
            "change_points": self.change,
            "rules": {k: v.to_json() for k, v in self.rules.items()},
            "trend": self.trend.to_json(),
            "not_assessable": [q.to_json() for q in self.quality],
        }


@dataclass
class Board:
    icb_name: str
    period: Period
    previous: Period
    as_of: datetime
    policy: dict[str, Any]
    undated: Undated
    undated_count: int
    outside_count: int
    headline: Tally
    headline_previous: Tally
    headline_dated: Tally
    areas: list[AreaLine]
    practice_side: AreaLine
    trend: Trend
    trusts: list[OwnerSection]
    practices: list[OwnerSection]
    worst: dict[str, list[Example]]
    method: list[RuleMethod]
    practice_gaps: list[QualityLine]
    inputs: Counts | None = None
    issues: dict[str, int] = field(default_factory=dict)
    # The NHS Standard Contract editions that judged this period's obligations, with counts.
    editions: dict[str, int] = field(default_factory=dict)
    advice: AdvicePanel = field(default_factory=lambda: AdvicePanel([], [], False))

    def info(self, rule: str) -> RuleInfo:
        """The rule as worded under this board's policy (its title shows the policy's values)."""
        return next((m.info for m in self.method if m.info.rule == rule), None) or info(rule)

    @property
    def headline_change(self) -> float | None:
        return change_points(self.headline_dated, self.headline_previous)

    def to_json(self) -> dict[str, Any]:
        return {
            "icb_name": self.icb_name,
            "period": self.period.to_json(),
            "previous_period": self.previous.to_json(),
            "as_of": format_instant(self.as_of),
            "policy": self.policy,
            "undated": {"mode": self.undated, "count": self.undated_count},
            "outside_periods": self.outside_count,
            "inputs": None if self.inputs is None else self.inputs.to_json(),
            "input_issues": self.issues,
            "headline": {
                "current": self.headline.to_json(),
                "previous": self.headline_previous.to_json(),
                "change_points": self.headline_change,
                "areas": [a.to_json() for a in self.areas],
                "practice_side": self.practice_side.to_json(),
            },
            "trend": self.trend.to_json(),
            "trusts": [t.to_json() for t in self.trusts],
            "practices": [p.to_json() for p in self.practices],
            "practice_gaps": [q.to_json() for q in self.practice_gaps],
            "worst": {rule: [e.to_json() for e in found] for rule, found in self.worst.items()},
            "method": [m.to_json() for m in self.method],
            "editions": self.editions,
            "advice_and_guidance": self.advice.to_json(),
        }


@dataclass(frozen=True)
class Options:
    icb_name: str = "Integrated Care Board"
    undated: Undated = "exclude"
    trusts: dict[str, dict[str, str]] = field(default_factory=dict)
    policy: Any = None


def build_board(
    obligations: Sequence[Obligation],
    period: Period,
    as_of: datetime,
    options: Options | None = None,
    *,
    inputs: Counts | None = None,
    issues: Iterable[Issue] = (),
    reported: Mapping[str, Any] | None = None,
) -> Board:
    """Every table of the board pack, from the obligations of one evaluation (dated by due,
    else fulfilment, else the `event_at` of their subject's event). `reported` is the run's
    reported-beside counts (`Result.reported`), when it has them."""
    options = options or Options()
    dating = Dating()
    previous = period.previous()
    current, before, undated, outside = _split(
        obligations, period, previous, options.undated, dating
    )
    trend_window = period.trend_window()
    trust_now = [o for o in current if not _practice_side(o)]
    trust_before = [o for o in before if not _practice_side(o)]
    practice_now = [o for o in current if _practice_side(o)]
    practice_before = [o for o in before if _practice_side(o)]
    return Board(
        icb_name=options.icb_name,
        period=period,
        previous=previous,
        as_of=as_of,
        policy=_policy_summary(options.policy),
        undated=options.undated,
        undated_count=undated,
        outside_count=outside,
        headline=_tally(trust_now),
        headline_previous=_tally(trust_before),
        headline_dated=_tally(_dated(trust_now, dating)),
        areas=[
            _line(
                area,
                area_label(area),
                [o for o in trust_now if _area(o) == area],
                [o for o in trust_before if _area(o) == area],
                dating,
            )
            for area in AREAS
        ],
        practice_side=_line(
            "referral-quality",
            "Complete referrals (practices)",
            practice_now,
            practice_before,
            dating,
        ),
        trend=_marked(
            _trend([o for o in obligations if not _practice_side(o)], trend_window, dating), period
        ),
        trusts=_owners((trust_now, trust_before, obligations), period, options.trusts, dating),
        practices=_owners(
            (practice_now, practice_before, obligations), period, options.trusts, dating
        ),
        worst=worst_examples(current, as_of, dating),
        method=rule_methods(options.policy),
        practice_gaps=quality_lines(practice_now, "breached"),
        inputs=inputs,
        issues=_issue_counts(issues),
        editions=_editions(current),
        advice=advice_panel(current, reported or {}),
    )


def _split(
    obligations: Iterable[Obligation],
    period: Period,
    previous: Period,
    undated: Undated,
    dating: Dating,
) -> tuple[list[Obligation], list[Obligation], int, int]:
    current, before = [], []
    undated_count = outside = 0
    for obligation in obligations:
        day = dating(obligation)
        if day is None:
            undated_count += 1
            if undated == "include":
                current.append(obligation)
        elif period.contains(day):
            current.append(obligation)
        elif previous.contains(day):
            before.append(obligation)
        else:
            outside += 1
    return current, before, undated_count, outside


def _practice_side(obligation: Obligation) -> bool:
    return obligation.rule == PRACTICE_RULE or info(obligation.rule).side == "practice"


def _area(obligation: Obligation) -> str:
    return obligation.domain4 or info(obligation.rule).area


def _tally(obligations: Iterable[Obligation]) -> Tally:
    return Tally.of(o.status for o in obligations)


def _line(
    area: str, label: str, now: list[Obligation], before: list[Obligation], dating: Dating
) -> AreaLine:
    return AreaLine(area, label, _tally(now), _tally(before), _tally(_dated(now, dating)))


def _dated(obligations: Iterable[Obligation], dating: Dating) -> list[Obligation]:
    return [o for o in obligations if dating(o) is not None]


def _trend(obligations: Iterable[Obligation], window: Period, dating: Dating) -> Trend:
    months = window.months()
    index = {m: i for i, m in enumerate(months)}
    series = {area: [Tally() for _ in months] for area in AREAS}
    for obligation in obligations:
        day = dating(obligation)
        area = _area(obligation)
        if day is None or area not in series or not window.contains(day):
            continue
        series[area][index[day.replace(day=1)]].add(obligation.status)
    return Trend(months, series)


def _marked(trend: Trend, period: Period) -> Trend:
    """The trend with the first month of the reporting period marked."""
    first = period.start.replace(day=1)
    trend.current_from = trend.months.index(first) if first in trend.months else 0
    return trend


def _owners(
    obligations: tuple[list[Obligation], list[Obligation], Sequence[Obligation]],
    period: Period,
    names: dict[str, dict[str, str]],
    dating: Dating,
) -> list[OwnerSection]:
    """One section per owner, from the obligations of the period, of the previous period,
    and all of them (for the trend)."""
    now, before, everything = obligations
    window = period.trend_window()
    groups, groups_before, history = _by_owner(now), _by_owner(before), _by_owner(everything)
    sections = []
    for ods, found in groups.items():
        side = {o.rule for o in found}
        named = names.get(ods, {})
        sections.append(
            OwnerSection(
                ods=ods,
                name=named.get("name"),
                interface_lead=named.get("interface_lead"),
                rank=0,
                overall=_tally(found),
                previous=_tally(groups_before.get(ods, [])),
                dated=_tally(_dated(found, dating)),
                rules={r: _tally(o for o in found if o.rule == r) for r in _rule_order(side)},
                trend=_marked(
                    _trend((o for o in history[ods] if o.rule in side), window, dating), period
                ),
                quality=quality_lines(found),
            )
        )
    sections.sort(key=_ranking)
    for rank, section in enumerate(sections, start=1):
        section.rank = rank
    return sections


def _by_owner(obligations: Iterable[Obligation]) -> dict[str, list[Obligation]]:
    groups: dict[str, list[Obligation]] = defaultdict(list)
    for obligation in obligations:
        groups[obligation.owner or UNKNOWN_OWNER].append(obligation)
    return groups


def _rule_order(rules: set[str]) -> list[str]:
    known = [r for r in RULES if r in rules]
    return known + sorted(rules - set(known))


def _ranking(section: OwnerSection) -> tuple[bool, bool, float, int, str]:
    """Best met rate first, then the most judged; owners with too few judged cases for a
    rate (they are shown as counts), then those with none, and obligations with no owner
    code, last: one case met must not rank above a trust with hundreds judged."""
    rate = section.overall.rate
    unknown = section.ods == UNKNOWN_OWNER
    few = section.overall.judged < MIN_CASES_FOR_RATE
    score = -(rate if rate is not None else -1.0)
    return (unknown, few, score, -section.overall.judged, section.ods)


def _issue_counts(issues: Iterable[Issue]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for issue in issues:
        counts[f"{issue.severity}: {issue.code}"] += 1
    return dict(sorted(counts.items()))


def _editions(obligations: Iterable[Obligation]) -> dict[str, int]:
    """This period's obligations by the contract edition that judged them, oldest first."""
    counts = Counter(o.edition or "not named" for o in obligations)
    return dict(sorted(counts.items()))


def _policy_summary(policy: Any) -> dict[str, Any]:
    if policy is None:
        return {"name": "national defaults"}
    summary = {
        "name": str(getattr(policy, "name", "national defaults")),
        "file": getattr(policy, "source", None),
        "other_overrides": other_overrides(policy),
    }
    if getattr(policy, "edition", None):
        summary["edition"] = policy.edition
    return summary
