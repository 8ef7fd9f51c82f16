"""Where the shipped mapping files are, and how they are read.

In a wheel they sit inside the package (`adapter/mappings/`, by hatch's force-include); in a
source checkout they are the top-level `mappings/` folder.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from adapter.errors import PolicyError
from adapter.model import Issue, Location


@cache
def mappings_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "mappings", here.parent / "mappings"):
        if (candidate / "rules.toml").is_file():
            return candidate
    raise FileNotFoundError("mappings/ not found beside the adapter package")  # a bug


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; a syntax error is a PolicyError naming the file and line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        message = f"{path}: not valid TOML: {exc}"
        issue = Issue("error", "structure", Location(file=str(path)), message)
        raise PolicyError(message, (issue,)) from exc
    except OSError as exc:
        message = f"{path}: cannot be read: {exc.strerror}"
        issue = Issue("error", "not-found", Location(file=str(path)), message)
        raise PolicyError(message, (issue,)) from exc


@cache
def shipped(name: str) -> dict[str, Any]:
    """One of the shipped mapping files (`phrases`, `codes`, `rules`), parsed once."""
    return read_toml(mappings_dir() / f"{name}.toml")
