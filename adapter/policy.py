"""The policy a run is judged by: national defaults from `mappings/`, plus a local policy
file (`--policy FILE`, TOML) that overrides rule parameters and adds phrases and codes.

    name = "Example ICB local policy 2024/25"
    [rules.discharge-medication-7d]
    min_days = 14
    [phrases]
    fit-note-issued = ["fit note emailed"]
    [codes]
    discharge-summary-types = ["https://trust.example/doc-type|DS"]
    [trusts.RXX]
    name = "Example Hospitals NHS Trust"
    interface_lead = "Dr A Example"
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from adapter.editions import Term, editions
from adapter.errors import PolicyError
from adapter.mappings import read_toml, shipped
from adapter.model import Issue, Location
from adapter.params import Params
from adapter.phrases import PhraseList, any_phrase, compile_phrases

_TOP_LEVEL = {"name", "rules", "phrases", "codes", "trusts"}


@dataclass(frozen=True)
class Codes:
    """Code tables (mappings/codes.toml): sets of `system|code`, words, and single URLs."""

    sets: dict[str, frozenset[str]]
    values: dict[str, str]

    def has(self, table: str, system: str | None, code: str | None) -> bool:
        return f"{system}|{code}" in self.sets[table]

    def __getitem__(self, table: str) -> frozenset[str]:
        return self.sets[table]


@dataclass(frozen=True)
class Policy:
    name: str = "national defaults"
    params: dict[str, Params] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    phrases: dict[str, PhraseList] = field(default_factory=dict)
    codes: Codes = field(default_factory=lambda: Codes({}, {}))
    trusts: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str | None = None
    local: dict[str, dict[str, Any]] = field(default_factory=dict)  # [rules.<id>] as given
    edition: str | None = None  # the contract edition forced for every event (--edition)
    # Memo tables that depend only on this policy (e.g. sentence readings); never compared.
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def term_at(self, instant: datetime | None) -> Term:
        """The contract edition's term that judges an event at `instant` (§11.4)."""
        return editions().term_at(instant, self.edition)

    def params_in(self, rule_id: str, term: Term) -> Params:
        """`rule_id`'s parameters in `term`: rules.toml, then the edition's dated values,
        then the local policy's (which win in every edition)."""
        key = f"params:{rule_id}:{term.edition}:{term.start}"
        found = self.cache.get(key)
        if found is None:
            from adapter.rules import PARAMS  # the rules read the policy: import when called

            merged = {
                **shipped("rules")["rules"].get(rule_id, {}),
                **term.values.get(rule_id, {}),
                **self.local.get(rule_id, {}),
            }
            found = self.cache[key] = PARAMS[rule_id].model_validate(merged)
        return cast(Params, found)

    def forcing(self, edition: str | None) -> Policy:
        """This policy with `edition` forced for every event (None: by each event's date);
        ValueError names the known editions when `edition` is not one."""
        if edition is not None:
            editions().check(edition)
        forced = replace(self, edition=edition, cache={})
        latest = forced.term_at(None)
        return replace(forced, params={r: forced.params_in(r, latest) for r in self.params})

    def describe(self) -> dict[str, Any]:
        """What the report says about the policy: its name and every overridden value."""
        forced = {} if self.edition is None else {"edition": self.edition}
        if self.source is None:
            return forced
        return {"name": self.name, "file": self.source, "overrides": self.overrides, **forced}


def load_policy(path: str | Path | None = None) -> Policy:
    """National defaults, overridden by the TOML policy file at `path` when given."""
    local: dict[str, Any] = {}
    text = ""
    if path is not None:
        path = Path(path)
        local = read_toml(path)
        text = path.read_text(encoding="utf-8", errors="replace")
    where = _Locator(str(path) if path else "mappings", text)
    unknown = set(local) - _TOP_LEVEL
    if unknown:
        where.fail(
            sorted(unknown)[0], None, f"unknown top-level key; expected one of {sorted(_TOP_LEVEL)}"
        )
    return Policy(
        name=str(local.get("name", "national defaults" if path is None else Path(path).stem)),
        params=_params(local.get("rules", {}), where),
        overrides=_overrides(local),
        phrases=_phrases(local.get("phrases", {}), where),
        codes=_codes(local.get("codes", {}), where),
        trusts=_trusts(local.get("trusts", {}), where),
        source=str(path) if path is not None else None,
        local={k: dict(v) for k, v in local.get("rules", {}).items() if isinstance(v, dict)},
    )


def _params(local: Any, where: _Locator) -> dict[str, Params]:
    """Each rule's parameters: its national defaults (mappings/rules.toml), under the values
    of the latest contract edition (mappings/editions.toml), under the local values,
    validated by the rule's own model. A rule judges an event with the values of the
    edition in force at it (`Policy.params_in`); these are the values in force now."""
    from adapter.rules import PARAMS  # the rules read the policy: import them when called

    defaults = shipped("rules")["rules"]
    latest = editions().latest.values
    if not isinstance(local, dict):
        where.fail("rules", None, "must be a table of [rules.<rule-id>] tables")
    for rule_id in local:
        if rule_id not in PARAMS:
            where.fail(rule_id, "rules", f"unknown rule; known rules: {', '.join(PARAMS)}")
    out = {}
    for rule_id, model in PARAMS.items():
        merged = {**defaults.get(rule_id, {}), **latest.get(rule_id, {}), **local.get(rule_id, {})}
        try:
            out[rule_id] = model.model_validate(merged)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = str(error["loc"][0]) if error["loc"] else rule_id
            where.fail(key, f"rules.{rule_id}", f"{error['msg']} (got {error['input']!r})")
    return out


def _overrides(local: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule_id, values in local.get("rules", {}).items():
        for key, value in values.items():
            out[f"rules.{rule_id}.{key}"] = value
    for section in ("phrases", "codes"):
        for key, value in local.get(section, {}).items():
            out[f"{section}.{key}"] = value
    return out


def _phrases(local: Any, where: _Locator) -> dict[str, PhraseList]:
    base = shipped("phrases")
    macros: dict[str, str] = base["macros"]
    lists: dict[str, list[Any]] = {k: list(v) for k, v in base["phrases"].items()}
    if not isinstance(local, dict):
        where.fail("phrases", None, "must be a table of phrase lists")
    for name, extra in local.items():
        if name not in lists:
            where.fail(name, "phrases", f"unknown phrase list; known: {', '.join(lists)}")
        if not isinstance(extra, list) or not all(isinstance(p, str | list) for p in extra):
            where.fail(name, "phrases", "must be a list of regular expressions")
        lists[name].extend(extra)
    out = {}
    for name, patterns in lists.items():
        try:
            out[name] = compile_phrases(name, patterns, macros)
        except re.error as exc:
            where.fail(name, "phrases", f"bad regular expression: {exc}")
    out["any"] = any_phrase(
        out,
        exclude=(
            "phone",
            "email",
            "document-fit-note",
            "fit-note-coded-issued",
            "patient-query-not-to-gp",
        ),
    )
    return out


def _codes(local: Any, where: _Locator) -> Codes:
    base = shipped("codes")["codes"]
    sets = {k: set(v) for k, v in base.items() if isinstance(v, list)}
    values = {k: v for k, v in base.items() if isinstance(v, str)}
    if not isinstance(local, dict):
        where.fail("codes", None, "must be a table of code lists")
    for name, extra in local.items():
        if name not in sets:
            where.fail(name, "codes", f"unknown or fixed code table; extendable: {', '.join(sets)}")
        if not isinstance(extra, list) or not all(isinstance(c, str) for c in extra):
            where.fail(name, "codes", 'must be a list of "system|code" strings')
        sets[name].update(extra)
    return Codes({k: frozenset(v) for k, v in sets.items()}, values)


def _trusts(local: Any, where: _Locator) -> dict[str, dict[str, str]]:
    if not isinstance(local, dict):
        where.fail("trusts", None, "must be a table of [trusts.<ODS>] tables")
    for ods, info in local.items():
        if not isinstance(info, dict) or set(info) - {"name", "interface_lead"}:
            where.fail(ods, "trusts", "may hold only name and interface_lead")
    return {str(k): {kk: str(vv) for kk, vv in v.items()} for k, v in local.items()}


@dataclass
class _Locator:
    """Finds the line of a key in the policy text, for error messages."""

    file: str
    text: str

    def fail(self, key: str, section: str | None, problem: str) -> Any:
        line = self._line(key, section)
        name = f"{section}.{key}" if section else key
        where = f"{self.file}:{line}" if line else self.file
        message = f"{where}: {name}: {problem}"
        location = Location(file=self.file, line=line, field=name)
        raise PolicyError(message, (Issue("error", "invalid", location, message),))

    def _line(self, key: str, section: str | None) -> int | None:
        in_section = section is None
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for number, line in enumerate(self.text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                header = stripped.strip("[] ")
                if header == f"{section}.{key}" or header.endswith(f".{key}"):
                    return number
                in_section = section is None or header == section
            elif in_section and pattern.match(line):
                return number
        return None
