"""`referee rules`: the rule catalogue, with parameters under the given policy, and each
rule's definition worded with the values in force."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapter.errors import UsageError

if TYPE_CHECKING:  # imported in run(), so that `referee rules --help` stays quick
    from adapter.policy import Policy
    from adapter.rules.base import Rule


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list the interface rules, or document one",
        description="List the rule catalogue (id, title, side, Delivery Plan area, clause, "
        "parameters under the policy), or print one rule's documentation with its "
        "met and breached examples.",
    )
    parser.add_argument("rule", nargs="?", metavar="RULE", help="a rule id, e.g. clinic-letter-7d")
    parser.add_argument(
        "--policy", type=Path, metavar="FILE", help="show parameters as this local policy sets them"
    )
    parser.add_argument(
        "--format",
        choices=["table", "json"],
        default="table",
        help="output format (default: table)",
    )
    parser.set_defaults(run=run)


def describe(rule: Rule, policy: Policy) -> dict[str, Any]:
    from adapter.editions import editions

    in_force = policy.params[rule.id]
    params = in_force.model_dump(mode="json", by_alias=True)
    overridden = sorted(
        k.split(".")[-1] for k in policy.overrides if k.startswith(f"rules.{rule.id}.")
    )
    return {
        "id": rule.id,
        "title": rule.title,
        "side": rule.side,
        "domain4": rule.domain4,
        "clause": rule.clause,
        "definition": rule.defined(in_force),
        "parameters": params,
        "overridden": overridden,
        "editions": editions().describe(rule.id),
        "why": rule.why,
        "met_example": rule.met_example,
        "breached_example": rule.breached_example,
    }


def run(args: argparse.Namespace) -> int:
    import orjson

    from adapter.policy import load_policy
    from adapter.rules import CATALOGUE, get_rule

    policy = load_policy(args.policy)
    try:
        rules = [get_rule(args.rule)] if args.rule else list(CATALOGUE)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from exc
    described = [describe(rule, policy) for rule in rules]
    if args.format == "json":
        body = orjson.dumps(
            described if not args.rule else described[0], option=orjson.OPT_INDENT_2
        )
        sys.stdout.buffer.write(body + b"\n")
    elif args.rule:
        sys.stdout.write(_page(described[0], policy))
    else:
        sys.stdout.write(_list(described, policy))
    return 0


def _params_text(params: dict[str, Any]) -> str:
    if not params:
        return "none"
    parts = []
    for key, value in params.items():
        if isinstance(value, list):
            value = ", ".join(f"{v['max_days']:g} d from {v['from']}" for v in value) or "none"
        elif isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"{key}={value}")
    return "; ".join(parts)


def _list(described: list[dict[str, Any]], policy: Policy) -> str:
    lines = [f"Rules under: {policy.name}", ""]
    for d in described:
        lines.append(f"{d['id']}  ({d['side']}; {d['domain4']}; {d['clause']})")
        lines.append(f"    {d['title']}")
        lines.append(f"    parameters: {_params_text(d['parameters'])}")
    lines.append("")
    lines.append("`referee rules RULE` prints one rule with its examples.")
    return "\n".join(lines) + "\n"


def _page(d: dict[str, Any], policy: Policy) -> str:
    from adapter.editions import editions

    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    overridden = (
        f" (overridden by {policy.name}: {', '.join(d['overridden'])})" if d["overridden"] else ""
    )
    lines = [
        f"{d['id']}: {d['title']}",
        f"side: {d['side']}   Delivery Plan area: {d['domain4']}   clause: {d['clause']}",
        f"parameters: {_params_text(d['parameters'])}{overridden}",
        f"contract editions: {editions().describe_text(d['id'])}",
    ]
    for heading, key in _PAGE:
        lines += ["", f"{heading}:", wrap.fill(d[key])]
    return "\n".join([*lines, ""])


_PAGE = (
    ("Definition", "definition"),
    ("Why", "why"),
    ("Met, for example", "met_example"),
    ("Breached, for example", "breached_example"),
)
