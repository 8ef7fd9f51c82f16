"""`--format table` (the default): a summary a person reads on a terminal. Counts by rule
and status, then each breach with its one-sentence detail, then the input issues."""

from __future__ import annotations

from collections import Counter

from adapter.model import STATUSES, Result, format_instant
from adapter.rules import CATALOGUE

_MAX_ISSUES = 20


def render(result: Result) -> bytes:
    lines = [
        f"Interface Referee — as of {format_instant(result.as_of)}",
        f"Resources: {result.counts.received} received, {result.counts.accepted} accepted, "
        f"{result.counts.rejected} rejected"
        + (f"; {result.unreadable_files} unreadable file(s)" if result.unreadable_files else ""),
    ]
    if result.policy:
        lines.append(f"Policy: {result.policy.get('name')}")
    lines += ["", *_by_rule(result), "", *_breaches(result), *_issues(result)]
    return ("\n".join(lines).rstrip() + "\n").encode()


def _by_rule(result: Result) -> list[str]:
    tally = Counter((o.rule, o.status) for o in result.obligations)
    header = ("rule", *STATUSES, "total")
    rows = [header]
    for rule in CATALOGUE:
        counts = [tally[(rule.id, s)] for s in STATUSES]
        rows.append((rule.id, *map(str, counts), str(sum(counts))))
    summary = result.summary()
    rows.append(("all rules", *(str(summary[s]) for s in STATUSES), str(summary["obligations"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells))
        if index == 0 or index == len(rows) - 2:
            out.append("  ".join("-" * w for w in widths))
    return out


def _breaches(result: Result) -> list[str]:
    breached = [o for o in result.obligations if o.status == "breached"]
    if not result.counts.accepted:
        return ["Nothing to judge: no resource was accepted."]
    if not breached:
        return ["No breaches."]
    out = [f"Breaches ({len(breached)}):"]
    for o in breached:
        who = f"{o.owner or '?'} → {o.owed_to or '?'}"
        out.append(f"  {o.rule}  {o.subject}  [{who}]")
        out.append(f"    {o.detail}")
    return out


def _issues(result: Result) -> list[str]:
    if not result.issues:
        return []
    out = ["", f"Input issues ({len(result.issues)}):"]
    for issue in result.issues[:_MAX_ISSUES]:
        out.append(f"  {issue.severity}: {issue.message}")
    if len(result.issues) > _MAX_ISSUES:
        out.append(f"  … and {len(result.issues) - _MAX_ISSUES} more (use --format json for all)")
    return out
