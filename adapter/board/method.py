"""The method section: each rule's definition, clause, parameters and local overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapter.board.catalogue import RuleInfo, describe
from adapter.editions import editions
from adapter.rules import CATALOGUE


@dataclass(frozen=True)
class RuleMethod:
    info: RuleInfo
    params: dict[str, Any]
    overrides: dict[str, Any]
    editions: str = ""  # since which contract edition it exists, and its dated values

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.info.rule,
            "title": self.info.title,
            "side": self.info.side,
            "area": self.info.area,
            "clause": self.info.clause,
            "definition": self.info.definition,
            "parameters": self.params,
            "overrides": self.overrides,
            "editions": self.editions,
        }


def rule_methods(policy: Any) -> list[RuleMethod]:
    """One entry per rule, with the parameters in force under `policy` (a
    `adapter.policy.Policy`, or None for the national defaults as far as they are known)."""
    params: dict[str, Any] = getattr(policy, "params", None) or {}
    overrides: dict[str, Any] = getattr(policy, "overrides", None) or {}
    out = []
    for rule in CATALOGUE:
        prefix = f"rules.{rule.id}."
        mine = {
            k[len(prefix) :]: _jsonable(v) for k, v in overrides.items() if k.startswith(prefix)
        }
        in_force = params.get(rule.id) or rule.defaults
        dated = editions().describe_text(rule.id)
        out.append(RuleMethod(describe(rule, in_force), _plain(in_force), mine, dated))
    return out


def other_overrides(policy: Any) -> dict[str, Any]:
    """Overrides that are not rule parameters (extra phrases, extra codes)."""
    overrides: dict[str, Any] = getattr(policy, "overrides", None) or {}
    return {k: _jsonable(v) for k, v in overrides.items() if not k.startswith("rules.")}


def _plain(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped: dict[str, Any] = dump(mode="json", by_alias=True)
        return {k: _jsonable(v) for k, v in dumped.items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return {"value": str(value)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
