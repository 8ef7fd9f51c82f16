"""`--format junit`: JUnit XML, so a CI server shows interface breaches as failing tests.

    <testsuites>                      totals of the suites below
      <testsuite name="<rule id>">    one per rule that has obligations, in rule order
        <testcase classname="<rule id>" name="<subject>">   one per obligation
          met             passes (no child)
          breached        <failure message="<detail>" type="breached">
          pending         <skipped message="pending: <detail>">
          not-assessable  <skipped message="not-assessable: <detail>">
      <testsuite name="input">        always present; one error testcase per rejected
                                      resource and per unreadable file

Rejected resources come from `Result.issues`: every issue of severity `error` belongs to
the resource its location names. The engine may report several problems of one resource as
several issues (style.md: report every problem at once), so error issues are grouped by
their location without the field (file, line, entry, resource): one group is one rejected
resource, one `error` testcase, whose message joins the problems with "; ". A `fatal`
issue is an unreadable file: one `error` testcase per file, named by the file. Warnings and
information issues are not test cases; they are listed in the input suite's `system-out`.

Every counting attribute (tests, failures, errors, skipped) is exact, on each suite and on
the `testsuites` total, and each suite carries `as_of` (and the rule's clause and Delivery
Plan area) as properties. Characters that XML 1.0 cannot carry are dropped from text.
The patient is left out on purpose: CI servers keep these files as logs, and logs carry no
NHS numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from adapter.model import Issue, Location, Obligation, Result, format_instant

INPUT_SUITE = "input"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """`value` without the characters XML 1.0 forbids (control characters, lone surrogates)."""
    return _NOT_XML.sub("", value)


@dataclass
class _Suite:
    element: etree._Element
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    def close(self) -> None:
        for name in ("tests", "failures", "errors", "skipped"):
            self.element.set(name, str(getattr(self, name)))


def _properties(parent: etree._Element, values: Iterable[tuple[str, str | None]]) -> None:
    properties = etree.SubElement(parent, "properties")
    for name, value in values:
        if value is not None:
            etree.SubElement(properties, "property", name=name, value=_text(value))


def _rule_suite(root: etree._Element, as_of: str, rule: str, items: list[Obligation]) -> _Suite:
    suite = _Suite(etree.SubElement(root, "testsuite", name=rule))
    first = items[0]
    _properties(
        suite.element, [("as_of", as_of), ("clause", first.clause), ("domain4", first.domain4)]
    )
    for obligation in items:
        case = etree.SubElement(
            suite.element, "testcase", classname=rule, name=_text(obligation.subject)
        )
        suite.tests += 1
        detail = _text(obligation.detail)
        if obligation.status == "breached":
            suite.failures += 1
            failure = etree.SubElement(case, "failure", message=detail, type="breached")
            failure.text = _describe(obligation)
        elif obligation.status in ("pending", "not-assessable"):
            suite.skipped += 1
            etree.SubElement(case, "skipped", message=f"{obligation.status}: {detail}")
    return suite


def _describe(obligation: Obligation) -> str:
    lines = [
        obligation.detail,
        f"owner: {obligation.owner or '-'}; owed to: {obligation.owed_to or '-'}",
        f"due: {format_instant(obligation.due) or '-'}; "
        f"fulfilled at: {format_instant(obligation.fulfilled_at) or '-'}",
        f"evidence: {', '.join(obligation.evidence) or '-'}",
        f"clause: {obligation.clause}",
    ]
    return _text("\n".join(lines))


def _rejected(issues: list[Issue]) -> dict[tuple[object, ...], list[Issue]]:
    """Error and fatal issues grouped: one group per rejected resource or unreadable file."""
    groups: dict[tuple[object, ...], list[Issue]] = {}
    for issue in issues:
        where = issue.location
        if issue.severity == "fatal":
            key: tuple[object, ...] = ("fatal", where.file)
        elif issue.severity == "error":
            key = ("error", where.file, where.line, where.entry, where.resource)
        else:
            continue
        groups.setdefault(key, []).append(issue)
    return groups


def _case_name(location: Location, fatal: bool) -> str:
    if fatal:
        return location.file or "input"
    return location.describe()


def _input_suite(root: etree._Element, as_of: str, issues: list[Issue]) -> _Suite:
    suite = _Suite(etree.SubElement(root, "testsuite", name=INPUT_SUITE))
    _properties(suite.element, [("as_of", as_of)])
    for (kind, *_), group in _rejected(issues).items():
        fatal = kind == "fatal"
        case = etree.SubElement(
            suite.element,
            "testcase",
            classname=INPUT_SUITE,
            name=_text(_case_name(group[0].location, fatal)),
        )
        suite.tests += 1
        suite.errors += 1
        message = "; ".join(issue.message for issue in group)
        codes = ",".join(dict.fromkeys(issue.code for issue in group))
        error = etree.SubElement(
            case,
            "error",
            message=_text(message),
            type=("unreadable" if fatal else "rejected") + f" ({codes})",
        )
        error.text = _text("\n".join(_issue_line(issue) for issue in group))
    notes = [issue for issue in issues if issue.severity in ("warning", "information")]
    if notes:
        out = etree.SubElement(suite.element, "system-out")
        out.text = _text("\n".join(_issue_line(issue) for issue in notes))
    return suite


def _issue_line(issue: Issue) -> str:
    """`severity code: message`, with the location first unless the message starts with it."""
    where = issue.location.describe()
    if issue.message.startswith(where):
        return f"{issue.severity} {issue.code}: {issue.message}"
    if issue.location.field:
        where += f" {issue.location.field}"
    return f"{issue.severity} {issue.code} at {where}: {issue.message}"


def render(result: Result) -> bytes:
    """`result` as a JUnit XML document (UTF-8, with an XML declaration)."""
    as_of = format_instant(result.as_of) or ""
    root = etree.Element("testsuites", name="interface-referee")
    by_rule: dict[str, list[Obligation]] = {}
    for obligation in result.obligations:
        by_rule.setdefault(obligation.rule, []).append(obligation)
    suites = [_rule_suite(root, as_of, rule, items) for rule, items in by_rule.items()]
    suites.append(_input_suite(root, as_of, result.issues))
    for suite in suites:
        suite.close()
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, str(sum(getattr(suite, name) for suite in suites)))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
