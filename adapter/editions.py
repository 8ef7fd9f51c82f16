"""NHS Standard Contract editions as data (docs/contract.md §11.4): which rules exist and
which parameter values are in force, by edition, from `mappings/editions.toml`.

An edition is in force from 00:00 Europe/London on its `from` date until the next one's; an
event before the first edition is judged under the first. A *term* is one dated stretch of
an edition: usually the whole edition, but 2017/19's own text changes the clinic-letter
limit from April 2018, so it has two. Forcing an edition (`referee check --edition`) judges
every event by that edition's own text: the term of that edition at the event's date, its
first term before it began and its last after it ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from adapter.instants import london_date
from adapter.mappings import shipped


@dataclass(frozen=True)
class Term:
    """One dated stretch of an edition: the rules in existence and the dated values."""

    edition: str
    start: date
    rules: frozenset[str]
    values: Mapping[str, Mapping[str, Any]]  # rule id -> parameter -> value


@dataclass(frozen=True)
class Editions:
    terms: tuple[Term, ...]  # in date order

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.edition for t in self.terms))

    @property
    def latest(self) -> Term:
        return self.terms[-1]

    def check(self, name: str) -> str:
        """`name` when it is a known edition; else ValueError naming the known ones."""
        if name not in self.names:
            raise ValueError(
                f"unknown contract edition {name!r}; known editions: {', '.join(self.names)}"
            )
        return name

    def term_at(self, instant: datetime | None, forced: str | None = None) -> Term:
        """The term in force at `instant` (its London date), or of the `forced` edition. An
        undated event is judged under the latest term (of the forced edition, when forced)."""
        terms = [t for t in self.terms if t.edition == forced] if forced else list(self.terms)
        if not terms:
            raise ValueError(self.check(str(forced)))  # a bug: forced names are checked first
        if instant is None:
            return terms[-1]
        day = london_date(instant)
        chosen = terms[0]
        for term in terms:
            if term.start <= day:
                chosen = term
        return chosen

    def history(self, rule: str, name: str) -> list[tuple[Term, Any]]:
        """Each term where the national value of `rule`'s parameter `name` changes."""
        out: list[tuple[Term, Any]] = []
        for term in self.terms:
            value = term.values.get(rule, {}).get(name)
            if value is not None and (not out or out[-1][1] != value):
                out.append((term, value))
        return out

    def since(self, rule: str) -> Term | None:
        """The first term in which `rule` exists."""
        return next((t for t in self.terms if rule in t.rules), None)

    def describe(self, rule: str) -> dict[str, Any]:
        """Since which edition `rule` exists, and each of its dated parameters' values with
        the edition and date each took effect (for `referee rules` and the board's method)."""
        since = self.since(rule)
        names = sorted({name for term in self.terms for name in term.values.get(rule, {})})
        dated = {
            name: [
                {"edition": term.edition, "from": term.start.isoformat(), "value": value}
                for term, value in self.history(rule, name)
            ]
            for name in names
        }
        return {"since": since.edition if since else None, "dated": dated}

    def describe_text(self, rule: str) -> str:
        """`describe` in words: "exists from 2016/17; max_days: 14 (2016/17, from …), …"."""
        described = self.describe(rule)
        parts = [f"exists from {described['since']}"]
        for name, steps in described["dated"].items():
            values = ", ".join(f"{s['value']} ({s['edition']}, from {s['from']})" for s in steps)
            parts.append(f"{name}: {values}")
        return "; ".join(parts)


def read_editions(table: Mapping[str, Any]) -> Editions:
    """The editions of a parsed `editions.toml`: each term keeps what came before it."""
    rules: frozenset[str] = frozenset()
    values: dict[str, dict[str, Any]] = {}
    terms: list[Term] = []
    for edition in table["edition"]:
        stretches = [edition, *edition.get("later", [])]
        for stretch in stretches:
            rules = rules | frozenset(stretch.get("rules", ()))
            for rule, changed in stretch.get("values", {}).items():
                values[rule] = {**values.get(rule, {}), **changed}
            start = _day(stretch["from"])
            if terms and start <= terms[-1].start:
                raise ValueError(f"editions.toml: {edition['name']} starts before its predecessor")
            frozen = {rule: dict(v) for rule, v in values.items()}
            terms.append(Term(str(edition["name"]), start, rules, frozen))
    return Editions(tuple(terms))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@cache
def editions() -> Editions:
    """The shipped editions (mappings/editions.toml)."""
    return read_editions(shipped("editions"))
