"""Meta-tests that keep the rule objects true: each rule declares the code tables its code
reads, and every phrase list is used by a rule or by the translator."""

import ast
import re
from pathlib import Path

import pytest

import adapter.rules
from adapter.mappings import shipped
from adapter.rules import CATALOGUE, Rule

RULES_DIR = Path(adapter.rules.__file__).parent
HELPERS = {"letters", "requests"}  # shared rule modules, read by the rules that import them
TABLE = re.compile(r"""codes(?:\.values)?\[\s*"([a-z-]+)"\s*\]""")


def _module(rule: Rule) -> str:
    return rule.id.replace("-", "_")


def _functions(path: Path) -> dict[str, tuple[set[str], set[str]]]:
    """Each top-level function of a module: the tables it reads and the names it calls."""
    text = path.read_text("utf-8")
    out = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            source = ast.get_source_segment(text, node) or ""
            calls = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            out[node.name] = (set(TABLE.findall(source)), calls)
    return out


def _reads(name: str, functions: dict[str, tuple[set[str], set[str]]], seen: set[str]) -> set[str]:
    if name in seen or name not in functions:
        return set()
    seen.add(name)
    tables, calls = functions[name]
    return tables.union(*(_reads(call, functions, seen) for call in calls))


def tables_read(rule: Rule) -> set[str]:
    """Literal code tables in the rule's module and in the helper functions it imports."""
    path = RULES_DIR / f"{_module(rule)}.py"
    found = set(TABLE.findall(path.read_text("utf-8")))
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in {
            f"adapter.rules.{h}" for h in HELPERS
        }:
            functions = _functions(RULES_DIR / f"{node.module.rsplit('.', 1)[1]}.py")
            seen: set[str] = set()
            for alias in node.names:
                found |= _reads(alias.name, functions, seen)
    return found


@pytest.mark.parametrize("rule", CATALOGUE, ids=lambda r: r.id)
def test_a_rule_declares_every_code_table_its_code_reads(rule: Rule) -> None:
    assert tables_read(rule) <= set(rule.codes), rule.id


def test_every_phrase_list_is_read_by_a_rule():
    declared = {name for rule in CATALOGUE for name in rule.phrases}
    assert declared == set(shipped("phrases")["phrases"])
