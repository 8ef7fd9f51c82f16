"""The public API is what `adapter.__all__` lists, pinned here (style.md "Meta-tests"): adding,
removing or renaming a name is a deliberate change to this test and to the changelog."""

from __future__ import annotations

import inspect

import adapter

PUBLIC = [
    "CATALOGUE",
    "RULES",
    "STATUSES",
    "AdapterError",
    "Counts",
    "HostileXml",
    "Issue",
    "Location",
    "Obligation",
    "Policy",
    "PolicyError",
    "Result",
    "Rule",
    "TooLarge",
    "UnreadableInput",
    "UsageError",
    "check",
    "evaluate",
    "get_rule",
    "load_policy",
]


def test_public_api_is_pinned() -> None:
    assert sorted(adapter.__all__) == sorted(PUBLIC)


def test_public_api_has_no_duplicates() -> None:
    assert len(adapter.__all__) == len(set(adapter.__all__))


def test_every_public_name_exists() -> None:
    missing = [name for name in adapter.__all__ if not hasattr(adapter, name)]
    assert missing == []


def test_star_import_gives_exactly_the_public_api() -> None:
    namespace: dict[str, object] = {}
    exec("from adapter import *", namespace)  # noqa: S102 - the import under test
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(PUBLIC)


def test_every_public_class_and_function_is_documented() -> None:
    undocumented = [
        name
        for name in adapter.__all__
        if (inspect.isclass(getattr(adapter, name)) or inspect.isfunction(getattr(adapter, name)))
        and not inspect.getdoc(getattr(adapter, name))
    ]
    assert undocumented == []


def test_errors_in_the_public_api_share_one_base() -> None:
    for name in ("HostileXml", "PolicyError", "TooLarge", "UnreadableInput", "UsageError"):
        assert issubclass(getattr(adapter, name), adapter.AdapterError), name


def test_public_check_is_the_engine_check() -> None:
    from adapter import engine

    assert adapter.check is engine.check
    assert adapter.evaluate is engine.evaluate
